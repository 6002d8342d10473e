"""One demo patient whose summary is the worked example of the issue: ten weekly sessions, pain
7 at intake and 3 at the latest visit (57 %, substantial), re-evaluations at sessions 6 and 10,
one bruise. Runs after the session demo, which fills every other attended appointment."""
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..measurements import services as measurements
from ..patients import services as patient_services
from ..patients.models import Patient
from ..plans import services as plans
from ..schedule.models import Appointment
from ..sessions import services as sessions
from ..sessions.models import AdverseEvent, SessionPoint, SessionRecord

GIVEN, FAMILY = "Grace", "Holloway"
BEFORE = (7, 6, 6, 5, 5, 4, 4, 4, 3, 3)
AFTER = (5, 5, 4, 4, 3, 3, 3, 2, 2, 2)
REEVALS = {6: {"nrs_average_week": 4, "nrs_worst_week": 6, "peg_enjoyment": 4,
               "peg_activity": 4, "sleep": 6, "medication_days": 3, "pgic": 2},
           10: {"nrs_average_week": 3, "nrs_worst_week": 5, "peg_enjoyment": 3,
                "peg_activity": 2, "sleep": 7, "medication_days": 1, "pgic": 2}}


def seed_demo(practitioner, today: date | None = None) -> Patient:
    """Create the patient and the course once; returns the patient."""
    found = db.session.scalars(select(Patient).where(Patient.given_name == GIVEN,
                                                     Patient.family_name == FAMILY)).first()
    if found:
        return found
    today = today or clock.today()
    first = today - timedelta(weeks=12)
    patient = patient_services.save(None, {
        "given_name": GIVEN, "family_name": FAMILY, "date_of_birth": date(1968, 3, 14),
        "sex": "female", "phone": "+44 7700 900456", "email": "grace.holloway@example.net",
        "address": "4 Orchard Row\nRiverside", "referring_physician":
        "Dr Helen Marsh, Riverside Family Practice", "primary_practitioner_id": practitioner.id})
    db.session.flush()
    intake_at = datetime.combine(first - timedelta(days=3), time(18, 0), tzinfo=UTC)
    for frame, value in (("now", 7), ("average_week", 6), ("worst_week", 8), ("least_week", 4)):
        measurements.add(patient.id, "nrs", value, source="intake", taken_at=intake_at,
                         time_frame=frame)
    measurements.add(patient.id, "peg3", 6.3, source="intake", taken_at=intake_at,
                     items={"pain": 6, "enjoyment": 7, "activity": 6})
    measurements.add(patient.id, "sleep", 4, source="intake", taken_at=intake_at,
                     time_frame="week")
    measurements.add(patient.id, "med_days", 5, source="intake", taken_at=intake_at,
                     time_frame="week")
    assessment = plans.save_assessment(None, patient.id, practitioner.id, {
        "assessed_on": first, "western_diagnosis": "Chronic low back pain", "icd10": "M54.5",
        "patterns": ["kidney-yang-deficiency", "qi-stagnation"],
        "palpation": "Tender left lumbar paraspinals."})
    plan, _ = plans.save_plan(None, patient.id, practitioner.id, {
        "assessment_id": assessment.id, "conditions": "Chronic low back pain (M54.5)",
        "patterns": ["kidney-yang-deficiency", "qi-stagnation"], "style": "tcm",
        "variation": "core-plus", "rationale": "Tonify the kidney, move qi in the lower back.",
        "modalities": ["moxa-indirect"], "weekdays": [first.weekday()], "interval_weeks": 1,
        "start_time": time(10, 0), "minutes": 45, "start_on": first, "sessions_planned": 10,
        "end_on": None, "reeval_every": 6,
        "goals": [{"description": "Walk the dog for an hour", "measure": "nrs_average",
                   "baseline": 6.0, "target": 3.0, "target_on": None}],
        "points": [{"point": p, "side": "bilateral"} for p in ("BL23", "BL40", "GV4", "KI3")],
        "remedies": []})
    plans.activate(plan, None)
    for n, (before, after) in enumerate(zip(BEFORE, AFTER, strict=True), start=1):
        starts = datetime.combine(first + timedelta(weeks=n - 1), time(10, 0))
        appt = Appointment(patient_id=patient.id, practitioner_id=practitioner.id,
                           plan_id=plan.id, starts_at=starts, minutes=45, status="attended",
                           number=n, checked_in_at=starts - timedelta(minutes=5))
        record = SessionRecord(
            patient_id=patient.id, practitioner_id=practitioner.id, appointment=appt, plan=plan,
            number=n, visit_on=starts.date(), pain_before=before, pain_after=after,
            style="tcm", depth="0.5-1 cun", response_obtained=True, retention_minutes=25,
            needle_type="0.25 x 40 mm stainless steel", needles_reconciled=True,
            is_reevaluation=n in REEVALS, reeval_decision="continue" if n in REEVALS else "",
            status="signed", signed_by_id=practitioner.id,
            signed_at=starts + timedelta(minutes=55), no_adverse_events=n != 3,
            points=[SessionPoint(position=i, code=c, side="bilateral")
                    for i, c in enumerate(("BL23", "BL40", "GV4", "KI3"))])
        if n == 3:
            record.adverse_events = [AdverseEvent(
                kind="bruising", site="left BL40", severity="mild",
                action="Pressure applied.", outcome="Resolved within a week.")]
        db.session.add_all([appt, record])
        sessions.write_measurements(record, REEVALS.get(n, {}))
    sessions.refresh_last_visit(patient.id)
    plans.set_status(plan, "completed", "", None)
    db.session.flush()
    return patient
