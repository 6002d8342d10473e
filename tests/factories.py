"""Shared test worlds, built through the app's own services so they stay what the app would make.

Plain functions: call them inside an app context (`submitted_intake` inside
`app.test_request_context()`). People may be given as rows or as ids. They flush and return the
rows; the test commits when a request must see them.

    with app.app_context():
        mei = factories.user("practitioner", "mei@example.org")
        ana = factories.patient()
        plan = factories.plan(ana, mei, start_on=date(2026, 10, 13))
        _, visits = factories.book_course(plan)      # active, ten appointments
        factories.signed_session(ana, mei, visits[0], pain_before=7, pain_after=4)
        db.session.commit()
"""
from datetime import date, datetime, time

from tests.intake_helpers import answers as intake_answers
from tracker import clock, courses
from tracker.accounts.models import User
from tracker.accounts.services import create_user
from tracker.extensions import db
from tracker.intake import services as intake_services
from tracker.intake import steps
from tracker.intake.models import Intake
from tracker.patients import services as patient_services
from tracker.patients.models import Patient
from tracker.plans import services as plan_services
from tracker.plans.models import PlanPoint, TreatmentPlan
from tracker.schedule.models import Appointment
from tracker.sessions import rules
from tracker.sessions import services as session_services
from tracker.sessions.models import SessionPoint, SessionRecord
from tracker.settings.services import get_settings

PASSWORD = "correct horse battery staple"  # the same as tests.conftest.PASSWORD
TUE, THU = 1, 3


def _id(row_or_id) -> int:
    return row_or_id if isinstance(row_or_id, int) else row_or_id.id


def user(role: str = "practitioner", email: str | None = None, **profile) -> User:
    """A staff account that can log in with PASSWORD."""
    profile.setdefault("display_name", f"Test {role.title()}")
    return create_user(email or f"{role}@example.org", PASSWORD, role=role, **profile)


def practitioner(email: str = "pr@example.org", **profile) -> User:
    return user("practitioner", email, **{"display_name": "Mei Lin"} | profile)


def patient(given: str = "Ana", family: str = "Silva", born: date = date(1970, 5, 6),
            **extra) -> Patient:
    """A registered patient (search columns and name tokens as the register keeps them)."""
    return patient_services.save(None, {"given_name": given, "family_name": family,
                                        "date_of_birth": born} | extra)


def plan(patient: Patient | int, practitioner: User | int, *, points=(),
         **changes) -> TreatmentPlan:
    """A draft plan: ten 45-minute visits on Tuesdays and Thursdays at 09:30 from `start_on`
    (today in the clinic unless given), re-evaluation every sixth. `points` are (text, side)
    pairs as typed on the plan form, e.g. [("UB23", "bilateral"), ("Ashi: neck", "left")]."""
    data = {"conditions": "Low back pain", "weekdays": [TUE, THU], "start_time": time(9, 30),
            "minutes": 45, "start_on": clock.today(), "sessions_planned": 10, "end_on": None,
            "reeval_every": 6, "interval_weeks": 1} | changes
    if points:
        data["points"] = [{"point": text, "side": side} for text, side in points]
    made, _ = plan_services.save_plan(None, _id(patient), _id(practitioner), data)
    return made


def book_course(plan: TreatmentPlan, choices: dict[int, str] | str | None = None,
                when: datetime | None = None, user_id: int | None = None):
    """Book the plan's course as the schedule-confirmation page does and make it active.
    Returns (slots, created appointments). `choices` answers clashing slots by index ('next',
    'skip' or 'keep'), or is "keep" for all; an unanswered clash raises ValueError, as on the
    page. `when` is the moment booking starts from (now by default)."""
    proposal = courses.propose(plan.id, when)
    if choices == "keep":
        choices = dict.fromkeys(range(len(proposal.slots)), "keep")
    created = courses.book_course(plan.id, user_id, choices or {}, proposal)
    db.session.flush()
    return proposal.slots, created


def active_plan(patient: Patient | int, practitioner: User | int, **changes) -> TreatmentPlan:
    """A plan with its course booked (see `plan` for the defaults)."""
    made = plan(patient, practitioner, **changes)
    book_course(made)
    return made


def plan_row(patient: Patient | int, practitioner: User | int, *, status: str = "active",
             points=(("BL23", "bilateral"),), **fields) -> TreatmentPlan:
    """A plan row as stored, without booking anything: for tests that place appointments
    themselves (a visit happening now, a given visit number)."""
    fields = {"start_on": clock.today(), "sessions_planned": 10, "reeval_every": 6,
              "style": "tcm"} | fields
    made = TreatmentPlan(patient_id=_id(patient), practitioner_id=_id(practitioner), status=status,
                         points=[PlanPoint(position=i, code=code, side=side)
                                 for i, (code, side) in enumerate(points)], **fields)
    db.session.add(made)
    db.session.flush()
    return made


def appointment(patient: Patient | int, practitioner: User | int,
                starts_at: datetime | None = None, *,
                minutes: int = 45, plan: TreatmentPlan | None = None,
                number: int | None = None, **fields) -> Appointment:
    """One appointment (now unless `starts_at` is given), in a plan as visit `number` if given."""
    appt = Appointment(patient_id=_id(patient), practitioner_id=_id(practitioner),
                       plan_id=plan.id if plan else None, starts_at=starts_at or clock.now(),
                       minutes=minutes, number=number, **fields)
    db.session.add(appt)
    db.session.flush()
    return appt


def opened_session(appointment: Appointment, practitioner: User | int,
                   **fields) -> SessionRecord:
    """The draft record a practitioner starts from the appointment (prefilled from the plan and
    the last visit; the appointment becomes attended), with `fields` typed in but not signed."""
    record = session_services.open_for_appointment(
        appointment, db.session.get(User, _id(practitioner)))
    for name, value in fields.items():
        setattr(record, name, value)
    db.session.flush()
    return record


def signed_session(patient: Patient | int, practitioner: User | int,
                   appointment: Appointment | None = None,
                   *, pain_before: int | None = 6, pain_after: int | None = 3,
                   visit_on: date | None = None, points=("BL23", "GB30"),
                   reevaluation: dict | None = None, **fields) -> SessionRecord:
    """A signed session record with its pain scores stored as measurements, as signing does.
    With an appointment the visit is that appointment (marked attended) and its day; a walk-in
    otherwise. `reevaluation` holds re-evaluation answers (nrs_average_week, peg_enjoyment...)."""
    if appointment is not None:
        appointment.status = "attended"
        visit_on = visit_on or clock.local_date(appointment.starts_at)
    record = SessionRecord(
        patient_id=_id(patient), practitioner_id=_id(practitioner), appointment=appointment,
        plan_id=appointment.plan_id if appointment else None,
        number=appointment.number if appointment else None,
        visit_on=visit_on or clock.today(), pain_before=pain_before, pain_after=pain_after,
        is_reevaluation=reevaluation is not None, style="tcm", retention_minutes=25,
        needles_reconciled=True, no_adverse_events=True,
        points=[SessionPoint(position=i, code=code, side="bilateral")
                for i, code in enumerate(points)], **fields)
    record.insertions = rules.insertions(["bilateral"] * len(points))
    db.session.add(record)
    session_services.write_measurements(record, reevaluation or {})
    session_services.sign(record, db.session.get(User, _id(practitioner)))
    db.session.flush()
    return record


def submitted_intake(patient: Patient | int, answers: dict | None = None,
                     now: datetime | None = None) -> Intake:
    """An intake the patient finished: `answers` are the posted fields step by step, as in
    tests.intake_helpers.answers(); scores become baseline measurements and safety answers
    become flags, as on submission. Raises AssertionError naming a step that does not validate.
    Needs a request context (the forms)."""
    answers = answers or intake_answers()
    patient = db.session.get(Patient, _id(patient))
    intake = intake_services.open_draft(patient) or Intake(patient=patient, draft={})
    db.session.add(intake)
    for position, code in enumerate(steps.CODES):
        raw = {k: v if isinstance(v, list) else [v] for k, v in answers[code].items()}
        intake_services.save_draft(intake, code, raw, position)
    data, bad = steps.validate_all(intake.draft)
    assert bad is None, (bad.meta_code, bad.errors)
    settings = get_settings()
    assert intake_services.submit(intake, data, settings.consent_text, settings.consent_version,
                                  now=now)
    db.session.flush()
    return intake
