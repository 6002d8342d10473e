"""What is sent, and when: the intake link, booking confirmations and changes (with the visit's
calendar event), and reminders before each visit. Each function queues its message in the
caller's transaction (outbox.enqueue). Messages say only what the patient needs to act on: the
clinic, the time, the practitioner, a link; never a diagnosis, a note or a score."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import render_template
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..patients.models import Patient
from ..schedule import calendar
from ..schedule.models import Appointment
from ..schedule.services import CalendarEntry, calendar_entries
from ..security import public_url
from ..settings.services import get_settings
from ..templating import datetime_text
from ..timeutil import as_utc
from .models import OutboundMessage
from .outbox import Attachment, Content, enqueue, host

# Reminders go out between these clinic-local hours: one due earlier in the morning goes the
# evening before, one due later at night goes at the evening's end; both before it was due, so a
# patient always has at least the clinic's notice.
REMINDER_EARLIEST = time(8, 0)
REMINDER_LATEST = time(20, 0)
# A reminder that fell due while nothing ran (a visit booked late in the evening for the next
# day, the sender stopped) is not queued in the night: it waits for the morning, if the visit is
# still ahead then. The hour after REMINDER_LATEST lets a late sending run catch up.
QUIET_FROM = time(21, 0)


@dataclass(frozen=True)
class Contact:
    channel: str
    recipient: str


def contact(patient: Patient) -> Contact | None:
    """The patient's preferred channel when they have an address for it, else the other one."""
    found = {"email": patient.email, "sms": patient.phone}
    order = ("sms", "email") if patient.preferred_channel == "sms" else ("email", "sms")
    return next((Contact(c, found[c]) for c in order if found[c]), None)


def _text(template: str, **context) -> str:
    return render_template(f"messages/{template}", clinic=get_settings(), **context).strip() + "\n"


def when_text(at: datetime) -> str:
    """Clinic wall-clock time in its date style, with the weekday: "Thu 03 Dec 2026, 10:30"."""
    return datetime_text(at, weekday=True)


# --- The intake link ---------------------------------------------------------------------------

def intake_link(invitation, token: str, email: str, user_id: int | None) -> OutboundMessage:
    """Email a new intake link. The body (with the link) stays sealed until the link expires, so
    reception can send it again; the link itself is stored nowhere else."""
    patient = invitation.intake.patient
    content = Content(
        subject=f"Your questionnaire from {get_settings().name}",
        text=_text("intake_link.txt", patient=patient,
                   url=public_url("intake_public.start", token=token),
                   expires=when_text(invitation.expires_at)))
    return enqueue(kind="intake_link", channel="email", recipient=email, content=content,
                   patient_id=patient.id, invitation_id=invitation.id, created_by_id=user_id,
                   keep_body_until=invitation.expires_at)


def intake_links_sent(invitation_ids: list[int]) -> dict[int, list[OutboundMessage]]:
    """Each link's emails, newest first, in one statement (the patient page lists every link
    with where it was sent, so reception can tell the links apart)."""
    found: dict[int, list[OutboundMessage]] = {}
    if invitation_ids:
        for m in db.session.scalars(select(OutboundMessage).where(
                OutboundMessage.invitation_id.in_(invitation_ids),
                OutboundMessage.kind == "intake_link").order_by(OutboundMessage.id.desc())):
            found.setdefault(m.invitation_id, []).append(m)
    return found


def intake_link_sent(invitation_id: int) -> list[OutboundMessage]:
    return intake_links_sent([invitation_id]).get(invitation_id, [])


def resend_intake_link(invitation, email: str, user_id: int | None) -> OutboundMessage | None:
    """Send the link emailed earlier again (to this address); None when there is no earlier
    email whose body is still kept, or the link no longer opens the form."""
    earlier = next((m for m in intake_link_sent(invitation.id) if m.body_sealed), None)
    if earlier is None or invitation.state() not in ("open", "started"):
        return None
    return enqueue(kind="intake_link", channel="email", recipient=email,
                   sealed=earlier.body_sealed, subject=earlier.subject,
                   patient_id=invitation.patient_id, invitation_id=invitation.id,
                   created_by_id=user_id, keep_body_until=invitation.expires_at)


# --- Bookings ----------------------------------------------------------------------------------

SUBJECTS = {"booked": "Your appointment is booked", "moved": "Your appointment has moved",
            "cancelled": "Your appointment is cancelled",
            "course_booked": "Your appointments are booked"}


def _calendar(entries: list[CalendarEntry]) -> Attachment:
    body = calendar.ics(entries, get_settings(), host())
    return Attachment("appointment.ics", "text/calendar; method=PUBLISH", body)


def _booking(kind: str, patient: Patient, entries: list[CalendarEntry], key: str | None,
             appointment_id: int | None, withdrawn: list[CalendarEntry] = (),
             moved_from: str = "") -> OutboundMessage | None:
    """`entries` are the visits the message is about; `withdrawn` only ride in its calendar
    file (visits a rebooking replaced, cancelled there so a phone drops them). `key` makes a
    message for one calendar change once; a course's messages need none (their booking's own
    transaction and submission key make them once). `moved_from`: a moved visit's old time."""
    to = contact(patient)
    if to is None or not entries:
        return None
    template = f"{kind}.{'sms' if to.channel == 'sms' else 'txt'}"
    text = _text(template, patient=patient, visits=[
        {"when": when_text(e.appointment.start_utc),
         "practitioner": e.appointment.practitioner.display_name} for e in entries],
        moved_from=moved_from)
    attachments = (_calendar([*entries, *withdrawn]),) if to.channel == "email" else ()
    subject = f"{SUBJECTS[kind]}: {get_settings().name}"
    if kind == "cancelled" and len(entries) > 1:
        subject = f"Your appointments are cancelled: {get_settings().name}"
    return enqueue(kind=kind, channel=to.channel, recipient=to.recipient,
                   content=Content(subject, text, attachments), patient_id=patient.id,
                   appointment_id=appointment_id, dedupe_key=key)


def event_key(kind: str, entry: CalendarEntry) -> str:
    """One message per calendar change: the visit's UID and SEQUENCE, with its patient and time
    (keys queued before ids stopped being reused on SQLite, migration 0027, keep this shape)."""
    appt = entry.appointment
    return (f"{kind}:{entry.uid_id}:{entry.sequence}:{appt.patient_id}:"
            f"{appt.start_utc:%Y%m%dT%H%M}")


def appointment_changed(appt: Appointment, kind: str) -> OutboundMessage | None:
    """A visit booked, moved (from its old time to the new) or cancelled: the message carries
    the visit's calendar event under the UID of its first booking with its SEQUENCE
    (schedule.calendar), so a phone that imported the earlier one updates it. Past visits and
    patients without an address get nothing."""
    if contact(appt.patient) is None:
        return None  # nothing to send: spare the calendar query
    db.session.flush()
    entry = next((e for e in calendar_entries(appt.patient_id) if e.appointment.id == appt.id),
                 None)
    if entry is None:
        return None
    # A moved visit is a new row in place of the old (schedule.reschedule): the message says
    # from which time to which, so the patient knows which visit moved.
    old = appt.rescheduled_from if kind == "moved" else None
    return _booking(kind, appt.patient, [entry], event_key(kind, entry), appt.id,
                    moved_from=when_text(old.start_utc) if old else "")


def course_booked(plan, created: list[Appointment],
                  replaced: list[CalendarEntry] = ()) -> OutboundMessage | None:
    """One message for a booked course: each visit as an event of one calendar file (with the
    visits it replaced, from withdrawn_entries, cancelled in the same file)."""
    if not created or contact(plan.patient) is None:
        return None
    db.session.flush()
    ids = {a.id for a in created}
    entries = [e for e in calendar_entries(plan.patient_id, limit=500)
               if e.appointment.id in ids]
    return _booking("course_booked", plan.patient, entries, None, None, list(replaced))


def withdrawn_entries(appts: list[Appointment]) -> list[CalendarEntry]:
    """Calendar events cancelling visits about to be deleted (a plan stopped or rebooked): read
    while they exist, each under its UID one SEQUENCE higher, as a cancellation would be."""
    if not appts or contact(appts[0].patient) is None:
        return []
    ids = {a.id for a in appts}
    return [CalendarEntry(e.appointment, e.uid_id, e.sequence + 1, True)
            for e in calendar_entries(appts[0].patient_id, limit=500)
            if e.appointment.id in ids and not e.cancelled]


def visits_withdrawn(plan, appts: list[Appointment]) -> OutboundMessage | None:
    """A plan put on hold, completed or discontinued takes its future visits off the diary: one
    message cancelling them all (queued before they are deleted)."""
    entries = withdrawn_entries(appts)
    return _booking("cancelled", plan.patient, entries, None, None)


# --- Reminders ---------------------------------------------------------------------------------

def reminder_due(start: datetime, hours: int) -> datetime:
    """When a visit's reminder goes: `hours` before it on the clinic's wall clock (a 10:00 visit
    with 24 hours is reminded at 10:00 the day before, on either side of a daylight-saving
    change), moved earlier into REMINDER_EARLIEST..REMINDER_LATEST clinic time."""
    tz = clock.zone()
    wall = clock.local(start, tz).replace(tzinfo=None) - timedelta(hours=hours)
    day: date = wall.date()
    at = wall.time()
    if at < REMINDER_EARLIEST:
        day, at = day - timedelta(days=1), REMINDER_LATEST
    elif at > REMINDER_LATEST:
        at = REMINDER_LATEST
    return clock.to_utc(day, at, tz)


def queue_due_reminders() -> int:
    """Queue every reminder now due and not yet queued (the key is the visit's calendar UID and
    SEQUENCE, so a run repeated, or two senders at once, queue each one once; a moved visit is
    reminded again at its new time). Committed one by one."""
    hours = get_settings().reminder_hours
    if not hours:
        return 0
    now = clock.now()
    if not REMINDER_EARLIEST <= clock.local(now).time() < QUIET_FROM:
        return 0
    # Wall-clock hours plus the evening-before shift: at most `hours` + 13 hours ahead.
    horizon = now + timedelta(hours=hours + 14)
    visits = list(db.session.scalars(
        select(Appointment).options(joinedload(Appointment.patient))
        .join(Patient, Appointment.patient_id == Patient.id)
        .where(Appointment.status == "scheduled", Appointment.starts_at > now,
               Appointment.starts_at <= horizon, Patient.reminder_opt_out.is_(False),
               Patient.archived_at.is_(None))
        .order_by(Appointment.starts_at)))
    queued = 0
    for appt in visits:
        if reminder_due(as_utc(appt.starts_at), hours) > now:
            continue
        queued += _queue_reminder(appt.id)
    return queued


def _entry(appt: Appointment) -> CalendarEntry | None:
    return next((e for e in calendar_entries(appt.patient_id) if e.appointment.id == appt.id),
                None)


def reminder_key(appt: Appointment) -> str | None:
    """The key of the visit's reminder as it stands now (its UID and SEQUENCE)."""
    entry = _entry(appt)
    return event_key("reminder", entry) if entry else None


def _queue_reminder(appointment_id: int) -> int:
    appt = db.session.get(Appointment, appointment_id)
    to = contact(appt.patient)
    entry = _entry(appt)
    if to is None or entry is None:
        return 0
    key = event_key("reminder", entry)
    text = _text(f"reminder.{'sms' if to.channel == 'sms' else 'txt'}", patient=appt.patient,
                 when=when_text(appt.start_utc), practitioner=appt.practitioner.display_name)
    row = enqueue(kind="reminder", channel=to.channel, recipient=to.recipient,
                  content=Content(f"Reminder: your appointment at {get_settings().name}", text),
                  patient_id=appt.patient_id, appointment_id=appt.id, dedupe_key=key)
    try:
        db.session.commit()
    except IntegrityError:  # another sender queued it between our check and our commit
        db.session.rollback()
        return 0
    return int(row is not None)
