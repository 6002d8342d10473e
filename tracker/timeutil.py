"""Time helpers: everything is stored in UTC and shown in the clinic's time zone."""
from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Timezone-aware current UTC time (a callable default for columns): the real instant a row
    is written. The clinic's now and today are tracker/clock.py, which tests can freeze."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite drops tzinfo on the way back; treat naive values from the database as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def age_on(born: date, on: date) -> int:
    """Whole years between a birth date and a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
