"""Delivering the outbox: claim due messages, send each once, record sent or the final failure.

A message is claimed before it is sent, in its own committed transaction: on PostgreSQL the due
rows are read FOR UPDATE SKIP LOCKED (a second sender skips them instead of waiting), on SQLite a
guarded UPDATE moves each one from due to 'sending' and counts the rows it changed (only one
sender's UPDATE can). A claim lasts LEASE; a sender that died mid-run leaves its claims to be
taken again after that (the Message-ID is the same, so a mail server or client that saw the first
copy can tell). A failed attempt waits BACKOFF_SECONDS, doubling each time up to BACKOFF_CAP, and
after MESSAGE_MAX_ATTEMPTS the message is failed: with the defaults a message keeps trying for
about seven hours, so a mail server down for an hour loses nothing."""
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock, sealing
from ..checkins import services as checkins
from ..extensions import db
from ..schedule.models import Appointment
from ..settings.services import get_settings
from ..timeutil import as_utc
from . import hold, mail, notify, outbox, sms
from .models import OutboundMessage

log = logging.getLogger("tracker.messages")
LEASE = timedelta(minutes=10)
BATCH = 10  # claimed at a time, so a slow server cannot outlast a claim
# The guarded UPDATEs are decided by the database; the commit after each expires loaded rows.
UNSYNCED = {"synchronize_session": False}


@dataclass
class Run:
    reminders: int = 0
    checkins: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    withdrawn: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.retried} to retry, {self.failed} failed, "
                f"{self.withdrawn} withdrawn, {self.held} held; {self.reminders} reminders and "
                f"{self.checkins} check-ins queued")


def backoff(attempts: int) -> timedelta:
    """The wait after the attempts-th failure: BACKOFF_SECONDS, doubled each time, at most
    BACKOFF_CAP seconds."""
    base = float(current_app.config.get("MESSAGE_BACKOFF_SECONDS", 60))
    cap = float(current_app.config.get("MESSAGE_BACKOFF_CAP", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def worker_name() -> str:
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{id(object()) % 10000}"


def _due(now: datetime):
    return or_(and_(OutboundMessage.status == "queued", OutboundMessage.next_attempt_at <= now),
               and_(OutboundMessage.status == "sending", OutboundMessage.claimed_until < now))


def claim(worker: str, limit: int = BATCH) -> list[int]:
    """Take up to `limit` due messages for this worker; committed before anything is sent."""
    now = clock.now()
    claimed = {"status": "sending", "claimed_by": worker, "claimed_until": now + LEASE}
    stmt = (select(OutboundMessage.id).where(_due(now))
            .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(stmt.with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(update(OutboundMessage).where(OutboundMessage.id.in_(ids))
                               .values(**claimed), execution_options=UNSYNCED)
    else:
        ids = []
        while not ids:  # every candidate taken by another sender meanwhile: look again
            candidates = list(db.session.scalars(stmt))
            if not candidates:
                break
            ids = [i for i in candidates if db.session.execute(
                update(OutboundMessage).where(OutboundMessage.id == i, _due(now))
                .values(**claimed), execution_options=UNSYNCED).rowcount == 1]
    db.session.commit()
    return ids


def _finish(row_id: int, worker: str, **values) -> bool:
    """Record an outcome, only while the claim is still this worker's."""
    done = db.session.execute(
        update(OutboundMessage).where(OutboundMessage.id == row_id,
                                      OutboundMessage.status == "sending",
                                      OutboundMessage.claimed_by == worker)
        .values(claimed_by="", claimed_until=None, **values),
        execution_options=UNSYNCED).rowcount == 1
    db.session.commit()
    return done


def _body_after(row: OutboundMessage, now: datetime) -> dict:
    """Empty the sealed body once nothing can need it again."""
    keep = row.keep_body_until and as_utc(row.keep_body_until) > now
    return {} if keep else {"body_sealed": ""}


def withdrawn_because(row: OutboundMessage) -> str:
    """Why a queued message should no longer go: a check-in whose link was replaced or closed
    since; a reminder whose visit is gone, cancelled, moved or changed since (cancelled and set
    back: its reminder is queued anew under its new SEQUENCE), or whose patient opted out."""
    if row.kind == "checkin" and row.dedupe_key:
        checkin = checkins.for_message(row.dedupe_key)
        if checkin is None:
            return "a new link replaced this one"
        if checkin.state() in ("revoked", "expired"):
            return "the check-in link no longer opens"
        return ""
    if row.kind != "reminder":
        return ""
    appt = db.session.get(Appointment, row.appointment_id) if row.appointment_id else None
    if appt is None or appt.status != "scheduled":
        return "the visit is no longer booked"
    if appt.patient.reminder_opt_out:
        return "the patient opted out of reminders"
    if row.dedupe_key and row.dedupe_key != notify.reminder_key(appt):
        return "the visit changed since"
    return ""


def deliver(row: OutboundMessage, transports: dict) -> None:
    content = outbox.open_content(row)
    if row.channel == "sms":
        if "sms" not in transports:
            transports["sms"] = sms.gateway()
        transports["sms"].send(row.recipient, content.text, row.message_id)
        return
    if "email" not in transports:
        transports["email"] = mail.transport(get_settings())
    transports["email"].send(mail.build(get_settings(), row.recipient, row.message_id, content))


def process(row_id: int, worker: str, transports: dict, run: Run) -> None:
    row = db.session.get(OutboundMessage, row_id)
    now = clock.now()
    reason = withdrawn_because(row)
    if reason:
        _finish(row_id, worker, status="withdrawn", last_error=reason, body_sealed="")
        run.withdrawn += 1
        return
    if hold.holds(row):  # released by hold.confirm
        _finish(row_id, worker, status="held", last_error=hold.HELD_BECAUSE)
        run.held += 1
        return
    attempts = row.attempts + 1
    try:
        try:
            deliver(row, transports)
        except (mail.Temporary, mail.Permanent, sealing.Unreadable):
            raise
        except Exception as exc:  # a gateway's own error, a full disk: this message, not the run
            log.exception("message %s: unexpected error", row_id)
            raise mail.Temporary(f"unexpected error: {type(exc).__name__}") from exc
    except (mail.Temporary, mail.Permanent, sealing.Unreadable) as exc:
        final = (not isinstance(exc, mail.Temporary)
                 or attempts >= int(current_app.config.get("MESSAGE_MAX_ATTEMPTS", 12)))
        error = str(exc)[:300]
        # The error names the server's answer, never the recipient's address or the body.
        log.warning("message %s attempt %s: %s", row_id, attempts, error)
        run.errors.append(error)
        if final:
            _finish(row_id, worker, status="failed", attempts=attempts, last_error=error,
                    failed_at=now, body_sealed="")
            run.failed += 1
        else:
            _finish(row_id, worker, status="queued", attempts=attempts, last_error=error,
                    next_attempt_at=now + backoff(attempts))
            run.retried += 1
        return
    if _finish(row_id, worker, status="sent", attempts=attempts, sent_at=clock.now(),
               last_error="", **_body_after(row, now)):
        run.sent += 1
    else:
        log.error("message %s was sent but its claim had lapsed", row_id)


def forget_kept_bodies() -> None:
    """Empty the bodies kept for a re-send (an intake link's) once their time is over."""
    db.session.execute(update(OutboundMessage).where(
        OutboundMessage.status != "queued", OutboundMessage.status != "sending",
        OutboundMessage.body_sealed != "", OutboundMessage.keep_body_until < clock.now())
        .values(body_sealed=""), execution_options=UNSYNCED)
    db.session.commit()


def queue_due_checkins() -> int:
    """This week's check-ins that are due, made and queued in one transaction. A second sender
    running at the same moment trips the one-check-in-per-plan-and-week constraint: its
    transaction rolls back and the first one's check-ins stand."""
    try:
        made = checkins.checkins_due(db.session, clock.now())
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0
    return len(made)


def run_once(limit: int = 500) -> Run:
    """Queue the reminders that are due, then send what is due (at most `limit` messages)."""
    forget_kept_bodies()
    run = Run(reminders=notify.queue_due_reminders(), checkins=queue_due_checkins())
    worker, transports = worker_name(), {}
    try:
        while (done := run.sent + run.retried + run.failed + run.withdrawn + run.held) < limit:
            ids = claim(worker, min(BATCH, limit - done))
            if not ids:
                break
            for row_id in ids:
                process(row_id, worker, transports, run)
    finally:
        for item in transports.values():
            getattr(item, "close", lambda: None)()
    return run


def loop(interval: float, stop=lambda: False) -> None:
    """The long-running worker: a run every `interval` seconds until `stop()`."""
    while not stop():
        try:
            run = run_once()
            if run.sent or run.failed or run.retried:
                log.info("messages: %s", run)
        except Exception:  # a database restart must not end the worker; the next run retries
            log.exception("sending run failed")
            db.session.rollback()
        finally:
            db.session.remove()
        wake = time.monotonic() + interval
        while not stop() and time.monotonic() < wake:  # a stop is heard within half a second
            time.sleep(min(0.5, max(0.0, wake - time.monotonic())))
