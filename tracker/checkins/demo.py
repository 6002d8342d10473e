"""Weekly check-ins in the demo clinic: a few courses under way ask for one, answered the day
after their latest visit, and the first of those patients has their own page switched on."""
from datetime import time, timedelta

from sqlalchemy import select

from .. import clock
from ..clinical import instruments as registry
from ..clinical.outcomes import CHECKIN
from ..extensions import db
from ..measurements import services as measurements
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from ..portal import services as portal
from ..sessions.models import SessionRecord
from . import services


def seed_demo(courses: int = 3) -> int:
    """Returns how many courses ask for a check-in."""
    made = 0
    for plan in db.session.scalars(select(TreatmentPlan).where(TreatmentPlan.status == "active")
                                   .order_by(TreatmentPlan.id)):
        last = db.session.scalars(select(SessionRecord).where(
            SessionRecord.plan_id == plan.id, SessionRecord.signed_at.is_not(None))
            .order_by(SessionRecord.visit_on.desc()).limit(1)).first()
        if last is None:
            continue
        due = last.visit_on + timedelta(days=1)
        services.set_schedule(plan, due.weekday(), services.default_measures(), True, None)
        if due <= clock.today():
            checkin, _ = services.new_link(plan, due)  # the demo sends no message
            db.session.flush()
            pain = max(0, int(last.pain_before if last.pain_before is not None else 5) - 1)
            answers = {"nrs_average_week": pain, "peg_enjoyment": max(0, pain - 1),
                       "peg_activity": pain, "sleep": min(10, 10 - pain), "medication_days": 2}
            taken = min(clock.to_utc(due, time(19, 0)), clock.now())  # never in the future
            measurements.write_scores(plan.patient_id,
                                      registry.score_answers(answers, registry.CHECKIN),
                                      source=CHECKIN, taken_at=taken, checkin_id=checkin.id)
            checkin.answered_at = taken
        if not made:
            portal.set_page(db.session.get(Patient, plan.patient_id), True, None)
        made += 1
        if made == courses:
            break
    return made
