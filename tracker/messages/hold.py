"""A patient's new address waits for a clinician before a check-in link goes to it.

A check-in link opens the patient's answers and, with their own page on, their progress in plain
words: a key to clinical content. Reception edits email and phone (front-desk work), so without
this rule it could point the next check-in at an address of its choosing. When someone without
clinical.view changes the email or phone of a patient, a ContactCheck opens (whether or not
links are live yet: check-ins switched on later must not go to that address either); the sender
holds messages of LINK_KINDS for that patient until a clinician confirms the address, and the
patient page asks for it while links are live. Bookings, reminders and intake links carry
nothing clinical and go as before. Watched at the flush, so every way of editing a patient is
covered."""
from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..checkins.models import CheckinPlan
from ..extensions import db
from ..patients.models import Patient
from ..permissions import can
from ..plans.models import TreatmentPlan
from ..portal.models import PatientPage
from .models import LINK_KINDS, ContactCheck, OutboundMessage

WATCHED = ("email", "phone")
HELD_BECAUSE = "waits for a clinician to confirm the patient's new address"


def links_live(session: Session, patient_id: int) -> bool:
    """Whether a link could open something for the patient: their own page, or a weekly
    check-in asked on an active plan."""
    if session.scalar(select(PatientPage.enabled).where(PatientPage.patient_id == patient_id)):
        return True
    return session.scalar(
        select(CheckinPlan.id).join(TreatmentPlan, TreatmentPlan.id == CheckinPlan.plan_id)
        .where(CheckinPlan.patient_id == patient_id, CheckinPlan.active.is_(True),
               TreatmentPlan.status == "active").limit(1)) is not None


def _changed(patient: Patient) -> list[str]:
    state = inspect(patient)
    found = []
    for name in WATCHED:
        history = state.attrs[name].history
        if history.has_changes() and (history.deleted or [None])[0] != (history.added or [None])[0]:
            found.append(name)
    return found


def _vouched() -> bool:
    """Outside a request (the CLI, the demo) the clinic's own tools act; in one, only a user
    who may see clinical content vouches for an address (not reception, not a link's visitor)."""
    if not has_request_context():
        return True
    user = current_user
    return bool(user and user.is_authenticated and can(user, "clinical.view"))


def _watch(session: Session, flush_context, instances) -> None:
    patients = [p for p in session.dirty if isinstance(p, Patient) and p.id is not None]
    if not patients or _vouched():
        return
    with session.no_autoflush:
        for patient in patients:
            fields = _changed(patient)
            if fields:
                _open(session, patient.id, fields)


# Before the audit trail's own before_flush, so the check it opens is audited with the change.
event.listen(Session, "before_flush", _watch, insert=True)


def _open(session: Session, patient_id: int, fields: list[str]) -> None:
    check = session.get(ContactCheck, patient_id)
    if check is None:
        check = ContactCheck(patient_id=patient_id, fields="")
        session.add(check)
    earlier = check.fields.split(", ") if check.pending and check.fields else []
    check.fields = ", ".join(f for f in WATCHED if f in fields or f in earlier)
    user = current_user
    check.changed_by_id = user.id if user and user.is_authenticated else None
    check.changed_at, check.confirmed_at, check.confirmed_by_id = clock.now(), None, None


def pending(patient_id: int | None) -> ContactCheck | None:
    """The patient's address change awaiting a clinician, if any."""
    if patient_id is None:
        return None
    check = db.session.get(ContactCheck, patient_id)
    return check if check is not None and check.pending else None


def to_confirm(patient_id: int) -> ContactCheck | None:
    """The pending check while it matters: a link could go to the address (its own page or
    check-ins on). Without live links the front desk's edit asks nobody for anything yet."""
    check = pending(patient_id)
    return check if check is not None and links_live(db.session, patient_id) else None


def holds(row: OutboundMessage) -> bool:
    """Whether the sender must hold this message (it carries a link, its patient's address
    awaits a clinician)."""
    return row.kind in LINK_KINDS and pending(row.patient_id) is not None


def confirm(patient_id: int, user) -> int:
    """A clinician vouches for the patient's address: held messages go on the next run.
    Returns how many were released; the caller commits (the check's change is audited)."""
    check = pending(patient_id)
    if check is None:
        return 0
    check.confirmed_at, check.confirmed_by_id = clock.now(), user.id
    return db.session.execute(
        update(OutboundMessage).where(OutboundMessage.patient_id == patient_id,
                                      OutboundMessage.status == "held")
        .values(status="queued", next_attempt_at=clock.now(), last_error=""),
        execution_options={"synchronize_session": False}).rowcount
