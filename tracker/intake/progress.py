"""How far a patient's intake has got, in one word reception may see (it holds no answer).

The newest intake decides: a link sent after a reviewed intake starts a new one, and reception's
fresh link on a draft (tracker/intake/services.create_invitation) is what the patient now holds."""
from sqlalchemy import func, select

from ..extensions import db
from .models import Intake
from .services import has_answers

NOT_STARTED, IN_PROGRESS, SUBMITTED, REVIEWED = "not_started", "in_progress", "submitted", \
    "reviewed"
LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", SUBMITTED: "Submitted",
          REVIEWED: "Reviewed"}


def of(intake: Intake | None) -> str:
    if intake is None:
        return NOT_STARTED
    if intake.status == "draft":  # reopened intakes were submitted once: in progress again
        return IN_PROGRESS if has_answers(intake) else NOT_STARTED
    return SUBMITTED if intake.status == "submitted" else REVIEWED


def by_patient(patient_ids: list[int]) -> dict[int, str]:
    """Each patient's intake progress (NOT_STARTED when none was ever sent), in one query."""
    found = dict.fromkeys(patient_ids, NOT_STARTED)
    if patient_ids:
        newest = (select(func.max(Intake.id)).where(Intake.patient_id.in_(patient_ids))
                  .group_by(Intake.patient_id))
        # Only the columns `of` reads (rows answer to the same attribute names), not whole
        # intakes with every answer: the patient list asks this for each of its rows.
        for row in db.session.execute(
                select(Intake.patient_id, Intake.status, Intake.submitted_at, Intake.draft)
                .where(Intake.id.in_(newest))):
            found[row.patient_id] = of(row)
    return found
