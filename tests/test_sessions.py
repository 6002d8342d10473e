"""Session records: prefill, validation, computed insertions, safety confirmations, sign and
amend, conflicting edits, re-evaluations, autosave, timeline and role limits."""
import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests import factories
from tests.conftest import Client, make_user
from tests.test_fuzz import HOSTILE
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.measurements.models import Measurement
from tracker.schedule.models import Appointment
from tracker.sessions.models import Amendment, SafetyConfirmation, SessionRecord
from tracker.timeutil import utcnow


@pytest.fixture
def world(app, auth):
    """A practitioner (logged in), a patient with an active plan and today's appointment."""
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient("Hannah", "Eriksen", date(1975, 1, 2))
        plan = factories.plan_row(patient, user_id, sessions_planned=10, reeval_every=6,
                                  points=[("BL23", "bilateral"), ("GB30", "left")])
        appointment = factories.appointment(patient, user_id, plan=plan, number=4)
        db.session.commit()
        return {"patient": patient.id, "plan": plan.id, "appointment": appointment.id,
                "user": user_id}


def open_record(client, world) -> tuple[int, str]:
    response = client.post(f"/appointments/{world['appointment']}/session")
    assert response.status_code == 302
    session_id = int(re.search(r"/sessions/(\d+)/edit", response.headers["Location"]).group(1))
    return session_id, client.get(f"/sessions/{session_id}/edit").text


def payload(page: str, **changes) -> dict:
    """The form as the browser would send it after the practitioner's entries."""
    data = {"version": re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        if "points-" in name and name.endswith("-point"):
            data[name] = value
    for name, value in re.findall(r'name="(points-\d+-side)".*?<option selected value="(\w+)"',
                                  page, re.S):
        data[name] = value
    data |= {"pain_before": "6", "pain_after": "3", "retention_minutes": "25",
             "stimulation": "manual", "manual_technique": "even", "response_sought": "de_qi",
             "style": "tcm", "adverse": "none", "needles_reconciled": "y",
             "adverse_events-0-severity": "mild"}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def count(app, model, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return db.session.execute(stmt).scalar_one()


def test_opening_from_the_appointment_prefills_plan_points_and_marks_attended(
        app, client, world):
    session_id, page = open_record(client, world)
    assert 'value="BL23"' in page and 'value="GB30"' in page
    assert "session 4 of 10" in page
    with app.app_context():
        assert db.session.get(Appointment, world["appointment"]).status == "attended"
    # Opening again reaches the same record.
    again = client.post(f"/appointments/{world['appointment']}/session")
    assert again.headers["Location"].endswith(f"/sessions/{session_id}/edit")


def test_pain_before_is_required_and_typing_is_kept(app, client, world):
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, pain_before=None, subjective="Slept better this week", action="save"))
    assert response.status_code == 400
    assert "Record the pain before needling." in response.text
    assert "Slept better this week" in response.text
    assert count(app, Measurement) == 0


def test_points_by_code_alias_pinyin_or_place_and_insertions_computed(app, client, world):
    session_id, page = open_record(client, world)
    data = payload(page, **{"points-2-point": "li-4", "points-2-side": "left",
                            "points-3-point": "Zusanli", "points-3-side": "right"})
    data |= {"points-0-point": "UB23", "points-4-point": "Ashi: left trapezius",
             "points-4-side": "left", "extra_insertions": "2", "action": "save"}
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 302, response.text
    with app.app_context():
        record = db.session.get(SessionRecord, session_id)
        assert [(p.code, p.location, p.side) for p in record.points] == [
            ("BL23", "", "bilateral"), ("GB30", "", "left"), ("LI4", "", "left"),
            ("ST36", "", "right"), (None, "Ashi: left trapezius", "left")]
        assert record.insertions == 2 + 1 + 1 + 1 + 1 + 2
        from tracker.audit.models import AuditEntry
        point_entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "SessionPoint")).all()
        assert point_entries and {e.patient_id for e in point_entries} == {world["patient"]}


def test_midline_points_count_one_needle_whatever_side_was_left(app, client, world):
    session_id, page = open_record(client, world)
    data = payload(page, **{"points-2-point": "Du20", "points-2-side": "bilateral",
                            "points-3-point": "CV12", "points-3-side": "left",
                            "points-4-point": "EX-HN3", "points-4-side": "bilateral",
                            "extra_insertions": "0", "action": "save"})
    assert client.post(f"/sessions/{session_id}/edit", data=data).status_code == 302
    with app.app_context():
        record = db.session.get(SessionRecord, session_id)
        assert [(p.code, p.side) for p in record.points] == [
            ("BL23", "bilateral"), ("GB30", "left"), ("GV20", "midline"), ("CV12", "midline"),
            ("EX-HN3", "midline")]
        assert record.insertions == 2 + 1 + 1 + 1 + 1
    edit = client.get(f"/sessions/{session_id}/edit").text
    assert re.search(r'name="points-2-side".*?<option selected value="midline"', edit, re.S)
    assert re.search(r"Insertions \(computed\): <strong data-insertions>6<", edit)
    # A form sent back with an error already shows midline and the count it will save.
    data.pop("pain_before")
    data["version"] = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    again = client.post(f"/sessions/{session_id}/edit", data=data)
    assert again.status_code == 400
    assert re.search(r'name="points-2-side".*?<option selected value="midline"', again.text,
                     re.S)
    assert re.search(r"Insertions \(computed\): <strong data-insertions>6<", again.text)


def test_the_record_says_what_response_was_sought_and_whether_it_was_obtained(
        app, client, world):
    def shown(session_id) -> str:
        view = client.get(f"/sessions/{session_id}").text
        return " ".join(re.sub(r"<[^>]+>", " ", view).split())

    session_id, page = open_record(client, world)
    assert client.post(f"/sessions/{session_id}/edit", data=payload(
        page, response_sought="de_qi", response_obtained=None,
        action="sign")).status_code == 302
    view = shown(session_id)
    assert "Response sought De qi · obtained: not recorded" in view
    assert "Response De qi" not in view
    # The STRICTA items carry the labels of sessions/stricta.py.
    assert "Needles inserted 3" in view and "Retention (min) 25" in view
    with app.app_context():
        record = factories.signed_session(world["patient"], world["user"],
                                          response_sought="de_qi", response_obtained=True)
        got = factories.signed_session(world["patient"], world["user"],
                                       response_sought="twitch", response_obtained=False)
        none = factories.signed_session(world["patient"], world["user"],
                                        response_sought="none")
        db.session.commit()
        ids = record.id, got.id, none.id
    assert "Response sought De qi · obtained: yes" in shown(ids[0])
    assert "Response sought Local twitch response · obtained: no" in shown(ids[1])
    assert "Response sought None sought Stimulation" in shown(ids[2])


def test_unknown_code_is_an_error_not_a_silent_place(client, world):
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, **{"points-2-point": "LI99", "action": "save"}))
    assert response.status_code == 400 and "LI99 is not a WHO point code" in response.text


def test_pregnancy_point_asks_for_a_recorded_confirmation(app, client, world):
    with app.app_context():
        db.session.add(SafetyFlag(patient_id=world["patient"], kind="pregnancy",
                                  detail="12 weeks"))
        db.session.commit()
    session_id, page = open_record(client, world)
    assert "Pregnancy" in page  # the flag sits at the top of the form
    data = payload(page, **{"points-2-point": "LI4", "action": "sign"})
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 400
    assert "LI4 Hegu: pregnancy: traditionally forbidden" in response.text
    assert "BL23 Shenshu: a lumbosacral point" in response.text  # the plan's point, WHO 1999
    assert count(app, SafetyConfirmation) == 0
    response = client.post(f"/sessions/{session_id}/edit", data=data | {
        "confirm": ["pregnancy_point:LI4", "pregnancy_point:BL23"]})
    assert response.status_code == 302
    with app.app_context():
        confirmations = db.session.scalars(select(SafetyConfirmation)).all()
        assert sorted(c.rule for c in confirmations) == [
            "pregnancy_point:BL23", "pregnancy_point:LI4"]
        assert {c.confirmed_by_id for c in confirmations} == {world["user"]}
        assert db.session.get(SessionRecord, session_id).signed


def test_electro_with_a_pacemaker_and_long_retention_need_confirmation(app, client, world):
    with app.app_context():
        db.session.add(SafetyFlag(patient_id=world["patient"], kind="implanted_device"))
        db.session.commit()
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, stimulation="electrical", retention_minutes="75", action="save"))
    assert response.status_code == 400
    assert "implanted electronic device" in response.text
    assert "75 minutes is outside the usual 5-60" in response.text


def test_signing_needs_adverse_events_answered_and_needles_counted(app, client, world):
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, adverse=None, needles_reconciled=None, pain_after=None, action="sign"))
    assert response.status_code == 400
    assert "Ask how the pain is now" in response.text
    assert "choose “None” if none" in response.text.replace("&#34;", '"')
    assert "Count the needles out" in response.text
    with app.app_context():
        assert not db.session.get(SessionRecord, session_id).signed


def test_adverse_event_rows_are_stored(app, client, world):
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, adverse="some", action="sign", **{
            "adverse_events-0-kind": "bruising", "adverse_events-0-site": "LI4 left",
            "adverse_events-0-action": "pressure", "adjuncts-0-kind": "cupping-dry",
            "adjuncts-1-kind": "gua-sha"}))
    assert response.status_code == 302
    view = client.get(f"/sessions/{session_id}").text
    assert "<li>Cupping, dry</li><li>Gua sha</li>" in view and "Bruising / haematoma" in view
    with app.app_context():
        record = db.session.get(SessionRecord, session_id)
        assert [(a.kind, a.site) for a in record.adverse_events] == [("bruising", "LI4 left")]
        assert record.no_adverse_events is False


def test_signed_record_is_locked_and_only_amended_with_a_reason(app, client, world):
    session_id, page = open_record(client, world)
    assert client.post(f"/sessions/{session_id}/edit",
                       data=payload(page, action="sign")).status_code == 302
    assert client.get(f"/sessions/{session_id}/edit").headers["Location"].endswith(
        f"/sessions/{session_id}")
    client.post(f"/sessions/{session_id}/edit", data=payload(page, pain_before="9"))
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).pain_before == 6
    amend_page = client.get(f"/sessions/{session_id}/amend").text
    response = client.post(f"/sessions/{session_id}/amend",
                           data=payload(amend_page, pain_after="4", reason="", action="amend"))
    assert response.status_code == 400 and "Say why" in response.text
    response = client.post(f"/sessions/{session_id}/amend", data=payload(
        amend_page, pain_after="4", reason="Patient re-rated after resting", action="amend"))
    assert response.status_code == 302
    with app.app_context():
        amendment = db.session.scalars(select(Amendment)).one()
        assert amendment.changes == {"pain_after": [3, 4]}
        record = db.session.get(SessionRecord, session_id)
        assert record.pain_after == 4 and record.signed
    view = client.get(f"/sessions/{session_id}").text
    assert "Patient re-rated after resting" in view and "Amend" in view


def test_concurrent_edit_loses_nothing(app, make_app, client, world):
    session_id, page = open_record(client, world)
    other = make_user(app, "practitioner", "second@example.org")
    second = app.test_client()
    second.__class__ = Client
    second.environ_base.update({"REMOTE_ADDR": "10.0.0.2"})
    from tests.conftest import PASSWORD
    second.post("/login", data={"email": "second@example.org", "password": PASSWORD})
    page_b = second.get(f"/sessions/{session_id}/edit").text
    assert client.post(f"/sessions/{session_id}/edit", data=payload(
        page, subjective="A wrote this", action="save")).status_code == 302
    response = second.post(f"/sessions/{session_id}/edit", data=payload(
        page_b, subjective="B wrote this", action="save"))
    assert response.status_code == 409
    assert "B wrote this" in response.text and "A wrote this" in response.text
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).subjective == "A wrote this"
    # B merges and saves again, deliberately, with the version the conflict page carried.
    response = second.post(f"/sessions/{session_id}/edit", data=payload(
        response.text, subjective="A wrote this. B adds this", action="save"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).subjective.endswith("B adds this")
    assert other


def test_reevaluation_visit_requires_the_outcome_set_and_stores_it(app, client, world):
    with app.app_context():
        db.session.get(Appointment, world["appointment"]).number = 6
        db.session.commit()
    session_id, page = open_record(client, world)
    assert "Re-evaluation: outcome measures" in page
    response = client.post(f"/sessions/{session_id}/edit", data=payload(page, action="sign"))
    assert response.status_code == 400 and "record this measure" in response.text
    outcome = {"nrs_average_week": "4", "nrs_worst_week": "6", "peg_enjoyment": "3",
               "peg_activity": "5", "sleep": "7", "pgic": "2", "medication_days": "1",
               "reeval_decision": "continue", "action": "sign"}
    response = client.post(f"/sessions/{session_id}/edit", data=payload(page, **outcome))
    assert response.status_code == 302
    with app.app_context():
        rows = {(m.instrument, m.time_frame): m for m in db.session.scalars(
            select(Measurement).where(Measurement.session_id == session_id))}
        assert rows[("nrs", "now")].value == 6 and rows[("nrs", "now")].source == "session"
        assert rows[("nrs", "after_needling")].value == 3
        assert rows[("peg3", "")].value == 4.0 and rows[("peg3", "")].source == "reevaluation"
        assert rows[("pgic", "")].value == 2 and rows[("sleep", "week")].value == 7
        assert db.session.get(SessionRecord, session_id).reeval_decision == "continue"


def test_autosave_keeps_typing_without_breaking_the_next_save(app, client, world):
    session_id, page = open_record(client, world)
    data = payload(page, subjective="Typed before the phone rang")
    assert client.post(f"/sessions/{session_id}/autosave", data=data).status_code == 200
    restored = client.get(f"/sessions/{session_id}/edit").text
    assert "Typed before the phone rang" in restored and "were restored" in restored
    assert client.post(f"/sessions/{session_id}/edit", data=data | {"action": "save"}
                       ).status_code == 302
    with app.app_context():
        record = db.session.get(SessionRecord, session_id)
        assert record.subjective == "Typed before the phone rang" and record.draft is None


def test_next_visit_is_prefilled_from_the_previous_one(app, client, world):
    session_id, page = open_record(client, world)
    client.post(f"/sessions/{session_id}/edit", data=payload(
        page, retention_minutes="30", needle_type="0.25 x 40 mm Seirin", action="sign"))
    response = client.post(f"/patients/{world['patient']}/sessions/new")
    walk_in = client.get(response.headers["Location"]).text
    assert 'value="30"' in walk_in and "0.25 x 40 mm Seirin" in walk_in
    assert 'value="BL23"' in walk_in  # no appointment: points from the previous visit


def test_timeline_newest_first_and_unsigned_old_records_on_dashboard(app, client, world):
    session_id, page = open_record(client, world)
    client.post(f"/sessions/{session_id}/edit", data=payload(page, action="save"))
    with app.app_context():
        record = db.session.get(SessionRecord, session_id)
        record.created_at = utcnow() - timedelta(hours=30)
        record.visit_on = date.today() - timedelta(days=2)
        factories.signed_session(world["patient"], world["user"], visit_on=date.today(),
                                 pain_before=2, pain_after=None)
        db.session.commit()
    patient_page = client.get(f"/patients/{world['patient']}").text
    rows = re.findall(r'/sessions/(\d+)">', patient_page)
    assert rows[:2] == [str(session_id + 1), str(session_id)]
    assert "6 → 3" in patient_page
    assert "Unsigned session records" in client.get("/").text


def test_reception_never_sees_a_session_record(app, client, auth, world):
    session_id, page = open_record(client, world)
    client.post(f"/sessions/{session_id}/edit", data=payload(page, action="sign"))
    auth.logout()
    auth.login("reception")
    for url in (f"/sessions/{session_id}", f"/sessions/{session_id}/edit",
                f"/patients/{world['patient']}/sessions", f"/sessions/{session_id}/amend"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/appointments/{world['appointment']}/session").status_code == 403
    assert "Sessions" not in client.get(f"/patients/{world['patient']}").text


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_input_never_breaks_the_session_form(app, client, world, data):
    if not getattr(client, "_session_page", None):
        client._session_page = open_record(client, world)
    session_id, page = client._session_page
    base = payload(page)
    fields = list(base) + ["points-0-retention_minutes", "extra_insertions", "confirm",
                           "adverse_events-0-kind", "pgic", "reason"]
    hostile = {name: data.draw(HOSTILE) for name in fields if data.draw(st.booleans())}
    with app.app_context():
        signed_before = db.session.get(SessionRecord, session_id).signed
    response = client.post(f"/sessions/{session_id}/edit", data=base | hostile)
    assert response.status_code < 500, hostile
    if signed_before:
        return


@pytest.mark.parametrize(("change", "message"), [
    ({"pain_before": "11"}, "Not a valid choice"),
    ({"pain_after": "-1"}, "Not a valid choice"),
    ({"retention_minutes": "500"}, "between 0 and 240"),
    ({"retention_minutes": "twenty"}, "Not a valid integer"),
    ({"extra_insertions": "-3"}, "between 0 and 200"),
    ({"points-0-retention_minutes": "999"}, "between 0 and 240"),
    ({"stimulation": "laser"}, "Not a valid choice"),
    ({"points-0-side": "both"}, "Not a valid choice"),
    ({"adverse": "some", "adverse_events-0-site": "left hand"}, "Choose what happened"),
    ({"response_obtained": "maybe"}, "Not a valid choice"),
    ({"subjective": "x" * 8001}, "8000"),
])
def test_every_field_is_validated_beside_the_field(app, client, world, change, message):
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, **({"subjective": "kept text"} | change | {"action": "save"})))
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    if "subjective" not in change:
        assert "kept text" in response.text
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).pain_before is None


def test_html_in_notes_is_escaped_on_every_page_it_reaches(app, client, world):
    payload_html = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    session_id, page = open_record(client, world)
    client.post(f"/sessions/{session_id}/edit", data=payload(
        page, subjective=payload_html, action="sign", **{
            "points-2-point": "Ashi: <b>neck</b>"}))
    for url in (f"/sessions/{session_id}", f"/patients/{world['patient']}",
                f"/patients/{world['patient']}/sessions", f"/sessions/{session_id}/amend"):
        text = client.get(url).text
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>neck" not in text


def test_a_future_appointment_cannot_be_recorded_ahead_of_time(app, client, world):
    with app.app_context():
        db.session.get(Appointment, world["appointment"]).starts_at = utcnow() + timedelta(
            days=2)
        db.session.commit()
    page = client.get(f"/schedule/appointments/{world['appointment']}").text
    assert "can be started on the day" in page and "Start the session record" not in page
    assert client.post(f"/appointments/{world['appointment']}/session").status_code == 400
    with app.app_context():
        assert db.session.get(Appointment, world["appointment"]).status == "scheduled"
        assert count(app, SessionRecord) == 0
