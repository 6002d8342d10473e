"""Other treatments (electro, moxa, cupping ...) as rows of a session, declared once in
clinical.modalities: recorded, shown, carried forward, amended, warned about, and migrated from
the old electro columns."""
import contextlib
import json
import os
import re
from datetime import date, datetime

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.test_fuzz import HOSTILE
from tests.test_sessions import open_record, payload
from tests.test_sessions import world as world  # noqa: F401  (the fixture)
from tracker.clinical import modalities, tcm
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.sessions import rules
from tracker.sessions.forms import AdjunctRow
from tracker.sessions.models import Amendment, SessionAdjunct, SessionRecord
from tracker.timeutil import utcnow

ELECTRO = {"adjuncts-0-kind": "electro", "adjuncts-0-site": "BL23-BL25 left",
           "adjuncts-0-hz": "2/100", "adjuncts-0-waveform": "dense_disperse",
           "adjuncts-0-intensity": "to comfortable tingling", "adjuncts-0-minutes": "20"}
MOXA = {"adjuncts-1-kind": "moxa-direct", "adjuncts-1-site": "ST36 both",
        "adjuncts-1-cones": "5"}


def rows(app, session_id):
    with app.app_context():
        return [(a.kind, a.site, a.minutes, a.settings) for a in db.session.scalars(
            select(SessionAdjunct).where(SessionAdjunct.session_id == session_id)
            .order_by(SessionAdjunct.position))]


def test_one_declaration_serves_plans_sessions_and_the_form():
    assert tcm.MODALITIES == modalities.LABELS   # the plan form's list is this one
    assert {"electro", "moxa-direct", "cupping-wet", "gua-sha", "heat-lamp"} <= set(
        modalities.MODALITIES)
    kinds: dict[str, str] = {}
    for modality in modalities.MODALITY_LIST:
        for param in modality.params:
            assert param.name not in ("kind", "site", "minutes", "remove")
            assert kinds.setdefault(param.name, param.kind) == param.kind, param.name
            assert hasattr(AdjunctRow, param.name)   # the form derives a field for each
    assert modalities.describe("electro", "BL23-BL25", 20, {
        "hz": "2/100", "waveform": "dense_disperse", "intensity": "mild"}) == (
        "Electroacupuncture: BL23-BL25, 2/100 Hz, Dense-disperse, mild, 20 min")
    assert modalities.describe("gua-sha") == "Gua sha"
    assert modalities.clean_settings("moxa-direct", {"cones": 5, "hz": "9"}) == {"cones": 5}


def test_safety_warnings_come_from_the_rows_and_the_declaration():
    def rules_for(flags, kinds, stimulation="manual"):
        return {w.rule for w in rules.safety_warnings(set(flags), [], [stimulation], [20],
                                                      kinds)}
    assert rules_for({"implanted_device", "epilepsy"}, ["electro"]) == {
        "electro_device", "electro_epilepsy"}
    assert rules_for({"implanted_device"}, [], "electrical") == {"electro_device"}
    assert rules_for({"pregnancy"}, ["electro"]) == {"electro_pregnancy"}
    assert rules_for({"bleeding_risk"}, ["cupping-wet", "cupping-dry"]) == {
        "wet_cupping_bleeding"}
    assert rules_for({"bleeding_risk"}, ["cupping-dry", "moxa-direct"]) == set()
    assert rules_for(set(), ["electro", "cupping-wet"]) == set()


def test_electro_and_moxa_recorded_shown_carried_forward_and_amended(app, client, world):
    session_id, page = open_record(client, world)
    assert "Add a treatment" in page and 'name="electro_hz"' not in page
    # "Add" works without script: the server answers with a row of that kind and its fields.
    added = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, action="add_adjunct", adjunct_add="electro"))
    assert added.status_code == 200
    assert 'name="adjuncts-0-kind" type="hidden" value="electro"' in added.text
    for label in ("Point pairs", "Frequency (Hz)", "Waveform", "Intensity", "Minutes"):
        assert f">{label}</label>" in added.text, label
    assert 'name="adjuncts-0-cones"' not in added.text
    added = client.post(f"/sessions/{session_id}/edit", data=payload(
        added.text, action="add_adjunct", adjunct_add="moxa-direct", **ELECTRO))
    assert 'name="adjuncts-1-kind" type="hidden" value="moxa-direct"' in added.text
    assert 'name="adjuncts-1-cones"' in added.text and 'name="adjuncts-1-hz"' not in added.text
    assert 'value="2/100"' in added.text   # the first row's typing is kept

    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        added.text, action="sign", **ELECTRO, **MOXA))
    assert response.status_code == 302, response.text
    assert rows(app, session_id) == [
        ("electro", "BL23-BL25 left", 20, {"hz": "2/100", "waveform": "dense_disperse",
                                           "intensity": "to comfortable tingling"}),
        ("moxa-direct", "ST36 both", None, {"cones": 5})]
    view = client.get(f"/sessions/{session_id}").text
    assert ("Electroacupuncture: BL23-BL25 left, 2/100 Hz, Dense-disperse, to comfortable "
            "tingling, 20 min") in view
    assert "Moxibustion, direct: ST36 both, 5 cones" in view
    timeline = client.get(f"/patients/{world['patient']}/sessions").text
    assert "Electroacupuncture, Moxibustion, direct" in timeline

    # The next visit starts from these rows, as it does from the points.
    walk_in = client.get(client.post(
        f"/patients/{world['patient']}/sessions/new").headers["Location"]).text
    assert 'name="adjuncts-0-kind" type="hidden" value="electro"' in walk_in
    assert 'value="BL23-BL25 left"' in walk_in and 'value="2/100"' in walk_in
    assert re.search(r'name="adjuncts-1-cones"[^>]*value="5"', walk_in)

    # An amendment: new frequency, moxa removed; both versions kept.
    amend_page = client.get(f"/sessions/{session_id}/amend").text
    assert 'value="2/100"' in amend_page and 'value="ST36 both"' in amend_page
    response = client.post(f"/sessions/{session_id}/amend", data=payload(
        amend_page, action="amend", reason="Frequency misread",
        **ELECTRO | MOXA | {"adjuncts-0-hz": "10", "adjuncts-1-remove": "y"}))
    assert response.status_code == 302, response.text
    assert [(kind, values["hz"]) for kind, _, _, values in rows(app, session_id)] == [
        ("electro", "10")]
    with app.app_context():
        amendment = db.session.scalars(select(Amendment)).one()
        before, after = amendment.changes["adjuncts"]
        assert before[1] == "Moxibustion, direct: ST36 both, 5 cones"
        assert after == ["Electroacupuncture: BL23-BL25 left, 10 Hz, Dense-disperse, to "
                         "comfortable tingling, 20 min"]
        assert set(amendment.changes) == {"adjuncts"}
        from tracker.audit.models import AuditEntry
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "SessionAdjunct")).all()
        assert entries and {e.patient_id for e in entries} == {world["patient"]}
    view = client.get(f"/sessions/{session_id}").text
    assert "Frequency misread" in view and "10 Hz" in view


def test_a_kind_chosen_but_not_added_is_kept_and_unknown_kinds_are_refused(app, client, world):
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, action="save", adjunct_add="gua-sha"))
    assert response.status_code == 302
    assert rows(app, session_id) == [("gua-sha", "", None, {})]
    page = client.get(f"/sessions/{session_id}/edit").text
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, action="save", **{"adjuncts-0-kind": "laser", "adjuncts-0-site": "x"}))
    assert response.status_code == 400 and "Choose a treatment from the list." in response.text
    assert rows(app, session_id) == [("gua-sha", "", None, {})]


def test_adjunct_rows_ask_for_confirmations(app, client, world):
    with app.app_context():
        db.session.add_all([SafetyFlag(patient_id=world["patient"], kind="implanted_device"),
                            SafetyFlag(patient_id=world["patient"], kind="bleeding_risk")])
        db.session.commit()
    session_id, page = open_record(client, world)
    data = payload(page, action="sign", **{"adjuncts-0-kind": "electro",
                                           "adjuncts-1-kind": "cupping-wet",
                                           "adjuncts-1-cups": "4"})
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 400
    assert "implanted electronic device" in response.text
    assert "Wet cupping for a patient with a bleeding risk." in response.text
    response = client.post(f"/sessions/{session_id}/edit", data=data | {
        "confirm": ["electro_device", "wet_cupping_bleeding"]})
    assert response.status_code == 302
    assert [r[0] for r in rows(app, session_id)] == ["electro", "cupping-wet"]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_adjunct_rows_never_break_the_form(app, client, world, data):
    if not getattr(client, "_session_page", None):
        client._session_page = open_record(client, world)
    session_id, page = client._session_page
    names = ["adjuncts-0-kind", "adjuncts-0-site", "adjuncts-0-minutes", "adjuncts-0-hz",
             "adjuncts-0-waveform", "adjuncts-0-cones", "adjuncts-0-remove", "adjunct_add",
             "adjuncts-7-kind", "adjuncts-7-details"]
    hostile = {name: data.draw(HOSTILE) for name in names if data.draw(st.booleans())}
    action = data.draw(st.sampled_from(["save", "add_adjunct"]))
    with app.app_context():
        version = str(db.session.get(SessionRecord, session_id).version)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, action=action, version=version, **{"adjuncts-0-kind": "electro"} | hostile))
    assert response.status_code in (200, 302, 400), response.status_code
    for kind, site, _, values in rows(app, session_id):
        assert kind in modalities.MODALITIES and len(site) <= 200
        assert set(values) <= {p.name for p in modalities.MODALITIES[kind].params}


# Migration: a database at 0011 with the old columns, upgraded to the head.

@contextlib.contextmanager
def scratch_database(tmp_path):
    """An empty database of the kind the suite runs on (a second PostgreSQL database when
    TRACKER_TEST_DATABASE_URL is PostgreSQL), for walking migrations up and down."""
    url = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path}/migrate.sqlite"
        return
    base = sa.engine.make_url(url)
    name = f"{base.database}_migrate"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def insert(table_name: str, **values) -> int:
    """A row with the given values; every other required column gets a plain value."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=db.engine)
    row = {}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        try:
            python = list if isinstance(column.type, sa.JSON) else column.type.python_type
        except NotImplementedError:
            python = str
        row[column.name] = {str: "", int: 0, bool: False, list: [], date: date(2026, 1, 1),
                            datetime: utcnow()}.get(python, "")
    row |= values
    with db.engine.begin() as conn:
        return conn.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()


def migrated_app(url):
    from tracker import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40,
                       "TESTING": True})


def test_electro_columns_and_the_adjunct_list_migrate_to_rows_and_back(tmp_path):
    from flask_migrate import downgrade, upgrade
    with scratch_database(tmp_path) as url:
        app = migrated_app(url)
        with app.app_context():
            upgrade(revision="0011")
            user = insert("user", email="p@example.org", role="practitioner")
            patient = insert("patient", given_name="Ana", family_name="Lee")

            def old_record(visit_on, stimulation="manual", **values):
                return insert("session_record", patient_id=patient, practitioner_id=user,
                              status="signed", visit_on=visit_on, stimulation=stimulation,
                              **values)

            electro = old_record(
                date(2026, 3, 2), "electrical", electro_pairs="BL23-BL25 left",
                electro_hz="2/100", electro_waveform="dense_disperse",
                electro_intensity="tingling", electro_minutes=20,
                adjuncts=["moxa-indirect", "cupping-wet"])
            plain = old_record(date(2026, 3, 9))
            listed = old_record(date(2026, 3, 16), adjuncts=["electro", "gua-sha"])
            # A child row: dropping columns must not trip session_record's foreign keys.
            insert("session_point", session_id=electro, code="BL23", side="bilateral")
            db.engine.dispose()
            upgrade()
            assert rows(app, electro) == [
                ("electro", "BL23-BL25 left", 20, {"hz": "2/100", "waveform": "dense_disperse",
                                                   "intensity": "tingling"}),
                ("moxa-indirect", "", None, {}), ("cupping-wet", "", None, {})]
            assert rows(app, plain) == []
            assert rows(app, listed) == [("electro", "", None, {}), ("gua-sha", "", None, {})]
            columns = {c["name"] for c in sa.inspect(db.engine).get_columns("session_record")}
            assert not columns & {"electro_pairs", "electro_hz", "adjuncts"}
            record = db.session.get(SessionRecord, electro)
            assert record.adjuncts[0].label.startswith("Electroacupuncture: BL23-BL25 left")
            db.session.remove()

            downgrade(revision="0011")
            with db.engine.connect() as conn:
                back = conn.execute(sa.text(
                    "SELECT id, electro_pairs, electro_hz, electro_waveform, electro_intensity,"
                    " electro_minutes, adjuncts FROM session_record ORDER BY id")).all()
            decoded = [(*r[:6], r[6] if isinstance(r[6], list) else json.loads(r[6]))
                       for r in back]
            assert decoded == [
                (electro, "BL23-BL25 left", "2/100", "dense_disperse", "tingling", 20,
                 ["moxa-indirect", "cupping-wet"]),
                (plain, "", "", "", "", None, []),
                (listed, "", "", "", "", None, ["gua-sha"])]
            db.engine.dispose()
