"""Counting failed attempts in the database so every worker process sees the same limits."""
from datetime import timedelta

from sqlalchemy import delete, func, select

from .accounts.models import ThrottleEvent
from .extensions import db
from .timeutil import utcnow

KEEP_MINUTES = 24 * 60  # longer than any throttle window (15 minutes by default)


def failures(key: str, minutes: int) -> int:
    since = utcnow() - timedelta(minutes=minutes)
    stmt = select(func.count()).where(ThrottleEvent.key == key, ThrottleEvent.at >= since)
    return db.session.execute(stmt).scalar_one()


def blocked(key: str, limit: int, minutes: int) -> bool:
    return failures(key, minutes) >= limit


def fail(key: str) -> None:
    """Record one failure and drop failures too old to count, so the table stays small without
    a cron job; the caller commits."""
    prune()
    db.session.add(ThrottleEvent(key=key))


def clear(key: str) -> None:
    db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.key == key))


def prune(older_than_minutes: int = KEEP_MINUTES) -> int:
    """Delete failures older than any throttle window looks back."""
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    return db.session.execute(delete(ThrottleEvent).where(ThrottleEvent.at < cutoff)).rowcount
