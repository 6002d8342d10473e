"""Weekly check-ins between visits: a check-in answered from the private link is a scored
reading of its plan's course, so it moves the course's outcome on the summary and the dashboard
alike (one engine); the link keeps the intake's privacy rules; every write is audited."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker import clock
from tracker.audit.models import AuditEntry
from tracker.checkins import services as checkins
from tracker.checkins.models import Checkin
from tracker.clinical.outcome_rule import CATEGORY_LABELS
from tracker.extensions import db
from tracker.measurements import services as measurements
from tracker.measurements.models import Measurement
from tracker.plans.models import TreatmentPlan
from tracker.reports import dashboard, plan_outcomes, summary

AVERAGE = ("nrs", "average_week")


def course(patient, user, pains, *, days_ago, average=None):
    """A plan whose sessions 1, 2 ... were a week apart from `days_ago` days ago, with an intake
    average pain (the course baseline) three days before its first session when given."""
    start = clock.now() - timedelta(days=days_ago)
    if average is not None:
        measurements.add(patient.id, "nrs", average, source="intake",
                         taken_at=start - timedelta(days=3), time_frame="average_week")
    plan = factories.plan_row(patient, user, start_on=clock.local_date(start))
    for number, pain in enumerate(pains, start=1):
        visit = factories.appointment(patient, user, start + timedelta(weeks=number - 1),
                                      plan=plan, number=number)
        factories.signed_session(patient, user, visit, pain_before=pain, pain_after=pain)
    return plan


def make_link(client, plan_id: int) -> str:
    page = client.post(f"/plans/{plan_id}/checkin/link")
    assert page.status_code == 200, page.text[:300]
    # The settings form beside the link shows what is saved (or the defaults), not the post.
    assert re.search(r'<input[^>]*checked[^>]*value="nrs_average_week"|'
                     r'<input[^>]*value="nrs_average_week"[^>]*checked', page.text)
    return re.search(r'value="https://localhost/c/([A-Za-z0-9_-]+)"', page.text).group(1)


def answer(app, token: str, average: int, enjoyment: int = 5, activity: int = 5,
           sleep: int = 5, days: int = 2):
    """The patient's phone: open the link (a browser of its own), answer, send."""
    phone = app.test_client()
    opened = phone.get(f"/c/{token}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/checkin")
    assert token not in opened.headers["Location"]
    form = phone.get("/checkin")
    assert form.status_code == 200 and "Your weekly check-in" in form.text
    sent = phone.post("/checkin", data={"nrs_average_week": average, "peg_enjoyment": enjoyment,
                                        "peg_activity": activity, "sleep": sleep,
                                        "medication_days": days})
    assert sent.status_code == 302, sent.text[:500]
    return phone


def figures(app, patient_id: int, plan_id: int):
    """The course's average-pain outcome as the summary tells it, and its dashboard row."""
    with app.app_context():
        patient = db.session.get(summary.Patient, patient_id)
        built = summary.build(patient, db.session.get(TreatmentPlan, plan_id))
        found = next(o for o in built.outcomes if (o.instrument, o.time_frame) == AVERAGE)
        row = plan_outcomes.compute(TreatmentPlan.id == plan_id)[0]
        stored = db.session.get(plan_outcomes.PlanOutcome, plan_id)
        return found, row, stored


CASES = [  # intake average pain, check-in average pain, category
    (10, 7, "responder"),        # exactly 30 % and 3 points
    (8, 4, "substantial"),       # exactly 50 %
    (7, 5, "minimal"),           # 28.6 %: just under
    (3, 2, "not_responder_small"),  # 33 % but 1 point: under the 2-point floor
]


@pytest.mark.parametrize(("baseline", "checked", "category"), CASES)
def test_a_checkin_moves_the_course_outcome_on_summary_and_dashboard_alike(
        app, client, auth, baseline, checked, category):
    user_id = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient("Ayşe", "Yılmaz")
        plan = course(patient, user_id, [6, 6], days_ago=10, average=baseline)
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    found, row, _ = figures(app, patient_id, plan_id)
    assert found.latest is None and row["measure"] == "nrs_now"  # nothing after the baseline

    answer(app, make_link(client, plan_id), checked)
    found, row, stored = figures(app, patient_id, plan_id)
    assert found.latest.source == "checkin" and found.latest.value == checked
    assert found.baseline.source == "intake" and found.category == category
    responder = found.responder
    assert responder == (category in ("responder", "substantial"))
    # The dashboard row, by the same engine: the check-in counts at visit 2 (it followed it).
    assert row["measure"] == "nrs_average_week"
    assert row["m_first"] == (2 if responder else None) and row["m_last"] == 2
    assert row["m_state"] == "-" + ("R" if responder else "n")
    assert (stored.measure, stored.m_first, stored.m_state) == (
        row["measure"], row["m_first"], row["m_state"])  # recomputed in the answer's commit
    page = client.get(f"/reports/patients/{patient_id}/summary?plan={plan_id}").text
    line = re.search(r"Average pain, past 7 days.*?</tr>", page, re.S).group(0)
    assert CATEGORY_LABELS[category] in line and "weekly check-in" in line
    assert 'class="point-checkin"' in page and f'data-value="{checked}"' in page
    with app.app_context():
        evidence = dashboard.compute(within=2).evidence
    assert evidence.measures == {"nrs_average_week": 1}
    assert (evidence.completers.part, evidence.completers.whole) == (int(responder), 1)
    board = client.get("/reports/outcomes?within=2").text
    assert "in weekly check-ins (1 course)" in board


def test_a_checkin_counts_only_in_its_own_course(app, client, auth):
    """Two courses of one patient at once: each plan's check-in moves that plan alone."""
    user_id = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient()
        back = course(patient, user_id, [6, 6], days_ago=10, average=8)
        neck = course(patient, user_id, [5, 5], days_ago=9)
        db.session.commit()
        patient_id, back_id, neck_id = patient.id, back.id, neck.id
    answer(app, make_link(client, back_id), 3)
    found, row, _ = figures(app, patient_id, back_id)
    assert found.category == "substantial" and row["measure"] == "nrs_average_week"
    found, row, _ = figures(app, patient_id, neck_id)
    assert found.latest is None and found.label == "Not measured again yet"
    assert row["measure"] == "nrs_now" and row["m_first"] is None
    neck_page = client.get(f"/reports/patients/{patient_id}/summary?plan={neck_id}").text
    assert 'class="point-checkin"' not in neck_page
    pdf = client.get(f"/reports/patients/{patient_id}/summary.pdf?plan={back_id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_a_checkin_before_the_first_session_never_counts(app, client, auth):
    user_id = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient()
        plan = factories.plan_row(patient, user_id)
        measurements.add(patient.id, "nrs", 8, source="intake", time_frame="average_week",
                         taken_at=clock.now() - timedelta(days=2))
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    answer(app, make_link(client, plan_id), 2)
    with app.app_context():
        user = db.session.get(factories.User, user_id)
        visit = factories.appointment(patient_id, user_id, clock.now() + timedelta(hours=1),
                                      plan=db.session.get(TreatmentPlan, plan_id), number=1)
        factories.signed_session(patient_id, user, visit, pain_before=7)
        db.session.commit()
    found, row, _ = figures(app, patient_id, plan_id)
    assert found.latest is None and row["measure"] == "nrs_now" and row["m_first"] is None


def test_the_link_keeps_the_intake_privacy_rules(app, client, auth):
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient()
        plan = course(patient, user_id, [6], days_ago=3, average=7)
        db.session.commit()
        plan_id = plan.id
    first = make_link(client, plan_id)
    token = make_link(client, plan_id)  # a new link for the same week replaces the first
    stranger = app.test_client()
    assert stranger.get(f"/c/{first}").status_code == 404
    assert stranger.get("/c/" + "x" * 43).status_code == 404
    assert stranger.get("/checkin").status_code == 403  # no cookie: open the link again
    with app.app_context():
        stored = db.session.scalars(select(Checkin)).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64
    phone = answer(app, token, 4)
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.source == "checkin"))
    assert rows == 4  # average pain, PEG-3 (sharing its first item), sleep, medicine days
    # Used: read-only. It shows what was sent and writes nothing, however it is sent again.
    again = phone.get("/checkin")
    assert again.status_code == 200 and "can no longer be changed" in again.text
    assert "<form" not in again.text.split("</header>", 1)[1]
    resent = phone.post("/checkin", data={"nrs_average_week": 0, "peg_enjoyment": 0,
                                          "peg_activity": 0, "sleep": 10, "medication_days": 0})
    assert resent.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.source == "checkin")) == rows
    # Expired: a week after it was due, on the link and on the cookie alike.
    with clock.freeze(clock.now() + timedelta(days=8)):
        assert app.test_client().get(f"/c/{token}").status_code == 410
        assert phone.get("/checkin").status_code == 410


def test_a_missing_answer_is_said_beside_the_question_and_nothing_is_stored(app, client, auth):
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient()
        plan = course(patient, user_id, [6], days_ago=3)
        db.session.commit()
        plan_id = plan.id
    phone = app.test_client()
    phone.get(f"/c/{make_link(client, plan_id)}")
    half = phone.post("/checkin", data={"nrs_average_week": 4, "sleep": 6})
    assert half.status_code == 400 and "Please choose a number" in half.text
    assert re.search(r'value="4"[^>]*checked|checked[^>]*value="4"', half.text)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.source == "checkin")) == 0
        assert db.session.scalars(select(Checkin)).one().answered_at is None


def test_answers_are_audited_as_the_link(app, client, auth):
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient()
        plan = course(patient, user_id, [6], days_ago=3, average=7)
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    answer(app, make_link(client, plan_id), 4)
    with app.app_context():
        checkin_id = db.session.scalars(select(Checkin.id)).one()
        who = f"patient (check-in link {checkin_id})"
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.user_email == who))
        seen = {(e.action, e.entity) for e in entries}
        made = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "Measurement", AuditEntry.action == "create")).all()
    assert ("open", "Checkin") in seen and ("update", "Checkin") in seen
    assert {e.user_email for e in made if e.patient_id == patient_id
            and (e.changes or {}).get("source") == "checkin"} == {who}


def test_the_plan_asks_only_the_measures_chosen_on_its_day(app, client, auth):
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient()
        plan = course(patient, user_id, [6], days_ago=3)
        db.session.commit()
        plan_id = plan.id
    page = client.get(f"/plans/{plan_id}/checkin")
    assert page.status_code == 200 and "Average pain, past 7 days (NRS 0-10)" in page.text
    bad = client.post(f"/plans/{plan_id}/checkin", data={"weekday": "2"})
    assert bad.status_code == 400 and "Choose at least one measure." in bad.text
    saved = client.post(f"/plans/{plan_id}/checkin", data={
        "weekday": "2", "measures": ["nrs_average_week", "sleep"], "active": "y"})
    assert saved.status_code == 302
    phone = app.test_client()
    phone.get(f"/c/{make_link(client, plan_id)}")
    form = phone.get("/checkin").text
    assert 'name="nrs_average_week"' in form and 'name="sleep"' in form
    assert 'name="peg_enjoyment"' not in form and 'name="medication_days"' not in form
    assert phone.post("/checkin", data={"nrs_average_week": 3, "sleep": 7}).status_code == 302
    with app.app_context():
        found = {(m.instrument, m.time_frame, m.value) for m in db.session.scalars(
            select(Measurement).where(Measurement.source == "checkin"))}
    assert found == {("nrs", "average_week", 3), ("sleep", "week", 7)}


def test_checkins_due_opens_each_week_once_and_queues_its_message(app, auth):
    outbox = pytest.importorskip("tracker.messages.outbox")  # the outbox of issue 18, item 1
    from tracker.messages.models import OutboundMessage
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient(email="ana@example.org")
        plan = course(patient, user_id, [6], days_ago=3)
        today = clock.today()
        checkins.set_schedule(plan, today.weekday(), ["nrs_average_week"], True,
                              db.session.get(factories.User, user_id))
        db.session.commit()
        early = clock.to_utc(today, checkins.SEND_HOUR) - timedelta(minutes=1)
        assert checkins.checkins_due(db.session, early) == []
        later = clock.to_utc(today, checkins.SEND_HOUR) + timedelta(hours=1)
        made = checkins.checkins_due(db.session, later)
        db.session.commit()
        assert len(made) == 1 and made[0].checkin.due_on == today
        assert checkins.checkins_due(db.session, later + timedelta(hours=3)) == []
        sent = db.session.scalars(select(OutboundMessage)).all()
        assert [(m.kind, m.recipient) for m in sent] == [("checkin", "ana@example.org")]
        body = outbox.open_content(sent[0]).text
        assert f"/c/{made[0].token}" in body and "pain" not in body.lower()
        assert checkins.find(made[0].token) is not None
        # A day asked for today that fell earlier this week waits for next week.
        checkins.set_schedule(plan, (today - timedelta(days=1)).weekday(),
                              ["nrs_average_week"], True, None)
        db.session.commit()
        assert checkins.checkins_due(db.session, later + timedelta(hours=4)) == []


def weekly_checkin_due_today(app, user_id: int):
    """Ana's course asks for a weekly check-in on today's weekday; returns an hour after the
    send hour, when it is due."""
    with app.app_context():
        patient = factories.patient(email="ana@example.org")
        plan = course(patient, user_id, [6], days_ago=3)
        today = clock.today()
        checkins.set_schedule(plan, today.weekday(), ["nrs_average_week"], True,
                              db.session.get(factories.User, user_id))
        db.session.commit()
        return clock.to_utc(today, checkins.SEND_HOUR) + timedelta(hours=1)


def test_the_queue_command_opens_the_weeks_checkins(app, auth, runner):
    pytest.importorskip("tracker.messages.outbox")
    user_id = auth.login("practitioner")
    ten = weekly_checkin_due_today(app, user_id)
    with clock.freeze(ten):
        assert runner.invoke(args=["checkins", "queue"]).output == "1 check-in queued.\n"
        assert runner.invoke(args=["checkins", "queue"]).output == "0 check-ins queued.\n"


def test_the_sender_opens_the_weeks_checkins_and_delivers_their_message(app, auth, smtp):
    """One cron line (`flask messages send`) is enough: the sender's run opens the week's check-ins
    before it sends, so the patient's link arrives in the same run."""
    from tests.mail_server import use_smtp
    user_id = auth.login("practitioner")
    ten = weekly_checkin_due_today(app, user_id)
    with clock.freeze(ten):
        with app.app_context():
            use_smtp(smtp)
            db.session.commit()
        first = app.test_cli_runner().invoke(args=["messages", "send"])
        again = app.test_cli_runner().invoke(args=["messages", "send"])
    assert "1 check-ins queued" in first.output and "0 check-ins queued" in again.output
    [message] = smtp.inbox.received
    assert "ana@example.org" in message["To"] and "/c/" in message.get_body().get_content()
