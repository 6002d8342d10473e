"""Cross-feature operations called directly, without a request: booking a plan's course,
changing its status, closure days, a patient's intake steps, saving and signing a session."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests.conftest import make_user
from tests.intake_helpers import ORDER, answers
from tracker import clock, courses, panels
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.intake import answering, steps
from tracker.intake import services as intake_services
from tracker.measurements.models import Measurement
from tracker.patients import services as patient_services
from tracker.plans import services as plan_services
from tracker.plans.models import PlanVersion
from tracker.schedule import recurrence
from tracker.schedule import services as schedule
from tracker.schedule.models import Appointment
from tracker.sessions import services as sessions
from tracker.sessions.forms import SessionForm
from tracker.sessions.models import Amendment, SafetyConfirmation

LONDON = ZoneInfo("Europe/London")
TUE, THU = 1, 3
MONDAY = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)  # the day before the course starts


@pytest.fixture
def now():
    state = {"now": MONDAY}
    with clock.freeze(lambda: state["now"]):
        yield state


@pytest.fixture
def world(app, now):
    """An app context (no request), a practitioner and two patients."""
    user_id = make_user(app, "practitioner", display_name="Mei Lin")
    with app.app_context():
        ana = patient_services.save(None, {"given_name": "Ana", "family_name": "Silva",
                                           "date_of_birth": date(1970, 5, 6)})
        ben = patient_services.save(None, {"given_name": "Ben", "family_name": "Okoro",
                                           "date_of_birth": date(1981, 2, 3)})
        db.session.flush()
        yield {"user": db.session.get(User, user_id), "ana": ana, "ben": ben}


def new_plan(world, **changes):
    data = {"conditions": "Low back pain", "weekdays": [TUE, THU], "start_time": time(9, 30),
            "minutes": 45, "start_on": date(2026, 10, 13), "sessions_planned": 10,
            "end_on": None, "reeval_every": 6, "interval_weeks": 1} | changes
    plan, _ = plan_services.save_plan(None, world["ana"].id, world["user"].id, data)
    return plan


def local(appointments):
    return [a.start_utc.astimezone(LONDON).strftime("%Y-%m-%d %a %H:%M") for a in appointments]


def diary(plan_id):
    return list(db.session.scalars(select(Appointment).where(
        Appointment.plan_id == plan_id, Appointment.status == "scheduled")
        .order_by(Appointment.starts_at)))


# --- Courses ----------------------------------------------------------------------------------

def test_activating_a_plan_books_its_course(world):
    plan = new_plan(world)
    booked = courses.book_course(plan.id, world["user"].id, {})
    db.session.commit()
    assert plan.status == "active"
    assert len(diary(plan.id)) == 10 and [a.number for a in diary(plan.id)] == list(range(1, 11))
    assert local(booked)[:3] == ["2026-10-13 Tue 09:30", "2026-10-15 Thu 09:30",
                                 "2026-10-20 Tue 09:30"]
    versions = db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id))
    assert [v.note for v in versions] == ["Activated"]


def test_a_clash_asks_for_a_choice_before_anything_is_booked(world):
    practitioner = world["user"].id
    first = recurrence.to_utc(date(2026, 10, 13), time(9, 30), LONDON)
    schedule.book(world["ben"].id, practitioner, first, 45)
    plan = new_plan(world, sessions_planned=2)
    db.session.commit()
    proposal = courses.propose(plan.id)
    assert "Ben Okoro" in proposal.slots[0].problems[0]
    with pytest.raises(ValueError):
        courses.book_course(plan.id, practitioner, {}, proposal)
    db.session.rollback()
    assert diary(plan.id) == []
    booked = courses.book_course(plan.id, practitioner, {0: "next"})
    assert local(booked) == ["2026-10-13 Tue 10:15", "2026-10-15 Thu 09:30"]


def test_discontinuing_takes_only_future_visits_off_the_diary(world, now):
    plan = new_plan(world)
    courses.book_course(plan.id, world["user"].id, {})
    db.session.commit()
    now["now"] = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)  # sessions 1-3 are past
    refused = courses.change_status(plan.id, "discontinued", " ", world["user"].id)
    assert refused.problem.startswith("Give a reason") and plan.status == "active"
    assert len(diary(plan.id)) == 10

    change = courses.change_status(plan.id, "discontinued", "Moved away", world["user"].id)
    db.session.commit()
    assert change.removed == 7 and not change.problem
    assert plan.status == "discontinued" and plan.status_reason == "Moved away"
    assert local(diary(plan.id)) == ["2026-10-13 Tue 09:30", "2026-10-15 Thu 09:30",
                                     "2026-10-20 Tue 09:30"]
    assert courses.change_status(plan.id, "active", "", None).problem  # no way back
    with pytest.raises(courses.NotBookable):
        courses.propose(plan.id)


def test_on_hold_then_resumed_books_the_sessions_still_to_come(world, now):
    plan = new_plan(world, sessions_planned=6)
    courses.book_course(plan.id, world["user"].id, {})
    now["now"] = datetime(2026, 10, 16, 12, 0, tzinfo=UTC)  # two sessions held
    assert courses.change_status(plan.id, "on_hold", "Travelling", None).removed == 4
    resume = courses.change_status(plan.id, "active", "", None)
    assert resume.needs_booking and plan.status == "on_hold"  # booked only after review
    now["now"] = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    booked = courses.book_course(plan.id, world["user"].id, {})
    assert plan.status == "active"
    assert local(booked) == ["2026-11-03 Tue 09:30", "2026-11-05 Thu 09:30",
                             "2026-11-10 Tue 09:30", "2026-11-12 Thu 09:30"]
    assert [a.number for a in diary(plan.id)] == [1, 2, 3, 4, 5, 6]


# --- Closure days -----------------------------------------------------------------------------

def test_closing_a_day_flags_its_bookings_and_new_courses_skip_it(world):
    practitioner = world["user"].id
    thursday = date(2026, 10, 15)
    held = schedule.book(world["ben"].id, practitioner,
                         recurrence.to_utc(thursday, time(14, 0), LONDON), 45)
    already = schedule.close_day(thursday, "Training")
    db.session.commit()
    assert already == [held] and held.status == "scheduled"  # kept: a person moves it
    with pytest.raises(schedule.AlreadyClosed):
        schedule.close_day(thursday, "Again")

    plan = new_plan(world, sessions_planned=3)
    proposal = courses.propose(plan.id)
    assert proposal.closed() == {thursday: "Training"}
    assert local(courses.book_course(plan.id, practitioner, {}, proposal)) == [
        "2026-10-13 Tue 09:30", "2026-10-20 Tue 09:30", "2026-10-22 Thu 09:30"]
    one_off = schedule.check(practitioner, world["ana"].id,
                             [recurrence.to_utc(thursday, time(11, 0), LONDON)], 45)[0]
    assert "The clinic is closed that day (Training)." in one_off.problems


def test_reopening_a_day_lets_bookings_use_it_again(world):
    thursday = date(2026, 10, 15)
    schedule.close_day(thursday, "Training")
    closure = schedule.closure_days(thursday)[0]
    schedule.reopen_day(closure.id)
    db.session.commit()
    assert schedule.closure_days(thursday - timedelta(days=30)) == []
    plan = new_plan(world, sessions_planned=2)
    assert local(courses.book_course(plan.id, world["user"].id, {})) == [
        "2026-10-13 Tue 09:30", "2026-10-15 Thu 09:30"]


# --- Intake steps -----------------------------------------------------------------------------

def posted(step_answers: dict) -> dict[str, list[str]]:
    """Answers as a browser posts them: every name with a list of values."""
    return {k: list(v) if isinstance(v, list) else [v] for k, v in step_answers.items()}


def new_intake(world):
    invitation, _ = intake_services.create_invitation(world["ana"], world["user"], 14)
    db.session.flush()
    return invitation.intake


def test_a_step_saves_its_draft_and_moves_on_or_back(world):
    intake = new_intake(world)
    data = answers()
    step = answering.post_step(intake, "about", posted(data["about"]))
    db.session.commit()
    assert (step.outcome, step.code) == ("next", "pain")
    assert intake.current_step == "pain" and intake.draft["_reached"] == 1
    assert intake.draft["about"]["family_name"] == ["Dubois"]

    typed = posted(data["pain"] | {"complaint": "half typed"})
    back = answering.post_step(intake, "pain", typed, action="back", valid=False)
    assert (back.outcome, back.code) == ("back", "about")
    assert intake.draft["pain"]["complaint"] == ["half typed"]  # kept, though not valid
    again = answering.post_step(intake, "pain", typed, valid=False)
    assert (again.outcome, again.code) == ("invalid", "pain") and intake.draft["_reached"] == 1
    late = answering.post_step(intake, "pain", posted(data["pain"]), expired=True)
    assert late.outcome == "expired" and intake.draft["pain"]["complaint"] == [
        data["pain"]["complaint"]]


def test_the_review_sends_once_or_shows_the_step_still_missing(world):
    intake = new_intake(world)
    data = answers()
    for code in ORDER[:-1]:
        if code != "sleep":  # skipped (say, on an old link): sending must find it
            answering.post_step(intake, code, posted(data[code]))
    review = answering.post_step(intake, "consent", posted(data["consent"]))
    assert (review.outcome, review.code) == ("next", steps.REVIEW) and intake.status == "draft"
    missing = answering.send(intake)
    assert (missing.outcome, missing.code) == ("incomplete", "sleep")
    assert missing.form.errors and intake.status == "draft"

    answering.post_step(intake, "sleep", posted(data["sleep"]))
    done = answering.send(intake)
    db.session.commit()
    assert done.outcome == "submitted" and intake.status == "submitted"
    baseline = db.session.scalar(select(func.count()).select_from(Measurement).where(
        Measurement.patient_id == world["ana"].id))
    assert baseline  # the intake's scores became the patient's baseline
    assert answering.send(intake).outcome == "already"


# --- Session records --------------------------------------------------------------------------

FORM = {"points-0-point": "BL23", "points-0-side": "bilateral", "pain_before": "6",
        "pain_after": "3", "retention_minutes": "25", "stimulation": "manual",
        "manual_technique": "even", "response_sought": "de_qi", "style": "tcm",
        "adverse": "none", "needles_reconciled": "y", "adverse_events-0-severity": "mild"}


def visit(world):
    """Today's appointment, opened: the record is prefilled and the visit marked attended."""
    appointment = schedule.book(world["ana"].id, world["user"].id, clock.now(), 45)
    record = sessions.open_for_appointment(appointment, world["user"])
    db.session.commit()
    return record


def session_form(record, **changes) -> SessionForm:
    data = MultiDict(FORM | {"version": str(record.version)} | changes)
    form = SessionForm(formdata=data, meta={"csrf": False})
    assert form.validate(), form.errors
    return form


def test_saving_keeps_a_draft_and_signing_locks_the_record(world):
    record = visit(world)
    saved = sessions.save_record(record, session_form(record), world["user"])
    db.session.commit()
    assert saved.done == "saved" and not record.signed
    pains = db.session.scalars(select(Measurement.value).where(
        Measurement.session_id == record.id).order_by(Measurement.value)).all()
    assert pains == [3, 6]

    signed = sessions.save_record(record, session_form(record), world["user"], signing=True)
    db.session.commit()
    assert signed.done == "signed" and record.signed
    assert record.signed_by_id == world["user"].id

    # Locked: a change needs a reason, and what it said before is kept.
    no_reason = sessions.save_record(record, session_form(record, pain_after="2"),
                                     world["user"], reason=" ")
    assert no_reason.reason_missing and not no_reason.done
    amended = sessions.save_record(record, session_form(record, pain_after="2"),
                                   world["user"], reason="Typo in pain after")
    db.session.commit()
    assert amended.done == "amended" and record.pain_after == 2
    change = db.session.scalars(select(Amendment)).one()
    assert change.reason == "Typo in pain after" and change.changes["pain_after"] == [3, 2]


def test_a_stale_form_is_a_conflict_and_an_incomplete_record_is_not_signed(world):
    record = visit(world)
    stale = session_form(record)
    sessions.save_record(record, session_form(record), world["user"])
    db.session.commit()
    with pytest.raises(sessions.Conflict):
        sessions.save_record(record, stale, world["user"])
    unfinished = session_form(record, needles_reconciled="")
    result = sessions.save_record(record, unfinished, world["user"], signing=True)
    assert not result.done and not record.signed
    assert unfinished.needles_reconciled.errors


def test_a_warning_is_confirmed_before_anything_is_written(world):
    db.session.add(SafetyFlag(patient_id=world["ana"].id, kind="pregnancy", detail="12 weeks"))
    record = visit(world)
    asked = sessions.save_record(record, session_form(record, **{"points-1-point": "LI4"}),
                                 world["user"], signing=True)
    # LI4, and the plan's BL23 (lumbosacral: cautioned throughout pregnancy, safety.md).
    rules = sorted(w.rule for w in asked.pending)
    assert rules == ["pregnancy_point:BL23", "pregnancy_point:LI4"] and not record.signed
    assert db.session.scalar(select(func.count()).select_from(SafetyConfirmation)) == 0
    confirmed = session_form(record, **{"points-1-point": "LI4"})
    confirmed.confirm.data = rules
    assert sessions.save_record(record, confirmed, world["user"], signing=True).done == "signed"
    db.session.commit()
    stored = db.session.scalars(select(SafetyConfirmation)).all()
    assert sorted(c.rule for c in stored) == rules
    assert {c.confirmed_by_id for c in stored} == {world["user"].id}


# --- Page panels ------------------------------------------------------------------------------

def test_patient_page_panels_follow_the_role_without_a_request(app, world):
    plan = new_plan(world, sessions_planned=2)
    courses.book_course(plan.id, world["user"].id, {})
    db.session.add(SafetyFlag(patient_id=world["ana"].id, kind="pregnancy", detail="12 weeks"))
    db.session.commit()
    clinician = panels.for_patient(world["ana"], world["user"])
    [(shown, progress)] = clinician["plans"]["plans"]
    assert shown.id == plan.id and progress.upcoming == 2
    assert [f.kind for f in clinician["intake"]["flags"]] == ["pregnancy"]
    assert clinician["sessions"] is not None

    reception = db.session.get(User, make_user(app, "reception"))
    front_desk = panels.for_patient(world["ana"], reception)
    assert front_desk["plans"]["plans"] == [] and len(front_desk["plans"]["upcoming"]) == 2
    assert front_desk["intake"]["flags"] == [] and front_desk["sessions"] is None
    assert front_desk["reports"] == {"plans": [], "latest": None}
    dashboard = panels.for_dashboard(reception)
    assert dashboard["plans"] is None and dashboard["intake"] is None
    assert dashboard["schedule"]["mine"] is None
