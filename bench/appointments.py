"""Years of appointments for the benchmark: every practitioner booked solid on weekdays, three
years back and one ahead, so the week views are timed against a full diary."""
import math
from datetime import date, time, timedelta

from sqlalchemy import insert, select

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.schedule.models import Appointment
from tracker.schedule.recurrence import to_utc
from tracker.settings.services import clinic_zone

BATCH = 5000


def build(patient_count: int, years_back: int = 3, per_day: int = 6,
          target: int | None = None) -> int:
    """A full diary; with `target`, enough years back to hold about that many appointments."""
    clinicians = list(db.session.execute(select(User.id).where(
        User.role.in_(("practitioner", "admin")))).scalars())
    if target:
        weekdays_needed = target / (len(clinicians) * per_day)
        years_back = max(years_back, math.ceil(weekdays_needed / 261) - 1)
    zone = clinic_zone()
    today = date.today()
    day = today - timedelta(days=365 * years_back)
    end = today + timedelta(days=365)
    rows, made, n = [], 0, 0
    while day < end:
        if day.weekday() < 5:
            for practitioner in clinicians:
                for slot in range(per_day):
                    n += 1
                    rows.append({
                        "patient_id": 1 + (n * 7919) % patient_count,
                        "practitioner_id": practitioner, "minutes": 45, "number": None,
                        "starts_at": to_utc(day, time(9 + slot, 0), zone), "reason": "",
                        "status": "attended" if day < today else "scheduled"})
        if len(rows) >= BATCH:
            db.session.execute(insert(Appointment), rows)
            made += len(rows)
            rows = []
        day += timedelta(days=1)
    if rows:
        db.session.execute(insert(Appointment), rows)
        made += len(rows)
    db.session.commit()
    return made
