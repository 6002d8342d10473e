"""Which submitted intake a clinician reads first, and what reception may know of an intake.

The triage order is one query (`awaiting_review`), used by every list of intakes awaiting
review (the dashboard panel and the intake index): an intake that raised an urgent flag (a back
pain red flag, possible cauda equina: clinical.safety.URGENT_FLAGS) first, then one that raised
any other safety flag, then the rest; within each group the one waiting longest first. Urgency
beats waiting time because a red flag may need a referral the same day."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, select
from sqlalchemy.orm import contains_eager

from .. import clock
from ..clinical import safety
from ..extensions import db
from ..flags.models import SafetyFlag
from ..patients.models import Patient
from .models import Intake, IntakeCondition

RED, SAFETY, NONE = "red", "safety", "none"
GROUPS = {RED: "Red flag", SAFETY: "Safety flag", NONE: "No flag"}
ORDER_RULE = ("Red flags first, then other safety flags, then the rest; within each, "
              "the intake waiting longest comes first.")


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; None or empty is 'any'."""
    group: str = ""               # RED, SAFETY or NONE
    practitioner_id: int | None = None  # the patient's own practitioner
    since: date | None = None     # sent on or after (clinic day)
    until: date | None = None     # sent on or before (clinic day)
    condition: str = ""           # a code from clinical.conditions.CONDITIONS


def _flagged(urgent: bool | None):
    """EXISTS: the intake raised an active flag (urgent only, or any)."""
    cond = [SafetyFlag.intake_id == Intake.id, SafetyFlag.active.is_(True)]
    if urgent:
        cond.append(SafetyFlag.kind.in_(safety.URGENT_FLAGS))
    return exists().where(*cond)


# Built once (every list of intakes orders by them): the two tests and the rank, 0 red flag,
# 1 other safety flag, 2 none, the first key of the order; RANKED names each rank's group.
_RED_FLAGGED, _FLAGGED = _flagged(True), _flagged(None)
_RANK = case((_RED_FLAGGED, 0), (_FLAGGED, 1), else_=2)
RANKED = (RED, SAFETY, NONE)
_SUBMITTED = (select(Intake).join(Patient).where(Intake.status == "submitted")
              .options(contains_eager(Intake.patient)))


def awaiting_review(filters: Filters | None = None, *, grouped: bool = False):
    """Submitted intakes not yet reviewed, in triage order (see the module's docstring);
    `grouped` adds each one's rank as a second column (RANKED[rank] is its group)."""
    f = filters or Filters()
    stmt = _SUBMITTED.add_columns(_RANK.label("rank")) if grouped else _SUBMITTED
    if f.group == RED:
        stmt = stmt.where(_RED_FLAGGED)
    elif f.group == SAFETY:
        stmt = stmt.where(_FLAGGED, ~_RED_FLAGGED)
    elif f.group == NONE:
        stmt = stmt.where(~_FLAGGED)
    if f.practitioner_id:
        stmt = stmt.where(Patient.primary_practitioner_id == f.practitioner_id)
    if f.since or f.until:
        tz = clock.zone()
        if f.since:
            stmt = stmt.where(Intake.submitted_at >= clock.day_start(f.since, tz))
        if f.until:
            stmt = stmt.where(Intake.submitted_at < clock.day_bounds(f.until, tz)[1])
    if f.condition:
        stmt = stmt.where(exists().where(IntakeCondition.intake_id == Intake.id,
                                         IntakeCondition.code == f.condition))
    return stmt.order_by(_RANK, Intake.submitted_at, Intake.id)


def groups_of(intake_ids: list[int]) -> dict[int, str]:
    """Each listed intake's triage group (RED, SAFETY or NONE), in one query, to label rows."""
    found = dict.fromkeys(intake_ids, NONE)
    if intake_ids:
        for intake_id, kind in db.session.execute(select(SafetyFlag.intake_id, SafetyFlag.kind)
                                                  .where(SafetyFlag.intake_id.in_(intake_ids),
                                                         SafetyFlag.active.is_(True))):
            if kind in safety.URGENT_FLAGS:
                found[intake_id] = RED
            elif found[intake_id] != RED:
                found[intake_id] = SAFETY
    return found
