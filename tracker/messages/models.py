"""The outbox: one row per message to a patient, from queued to sent or finally failed."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..patients.models import Patient
from ..timeutil import utcnow

# queued: waiting for its next attempt; sending: claimed by one sender until claimed_until;
# sent: handed to the mail server or gateway; failed: gave up (its last error says why);
# withdrawn: no longer to be sent (a reminder for a visit since cancelled, a patient opted out);
# held: waits for a clinician to confirm the patient's new address (ContactCheck).
STATUSES = {"queued": "Queued", "sending": "Sending", "sent": "Sent", "failed": "Failed",
            "withdrawn": "Not sent", "held": "Held: new address to confirm"}
KINDS = {"intake_link": "Intake link", "booked": "Booking confirmation",
         "course_booked": "Course booked", "moved": "Appointment moved",
         "cancelled": "Appointment cancelled", "reminder": "Reminder",
         "checkin": "Check-in"}
CHANNELS = {"email": "Email", "sms": "Text message"}
# Messages whose link opens the patient's check-in, and from there their own page (answers,
# progress): clinical content, so they go only to an address a clinician has vouched for.
LINK_KINDS = frozenset({"checkin"})


class OutboundMessage(db.Model):
    __tablename__ = "outbound_message"
    # The sender's query: what is due now, oldest first.
    __table_args__ = (Index("ix_outbound_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10), default="email")
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient.id", ondelete="SET NULL"), index=True)
    # A plan's rebooking deletes its future visits: the log keeps the message without them.
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("intake_invitation.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    # The body and attachments, encrypted (outbox.seal): an intake link's token is a key to the
    # patient's form and is stored nowhere else. Emptied once it is no longer needed.
    body_sealed: Mapped[str] = mapped_column(Text, default="")
    # One message per event: e.g. "reminder:<first booking id>:<sequence>" (unique when set).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # RFC 5322 Message-ID, fixed when queued: a retry after a lost reply is the same message.
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    # The body may be copied for a re-send until then (an intake link: until it expires).
    keep_body_until: Mapped[datetime | None]

    patient: Mapped[Patient | None] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


class ContactCheck(db.Model):
    """A patient's email or phone changed by someone who may not see clinical content while
    their weekly check-ins or own page were on (messages/hold.py). Until a clinician confirms
    the address, messages of LINK_KINDS are held, not sent."""
    __tablename__ = "contact_check"
    __audited__ = True

    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"),
                                            primary_key=True)
    fields: Mapped[str] = mapped_column(String(40), default="")  # "email", "phone" or both
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None]

    @property
    def pending(self) -> bool:
        return self.confirmed_at is None
