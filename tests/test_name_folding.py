"""Folding of Latin letters Unicode does not decompose (ı, ł, ø, ß, æ...): a name is found by
the plain letters typed for it, sorts among its neighbours, and names stored under the old
rule are folded again by migration 0028."""
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from tests.test_patients import VALID, register, rows
from tracker.extensions import db
from tracker.patients import services
from tracker.text import fold


@pytest.mark.parametrize(("text", "folded"), [
    ("Yılmaz", "yilmaz"), ("YILMAZ", "yilmaz"), ("İzmir", "izmir"), ("Łukasz", "lukasz"),
    ("Søren Østergaard", "soren ostergaard"), ("Straße", "strasse"), ("Đorđe", "dorde"),
    ("Þórður Ægir", "thordur aegir"), ("Œdipe", "oedipe"), ("Ħal Far", "hal far"),
    ("José Álvarez", "jose alvarez"), ("Ŋgoné", "ngone"),
])
def test_letters_without_a_decomposition_fold_to_what_is_typed_for_them(text, folded):
    assert fold(text) == folded


def test_search_finds_names_by_their_plain_latin_spelling(app, client, auth):
    auth.login("reception")
    names = {"Yılmaz": "Emre", "Łukasiewicz": "Łukasz", "Sørensen": "Søren",
             "Straße": "Anna", "Álvarez": "José"}
    for i, (family, given) in enumerate(names.items()):
        assert register(client, given_name=given, family_name=family, email="",
                        date_of_birth=f"198{i}-01-01").status_code == 302
    cases = {"Yilmaz": "Yılmaz", "yılmaz": "Yılmaz", "YILMAZ": "Yılmaz", "yil": "Yılmaz",
             "Yılmaz": "Yılmaz", "emre yilm": "Yılmaz", "Lukasz": "Łukasiewicz",
             "łukasz": "Łukasiewicz", "LUKASIEWICZ": "Łukasiewicz", "Soren": "Sørensen",
             "SØREN": "Sørensen", "sorensen": "Sørensen", "Strasse": "Straße",
             "straße": "Straße", "STRASSE": "Straße", "alvarez": "Álvarez"}
    for q, expected in cases.items():
        page = rows(client.get("/patients/", query_string={"q": q}))
        assert [f for f in names if f in page] == [expected], q


def test_the_register_sorts_by_the_folded_names(app, client, auth):
    with app.app_context():
        for family in ("Zhang", "Yılmaz", "Yildiz", "Ørsted", "Olsen", "Ødegaard", "Lis",
                       "Łukasiewicz", "Lewandowski", "Æbelø", "Adams"):
            factories.patient("Kim", family)
        db.session.commit()
    auth.login("reception")
    expected = ["Adams", "Æbelø", "Lewandowski", "Lis", "Łukasiewicz", "Ødegaard", "Olsen",
                "Ørsted", "Yildiz", "Yılmaz", "Zhang"]
    for sort, order in (("name", expected), ("-name", expected[::-1])):
        page = rows(client.get("/patients/", query_string={"sort": sort}))
        assert sorted(expected, key=lambda f: page.index(f"{f}, Kim")) == order, sort


def test_the_duplicate_check_matches_across_spellings(app, client, auth):
    auth.login("reception")
    register(client, given_name="Łukasz", family_name="Nowak", email="")
    page = register(client, given_name="Lukasz", family_name="NOWAK", email="")
    assert page.status_code == 409 and b"Possible duplicate" in page.data
    with app.app_context():
        born = date.fromisoformat(VALID["date_of_birth"])
        assert [p.given_name for p in services.likely_duplicates("lukasz", "nowak", born)] == [
            "Łukasz"]


def test_a_name_that_folds_longer_than_its_column_is_cut_not_refused(app, client, auth):
    auth.login("reception")
    long_name = "Æ" * 100
    assert register(client, given_name="Þ" * 100, family_name=long_name, preferred_name="Œ" * 100,
                    email="").status_code == 302
    assert long_name in rows(client.get("/patients/", query_string={"q": "aeae"}))


def test_names_folded_by_the_old_rule_are_found_after_the_migration(tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.test_adjuncts import insert, migrated_app, scratch_database
    # (given, preferred, family, search_name and sort_name as the old fold stored them)
    old = [("Emre", "", "Yılmaz", "emre yılmaz", "yılmaz emre"),
           ("Søren", "Søs", "Østergaard", "søren søs østergaard", "østergaard søren"),
           ("José", "", "Álvarez", "jose alvarez", "alvarez jose"),
           ("Ana", "", "Lee", "ana lee", "lee ana")]
    with scratch_database(tmp_path) as url:
        app = migrated_app(url)
        with app.app_context():
            upgrade(revision="0027")
            ids = {}
            for given, preferred, family, search, sort in old:
                ids[family] = insert("patient", given_name=given, preferred_name=preferred,
                                     family_name=family, search_name=search, sort_name=sort,
                                     date_of_birth=date(1980, 1, 1))
                with db.engine.begin() as conn:
                    conn.execute(sa.text("INSERT INTO patient_name_token (token, patient_id)"
                                         " VALUES (:t, :p)"),
                                 [{"t": t, "p": ids[family]} for t in set(search.split())])
            db.engine.dispose()
            upgrade()

            def found(q):
                return [p.family_name for p in db.session.scalars(services.search_query(q))]

            assert found("Yilmaz") == ["Yılmaz"] and found("yılmaz") == ["Yılmaz"]
            assert found("YILMAZ emre") == ["Yılmaz"]
            assert found("soren") == ["Østergaard"] and found("sos oster") == ["Østergaard"]
            assert found("alvarez") == ["Álvarez"] and found("lee") == ["Lee"]
            assert found("") == ["Álvarez", "Lee", "Østergaard", "Yılmaz"]  # by folded name
            with db.engine.connect() as conn:
                tokens = {}
                for patient_id, token in conn.execute(sa.text(
                        "SELECT patient_id, token FROM patient_name_token")):
                    tokens.setdefault(patient_id, set()).add(token)
                patients = {r.id: (r.search_name, r.sort_name) for r in conn.execute(sa.text(
                    "SELECT id, search_name, sort_name FROM patient"))}
            assert tokens == {ids["Yılmaz"]: {"emre", "yilmaz"},
                              ids["Østergaard"]: {"soren", "sos", "ostergaard"},
                              ids["Álvarez"]: {"jose", "alvarez"}, ids["Lee"]: {"ana", "lee"}}
            assert patients[ids["Yılmaz"]] == ("emre yilmaz", "yilmaz emre")
            assert patients[ids["Østergaard"]] == ("soren sos ostergaard", "ostergaard soren")
            assert patients[ids["Lee"]] == ("ana lee", "lee ana")
            db.session.remove()
            downgrade(revision="0027")  # nothing to undo; the step back works
            db.engine.dispose()
