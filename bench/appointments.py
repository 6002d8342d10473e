"""Years of appointments for the benchmark, booked as courses of treatment: every practitioner's
weekday slots hold one patient's ten-week plan after another, up to the courses running now, so
the week views are timed against a full diary and the outcomes dashboard against a clinic's
worth of plans.

Each (practitioner, weekday, hour) is a chair; a chair's weeks are cut into courses of ten, and
each course is one treatment plan with its intake pain score. Past sessions are attended, with a
few no-shows and cancellations; a tenth of the plans are discontinued after session six."""
import math
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select

from tracker import clock
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.measurements.models import Measurement
from tracker.plans.models import TreatmentPlan
from tracker.schedule.models import Appointment
from tracker.schedule.recurrence import to_utc

BATCH = 5000
COURSE = 10
CONDITIONS = ["Chronic low back pain", "Knee osteoarthritis", "Migraine", "Fibromyalgia",
              "Neck and shoulder pain", "Sciatica", "TMJ disorder"]


def baseline(plan_id: int) -> int:
    """The intake pain (0-10) of a plan, 4 to 9."""
    return 4 + plan_id % 6


def pain_before(plan_id: int, number: int) -> int:
    """Pain before needling at session `number`: some plans ease a lot, some not at all."""
    ease = plan_id % 5  # thirds of a point less per session: 0 (no change) to 4
    return max(0, baseline(plan_id) - (number * ease) // 3 + (plan_id + number) % 2)


def build(patient_count: int, years_back: int = 3, per_day: int = 6,
          target: int | None = None) -> int:
    """A full diary; with `target`, enough years back to hold about that many appointments."""
    clinicians = list(db.session.execute(select(User.id).where(
        User.role.in_(("practitioner", "admin")))).scalars())
    if target:
        weekdays_needed = target / (len(clinicians) * per_day)
        years_back = max(years_back, math.ceil(weekdays_needed / 261))
    zone = clock.zone()
    today = clock.today()
    first_monday = today - timedelta(days=365 * years_back)
    first_monday -= timedelta(days=first_monday.weekday())
    # Up to the end of the courses running now: later weeks are booked when plans are made.
    courses = math.ceil(((today - first_monday).days // 7 + 1) / COURSE)
    weeks = courses * COURSE
    chairs = [(p, d, s) for p in clinicians for d in range(5) for s in range(per_day)]

    plan_ids = _plans(chairs, courses, first_monday, today, patient_count)
    rows, made = [], 0
    for week in range(weeks):
        course, position = divmod(week, COURSE)
        for d in range(5):
            day = first_monday + timedelta(weeks=week, days=d)
            for c, (practitioner, weekday, slot) in enumerate(chairs):
                if weekday != d:
                    continue
                index = c * courses + course
                plan_id = plan_ids[index]
                number = position + 1
                status = _status(index, number, day < today)
                rows.append({
                    "patient_id": _patient(index, patient_count), "practitioner_id": practitioner,
                    "plan_id": plan_id, "minutes": 45, "reason": "",
                    "number": number if status in ("attended", "scheduled") else None,
                    "starts_at": to_utc(day, time(9 + slot, 0), zone), "status": status})
        if len(rows) >= BATCH:
            db.session.execute(insert(Appointment), rows)
            made += len(rows)
            rows = []
    if rows:
        db.session.execute(insert(Appointment), rows)
        made += len(rows)
    db.session.commit()
    return made


def _patient(index: int, patient_count: int) -> int:
    return 1 + (index * 7919) % patient_count


def _status(index: int, number: int, past: bool) -> str:
    if not past:
        return "scheduled"
    if index % 10 == 9 and number > 6:
        return "cancelled_patient"  # the discontinued plans
    if (index + number) % 23 == 0:
        return "no_show"
    if (index + number) % 29 == 0:
        return "cancelled_clinic"
    return "attended"


def _plans(chairs, courses: int, first_monday: date, today: date, patient_count: int) -> list:
    """One plan per chair and course, in that order, with its intake NRS; returns their ids."""
    rows, intake = [], []
    for c, (practitioner, weekday, slot) in enumerate(chairs):
        for course in range(courses):
            index = c * courses + course
            start = first_monday + timedelta(weeks=course * COURSE, days=weekday)
            end = start + timedelta(weeks=COURSE - 1)
            status = ("active" if end >= today else
                      "discontinued" if index % 10 == 9 else "completed")
            rows.append({
                "patient_id": _patient(index, patient_count), "practitioner_id": practitioner,
                "status": status, "conditions": CONDITIONS[index % len(CONDITIONS)],
                "start_on": start, "sessions_planned": COURSE, "weekdays": [weekday],
                "start_time": time(9 + slot, 0), "minutes": 45, "reeval_every": 6,
                "version": 1, "patterns": [], "modalities": []})
    ids = []
    for start in range(0, len(rows), BATCH):
        ids += db.session.execute(insert(TreatmentPlan).returning(
            TreatmentPlan.id, sort_by_parameter_order=True), rows[start:start + BATCH]
        ).scalars().all()
    for plan_id, row in zip(ids, rows, strict=True):
        intake.append({"patient_id": row["patient_id"], "instrument": "nrs", "time_frame": "now",
                       "value": baseline(plan_id), "source": "intake",
                       "taken_at": datetime.combine(row["start_on"] - timedelta(days=3),
                                                    time(18, 0))})
    for start in range(0, len(intake), BATCH):
        db.session.execute(insert(Measurement), intake[start:start + BATCH])
    return ids
