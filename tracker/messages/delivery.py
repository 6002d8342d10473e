"""Whether messages are reaching patients: staff must not read "on its way" while email is not
set up, or while nothing has run the sender (`flask messages send`) for a while."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..settings.services import get_settings
from . import mail
from .models import OutboundMessage

# A sender run from cron every minute or as a worker claims a due message within seconds; one
# due this long and never tried means nothing is running it.
STALL = timedelta(minutes=10)


@dataclass(frozen=True)
class Delivery:
    backend: str                 # mail.backend(): smtp, console or file
    stalled: int                 # queued messages due for STALL or longer
    stalled_since: datetime | None

    @property
    def set_up(self) -> bool:
        """Only SMTP reaches a patient; console and file are for development and tests."""
        return self.backend == "smtp"

    @property
    def going_out(self) -> bool:
        return self.set_up and not self.stalled


def state() -> Delivery:
    count, since = db.session.execute(
        select(func.count(), func.min(OutboundMessage.next_attempt_at))
        .where(OutboundMessage.status == "queued",
               OutboundMessage.next_attempt_at <= clock.now() - STALL)).one()
    return Delivery(mail.backend(get_settings()), count or 0, since)


def queued_text(what: str, recipient: str, d: Delivery) -> str:
    """What staff are told once a message is queued ("The intake link", an address)."""
    if not d.set_up:
        return (f"{what} for {recipient} is queued but cannot go out: email is not set up yet "
                "(an administrator sets the mail server in Settings).")
    if d.stalled:
        return (f"{what} for {recipient} is queued, but messages are not going out: the "
                "message sender has not run for a while (see Messages).")
    return f"{what} is on its way to {recipient}."
