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


def replace_from_intake(patient_id: int, intake_id: int, raised: list[tuple[str, str]]) -> None:
    """Flags from a (re)submitted intake replace its unresolved ones; resolved ones stay."""
    for flag in db.session.scalars(select(SafetyFlag).where(
            SafetyFlag.intake_id == intake_id, SafetyFlag.resolved_at.is_(None))):
        db.session.delete(flag)
    for kind, detail in raised:
        db.session.add(SafetyFlag(patient_id=patient_id, intake_id=intake_id, kind=kind,
                                  detail=detail, source="intake"))


def resolve(flag: SafetyFlag, user, note: str) -> None:
    flag.active = False
    flag.resolved_at = utcnow()
    flag.resolved_by_id = user.id
    flag.resolution = note
