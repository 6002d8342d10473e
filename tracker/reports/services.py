"""The one write this feature makes besides audit entries: a staff-entered instrument total."""
from datetime import date, time

from .. import clock
from ..clinical import instruments as registry
from ..clinical.outcomes import OTHER
from ..measurements import services as measurements
from ..measurements.models import Measurement


def record_other_score(patient_id: int, data: dict, user_id: int) -> Measurement:
    """Store a licensed scale's total as an "other" measurement, dated midday clinic time."""
    day: date = data["taken_on"]
    when = clock.to_utc(day, time(12, 0))
    return measurements.add(patient_id, OTHER, data["score"], source="manual", taken_at=when,
                            label=data["name"], scale_min=data["scale_min"],
                            scale_max=data["scale_max"],
                            higher_is_better=data["direction"] == "higher",
                            recorded_by_id=user_id)


def record_baseline(patient_id: int, answers: dict, taken_on: date, user_id: int) -> list:
    """Scores staff asked for a course's baseline. Dated at the start of the clinic's day, so
    a score asked on the morning of the first visit comes before that visit's needling."""
    scored = registry.score_answers(answers, registry.INTAKE)
    return measurements.write_scores(patient_id, scored, source="manual",
                                     taken_at=clock.day_start(taken_on),
                                     recorded_by_id=user_id)
