"""The patient register: validation, duplicates, search, sorting, pagination, archive."""
import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.extensions import db
from tracker.patients.models import Patient

VALID = {"given_name": "José", "family_name": "Álvarez", "date_of_birth": "1975-03-14",
         "sex": "male", "phone": "+44 20 7946 0958", "email": "jose@example.net",
         "primary_practitioner_id": "0"}


def count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Patient)).scalar_one()


def rows(response) -> str:
    """The text of the results table only (not flash messages left from earlier requests)."""
    return html.unescape(re.search(r"<tbody>(.*?)</tbody>", response.data.decode(), re.S).group(1))


def register(client, **changes):
    return client.post("/patients/new", data=VALID | changes)


def test_register_and_view_patient(app, client, auth):
    auth.login("reception")
    response = register(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "José Álvarez".encode() in page.data
    assert b"14 Mar 1975" in page.data


# A month ahead: collected before midnight and run after it, tomorrow would be today.
future = (date.today() + timedelta(days=30)).isoformat()
ancient = (date.today() - timedelta(days=121 * 366)).isoformat()


@pytest.mark.parametrize("field, value, message", [
    ("given_name", "", "Enter the patient's given (first) name."),
    ("family_name", "   ", "Enter the patient's family (last) name."),
    ("date_of_birth", "", "Enter the date of birth."),
    ("date_of_birth", "14/03/1975x", "Not a valid date value."),
    ("date_of_birth", future, "Date of birth cannot be in the future."),
    ("date_of_birth", ancient, "Date of birth cannot be more than 120 years ago."),
    ("email", "not-an-email", "Enter an email address like name@example.com."),
    ("phone", "call me maybe", "Enter a phone number using digits"),
    ("given_name", "x" * 101, "Field cannot be longer than 100 characters."),
    ("sex", "robot", "Not a valid choice."),
])
def test_invalid_input_is_explained_beside_the_field_and_nothing_saved(
        app, client, auth, field, value, message):
    auth.login("reception")
    response = register(client, **{field: value})
    assert response.status_code == 400
    assert message in html.unescape(response.data.decode())
    assert b'aria-invalid="true"' in response.data
    # Everything else the user typed comes back.
    for other in ("given_name", "family_name", "phone", "email"):
        if other != field:
            assert VALID[other].encode() in response.data
    assert count(app) == 0


def test_lenient_phone_formats_accepted(app, client, auth):
    auth.login("reception")
    for i, phone in enumerate(["(020) 7946-0958", "020.7946.0958", "+1 415 555 2671", ""]):
        assert register(client, phone=phone, given_name=f"P{i}").status_code == 302, phone


def test_likely_duplicate_is_shown_before_saving(app, client, auth):
    auth.login("reception")
    register(client)
    response = register(client, given_name="jose", family_name="ALVAREZ", phone="")
    assert response.status_code == 409
    assert b"Possible duplicate" in response.data
    assert count(app) == 1
    confirmed = register(client, given_name="jose", family_name="ALVAREZ",
                         confirm_duplicate="y")
    assert confirmed.status_code == 302
    assert count(app) == 2


def test_search_is_accent_and_case_insensitive_by_name_dob_and_phone(app, client, auth):
    auth.login("reception")
    register(client)
    register(client, given_name="Zoë", family_name="O'Connor", date_of_birth="1990-01-02",
             phone="07700 900123", email="")
    cases = {"jose": "Álvarez", "ALVAREZ": "Álvarez", "álv": "Álvarez", "zoe": "O'Connor",
             "1990-01-02": "O'Connor", "02/01/1990": "O'Connor", "900123": "O'Connor",
             "07700 900": "O'Connor", "o'con": "O'Connor"}
    for q, expected in cases.items():
        page = rows(client.get("/patients/", query_string={"q": q}))
        assert expected in page, q
        other = "O'Connor" if expected == "Álvarez" else "Álvarez"
        assert other not in page, q
    assert "No patient matches" in rows(client.get("/patients/", query_string={"q": "100%_"}))


def test_search_by_the_start_of_any_name_follows_edits(app, client, auth):
    """Every word typed must start one of the names (given, preferred or family); a renamed
    patient is found by the new name only; hostile queries are an empty list, not an error."""
    auth.login("reception")
    location = register(client, given_name="Mary-Jane", family_name="García López",
                        preferred_name="MJ").headers["Location"]
    register(client, given_name="Gareth", family_name="Lopes", date_of_birth="1980-01-01")

    def found(q):
        response = client.get("/patients/", query_string={"q": q})
        assert response.status_code == 200, q
        page = rows(response)
        return {name for name in ("García", "Gareth") if name in page}

    assert found("gar") == {"García", "Gareth"}
    assert found("lop") == {"García", "Gareth"}
    assert found("lópez") == {"García"} and found("mj") == {"García"}
    assert found("mary-j") == {"García"} and found("gar lop") == {"García", "Gareth"}
    assert found("gar lope") == {"García", "Gareth"} and found("gar lopez") == {"García"}
    assert found("arc") == set()  # the middle of a name is not its start
    for hostile in ("\x00gar", "gar\U0010ffff", "\U0010ffff", "\ud7ff", "%", "_", "' OR 1=1 --",
                    "<b>gar</b>", "g" * 500):
        found(hostile)
    edit = dict(VALID, given_name="Mary-Jane", family_name="Ng", preferred_name="")
    assert client.post(f"{location}/edit", data=edit).status_code == 302
    assert "Mary-Jane" not in rows(client.get("/patients/", query_string={"q": "garc"}))
    assert "Ng, Mary-Jane" in rows(client.get("/patients/", query_string={"q": "ng mary"}))


def test_name_tokens_are_backfilled_by_the_migration(tmp_path):
    """A clinic upgrading from 0006 finds its existing patients by name at once."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from tracker import create_app
    from tracker.patients import services
    url = f"sqlite:///{tmp_path}/upgrade.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40,
                      "TESTING": True})
    with app.app_context():
        upgrade(revision="0006")
        db.session.execute(sa.text(
            "INSERT INTO patient (given_name, family_name, preferred_name, date_of_birth, sex,"
            " gender, phone, email, address, emergency_contact_name, emergency_contact_phone,"
            " referring_physician, notes, search_name, phone_digits, sort_name, created_at)"
            " VALUES ('Zoë', 'O''Connor', '', '1990-01-02', 'unknown', '', '', '', '', '', '',"
            " '', '', 'zoe o''connor', '', 'o''connor zoe', '2026-01-01')"))
        db.session.commit()
        upgrade()
        names = [p.family_name for p in db.session.scalars(services.search_query("o'co zo"))]
        assert names == ["O'Connor"]
        downgrade(revision="0006")
        db.engine.dispose()


def test_pagination_and_sorting(make_app):
    app = make_app(PATIENTS_PER_PAGE=5)
    from tests.conftest import Auth, Client
    app.test_client_class = Client
    client = app.test_client()
    Auth(app, client).login("reception")
    with app.app_context():
        for i in range(12):
            factories.patient(f"Name{i:02d}", f"Fam{i:02d}")
        db.session.commit()
    first = client.get("/patients/")
    assert "Fam00" in rows(first) and "Fam05" not in rows(first)
    assert "Page 1 of 3" in first.data.decode()
    assert "Fam11" in rows(client.get("/patients/?page=3"))
    reverse = rows(client.get("/patients/?sort=-name"))
    assert reverse.index("Fam11") < reverse.index("Fam10")


def test_archive_and_restore_never_deletes(app, client, auth):
    auth.login("reception")
    location = register(client).headers["Location"]
    patient_id = int(location.rstrip("/").split("/")[-1])
    client.post(f"/patients/{patient_id}/archive")
    assert "Álvarez" not in rows(client.get("/patients/"))
    assert "Álvarez" in rows(client.get("/patients/?archived=1"))
    client.post(f"/patients/{patient_id}/archive", data={"restore": "1"})
    assert "Álvarez" in rows(client.get("/patients/"))
    assert count(app) == 1


def test_edit_keeps_changes_and_rejects_bad_input(app, client, auth):
    auth.login("reception")
    location = register(client).headers["Location"]
    edit_url = location + "/edit"
    form = client.get(edit_url).data.decode()
    assert 'value="José"' in form
    bad = client.post(edit_url, data=VALID | {"email": "nope", "phone": "+44 1"})
    assert bad.status_code == 400
    good = client.post(edit_url, data=VALID | {"preferred_name": "Pepe"})
    assert good.status_code == 302
    assert "Pepe" in client.get(location).data.decode()
