"""The transactional outbox: `enqueue` adds a message row to the caller's transaction, so the
message exists exactly when the event that causes it was committed (a booking rolled back sends
nothing; a booking committed is never without its message). The sender delivers it later."""
import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from sqlalchemy import select, update

from .. import clock, sealing
from ..extensions import db
from .models import CHANNELS, OutboundMessage


@dataclass(frozen=True)
class Attachment:
    filename: str
    mimetype: str  # e.g. 'text/calendar; method=PUBLISH'
    data: bytes


@dataclass(frozen=True)
class Content:
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


def host() -> str:
    """The clinic's public host name: calendar UIDs and Message-IDs are built from it."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return urlsplit(base).hostname or "clinic-tracker"
    if has_request_context():
        return request.host.split(":")[0] or "clinic-tracker"
    return "clinic-tracker"


def seal_content(content: Content) -> str:
    return sealing.seal(json.dumps({
        "text": content.text,
        "attachments": [{"filename": a.filename, "mimetype": a.mimetype,
                         "data": base64.b64encode(a.data).decode("ascii")}
                        for a in content.attachments]}))


def open_content(row: OutboundMessage) -> Content:
    data = json.loads(sealing.unseal(row.body_sealed))
    return Content(row.subject, data["text"], tuple(
        Attachment(a["filename"], a["mimetype"], base64.b64decode(a["data"]))
        for a in data["attachments"]))


def enqueue(*, kind: str, channel: str, recipient: str, content: Content | None = None,
            sealed: str = "", subject: str = "", patient_id: int | None = None,
            appointment_id: int | None = None, invitation_id: int | None = None,
            dedupe_key: str | None = None, created_by_id: int | None = None,
            keep_body_until: datetime | None = None,
            send_after: datetime | None = None) -> OutboundMessage | None:
    """Add one message to the current transaction; the caller commits (or rolls back, and then
    no message exists). Give `content`, or `sealed` (a copied body) with its `subject`. With a
    `dedupe_key` an event already queued adds nothing and returns None."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if dedupe_key and db.session.scalar(select(OutboundMessage.id).where(
            OutboundMessage.dedupe_key == dedupe_key)) is not None:
        return None
    if content is not None:
        sealed, subject = seal_content(content), content.subject
    row = OutboundMessage(
        kind=kind, channel=channel, recipient=recipient, subject=subject[:200],
        body_sealed=sealed, patient_id=patient_id, appointment_id=appointment_id,
        invitation_id=invitation_id, dedupe_key=dedupe_key, created_by_id=created_by_id,
        message_id=f"<{uuid.uuid4().hex}.{kind}@{host()}>", status="queued", attempts=0,
        next_attempt_at=send_after or clock.now(), claimed_by="", last_error="",
        keep_body_until=keep_body_until)
    db.session.add(row)
    return row


def withdraw_waiting(dedupe_key: str, reason: str) -> int:
    """Withdraw the message of this event while it still waits (queued, or held for a
    clinician); one being sent is left to its sender. Returns how many; the caller commits."""
    return db.session.execute(
        update(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key,
                                      OutboundMessage.status.in_(("queued", "held")))
        .values(status="withdrawn", last_error=reason, body_sealed=""),
        execution_options={"synchronize_session": False}).rowcount
