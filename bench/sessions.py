"""Session records for the benchmark: one per attended appointment (the most recent ones, with
their plan and session number; pain follows bench.appointments.pain_before), topped up with
walk-ins to the requested count, each with points and its pain measurements; plus one intake
and one open draft record for the patient whose pages are timed."""
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from bench.appointments import pain_before
from tracker.extensions import db
from tracker.measurements.models import Measurement
from tracker.schedule.models import Appointment
from tracker.sessions.models import SessionPoint, SessionRecord

BATCH = 10_000
POINTS = ["BL23", "BL40", "GB30", "GB34", "ST36", "LI4", "LR3", "SP6", "GV4", "KI3"]


def _flush(records, points, measures):
    """Insert a batch of records, then their children with the ids the database gave them."""
    ids = db.session.execute(insert(SessionRecord).returning(SessionRecord.id,
                                                             sort_by_parameter_order=True),
                             records).scalars().all()
    point_rows, measure_rows = [], []
    for record_id, pts, ms in zip(ids, points, measures, strict=True):
        point_rows += [p | {"session_id": record_id} for p in pts]
        measure_rows += [m | {"session_id": record_id} for m in ms]
    db.session.execute(insert(SessionPoint), point_rows)
    db.session.execute(insert(Measurement), measure_rows)


def build(target: int, patient_count: int, seed: int = 5) -> int:
    rng = random.Random(seed)
    attended = db.session.execute(
        select(Appointment.id, Appointment.patient_id, Appointment.practitioner_id,
               Appointment.starts_at, Appointment.plan_id, Appointment.number)
        .where(Appointment.status == "attended")
        .order_by(Appointment.starts_at.desc(), Appointment.id).limit(target)).all()
    walk_ins = max(0, target - len(attended))
    now = datetime.now(UTC)
    records, points, measures, made = [], [], [], 0

    def add(appointment_id, patient_id, practitioner_id, starts_at, plan_id=None, number=None):
        nonlocal made
        before = pain_before(plan_id, number) if plan_id else rng.randint(2, 8)
        after = max(0, before - rng.randint(0, 3))
        records.append({
            "patient_id": patient_id, "practitioner_id": practitioner_id,
            "appointment_id": appointment_id, "plan_id": plan_id, "number": number,
            "is_reevaluation": bool(number and number % 6 == 0),
            "visit_on": starts_at.date(), "status": "signed",
            "pain_before": before, "pain_after": after, "subjective": "Routine visit.",
            "insertions": 6, "retention_minutes": 20, "stimulation": "manual",
            "no_adverse_events": True, "needles_reconciled": True,
            "signed_at": starts_at, "signed_by_id": practitioner_id, "created_at": starts_at,
            "updated_at": starts_at, "version": 1, "draft": None})
        points.append([{"position": i, "code": code, "side": "bilateral", "location": "",
                        "depth": "", "stimulation": ""}
                       for i, code in enumerate(rng.sample(POINTS, 3))])
        measures.append([
            {"patient_id": patient_id, "instrument": "nrs", "time_frame": frame, "value": v,
             "source": "session", "taken_at": starts_at, "created_at": now}
            for frame, v in (("now", before), ("after_needling", after))])
        made += 1
        if len(records) >= BATCH:
            _flush(records, points, measures)
            records.clear(), points.clear(), measures.clear()

    for row in attended:
        add(*row)
    clinicians = [row[0] for row in db.session.execute(
        select(Appointment.practitioner_id).distinct())] or [1]
    start = date.today() - timedelta(days=5 * 365)
    for n in range(walk_ins):
        day = start + timedelta(days=n % (5 * 365))
        add(None, 1 + (n * 104729) % patient_count, clinicians[n % len(clinicians)],
            datetime.combine(day, time(12, 0), tzinfo=UTC))
    if records:
        _flush(records, points, measures)
    db.session.commit()
    return made


def timed_records(patient_id: int, practitioner_id: int) -> dict:
    """An intake and an open draft record for the patient whose pages are timed."""
    from tracker.accounts.models import User
    from tracker.intake import services as intake_services
    from tracker.intake import steps
    from tracker.intake.demo import STORIES, _draft
    from tracker.patients.models import Patient
    from tracker.sessions import services as session_services
    from tracker.settings.services import get_settings

    patient = db.session.get(Patient, patient_id)
    user = db.session.get(User, practitioner_id)
    invitation, _ = intake_services.create_invitation(patient, user, 14)
    invitation.intake.draft = _draft(patient, random.Random(1), STORIES[0], red_flag=True) | {
        "_reached": 6}
    data, bad = steps.validate_all(invitation.intake.draft)
    assert bad is None, bad.errors
    settings = get_settings()
    intake_services.submit(invitation.intake, data, settings.consent_text,
                           settings.consent_version)
    record = session_services.open_walk_in(patient, user)
    db.session.commit()
    count = db.session.execute(select(func.count()).select_from(SessionRecord).where(
        SessionRecord.patient_id == patient_id)).scalar_one()
    return {"intake_id": invitation.intake.id, "session_id": record.id,
            "patient_sessions": count}
