"""Raising, editing and resolving safety flags: from the intake screen, inferred from the
medicine and supplement lists (clinical.interactions), or by a clinician at any visit."""
from datetime import date

from sqlalchemy import bindparam, select

from .. import clock
from ..clinical import interactions, pregnancy
from ..extensions import db
from ..timeutil import utcnow
from .models import SafetyFlag

BLEEDING = "bleeding_risk"
PREGNANCY = "pregnancy"


# Built once: the patient page and the intake review read it on every visit.
_ACTIVE_FOR = (select(SafetyFlag).where(SafetyFlag.patient_id == bindparam("patient_id"),
                                        SafetyFlag.active.is_(True))
               .order_by(SafetyFlag.created_at, SafetyFlag.id))


def active_for(patient_id: int) -> list[SafetyFlag]:
    flags = db.session.scalars(_ACTIVE_FOR, {"patient_id": patient_id}).all()
    return sorted(flags, key=lambda f: not f.urgent)


def raise_from_intake(patient_id: int, intake_id: int, raised: list[tuple[str, str]]) -> None:
    """Flags from a (re)submitted intake. Flags raised earlier stay until a clinician resolves
    them, whatever a resubmission says (the flags are the needling safety net); a flag is added
    unless the same one (kind and detail) from this intake is still active. A pregnancy flag
    keeps the weeks the patient wrote, counted on from the day it was raised."""
    active = set(db.session.execute(select(SafetyFlag.kind, SafetyFlag.detail).where(
        SafetyFlag.intake_id == intake_id, SafetyFlag.active.is_(True))).all())
    for kind, detail in raised:
        if (kind, detail) not in active:
            active.add((kind, detail))
            weeks = pregnancy.weeks_in(detail) if kind == PREGNANCY else None
            db.session.add(SafetyFlag(patient_id=patient_id, intake_id=intake_id, kind=kind,
                                      detail=detail, source="intake", weeks=weeks,
                                      weeks_on=clock.today() if weeks else None))


def raise_inferred(patient_id: int, intake_id: int | None,
                   found: list[interactions.Match]) -> SafetyFlag | None:
    """The medicine list's matches raise a bleeding-risk flag, or reinforce the patient's
    active one (its `matched` lines), whatever the screen answer was. A match a clinician
    dismissed on this intake's flag is not raised again by a resubmission."""
    lines = [m.describe() for m in found]
    if not lines:
        return None
    dismissed = set()
    for flag in db.session.scalars(select(SafetyFlag).where(
            SafetyFlag.patient_id == patient_id, SafetyFlag.kind == BLEEDING,
            SafetyFlag.source == "inferred", SafetyFlag.active.is_(False))):
        dismissed |= set(flag.matched.splitlines())
    lines = [line for line in lines if line not in dismissed]
    if not lines:
        return None
    db.session.flush()
    current = next((f for f in active_for(patient_id) if f.kind == BLEEDING), None)
    if current is None:
        current = SafetyFlag(patient_id=patient_id, intake_id=intake_id, kind=BLEEDING,
                             source="inferred", detail="From the medicine and supplement "
                             "lists (the patient may have answered “no”).", matched="")
        db.session.add(current)
    have = (current.matched or "").splitlines()
    added = [line for line in lines if line not in have]
    if added:
        current.matched = "\n".join(have + added)
    return current


def raise_flag(patient_id: int, user, data: dict) -> SafetyFlag:
    """A clinician's flag at any visit: kind, detail, source, weeks or due date."""
    flag = SafetyFlag(patient_id=patient_id, raised_by_id=user.id, matched="")
    db.session.add(flag)
    edit(flag, data)
    return flag


def edit(flag: SafetyFlag, data: dict, today: date | None = None) -> None:
    """Change what a flag says (audited like every write)."""
    flag.kind = data["kind"]
    flag.detail = (data.get("detail") or "").strip()
    flag.source = data.get("source") or flag.source or "clinician"
    weeks = data.get("weeks")
    if flag.kind == PREGNANCY:
        if weeks != flag.weeks:
            flag.weeks_on = (today or clock.today()) if weeks is not None else None
        flag.weeks = weeks
        flag.due_on = data.get("due_on")
    else:
        flag.weeks = flag.weeks_on = flag.due_on = None


def dismiss_match(flag: SafetyFlag, user, note: str) -> None:
    """A false match: an inferred flag is resolved; a flag the patient also reported keeps
    standing without the match."""
    if flag.source == "inferred":
        resolve(flag, user, f"False match dismissed: {note}")
    else:
        flag.detail = (flag.detail + f" (Medicine match dismissed: {note})").strip()
        flag.matched = ""


def pregnancy_weeks(flags: list[SafetyFlag], day: date) -> int | None:
    """The stage on `day` from the active pregnancy flags (the latest recorded wins)."""
    for flag in sorted((f for f in flags if f.kind == PREGNANCY), key=lambda f: f.id,
                       reverse=True):
        weeks = flag.weeks_at(day)
        if weeks is not None:
            return weeks
    return None


def resolve(flag: SafetyFlag, user, note: str) -> None:
    flag.active = False
    flag.resolved_at = utcnow()
    flag.resolved_by_id = user.id
    flag.resolution = note
