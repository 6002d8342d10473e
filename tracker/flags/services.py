"""Raising and resolving safety flags."""
from sqlalchemy import select

from ..extensions import db
from ..timeutil import utcnow
from .models import SafetyFlag


def active_for(patient_id: int) -> list[SafetyFlag]:
    flags = db.session.scalars(select(SafetyFlag).where(
        SafetyFlag.patient_id == patient_id, SafetyFlag.active.is_(True))
        .order_by(SafetyFlag.created_at, SafetyFlag.id)).all()
    return sorted(flags, key=lambda f: not f.urgent)


def raise_from_intake(patient_id: int, intake_id: int, raised: list[tuple[str, str]]) -> None:
    """Flags from a (re)submitted intake. Flags raised earlier stay until a clinician resolves
    them, whatever a resubmission says (the flags are the needling safety net); a flag is added
    unless the same one (kind and detail) from this intake is still active."""
    active = set(db.session.execute(select(SafetyFlag.kind, SafetyFlag.detail).where(
        SafetyFlag.intake_id == intake_id, SafetyFlag.active.is_(True))).all())
    for kind, detail in raised:
        if (kind, detail) not in active:
            active.add((kind, detail))
            db.session.add(SafetyFlag(patient_id=patient_id, intake_id=intake_id, kind=kind,
                                      detail=detail, source="intake"))


def resolve(flag: SafetyFlag, user, note: str) -> None:
    flag.active = False
    flag.resolved_at = utcnow()
    flag.resolved_by_id = user.id
    flag.resolution = note
