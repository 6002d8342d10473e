"""The clinic's clock: what time it is and which day it is where the clinic is.

Everything is stored in UTC and shown in the clinic's time zone (a clinic setting). The clinic's
day is not the server's: at 09:00 in Auckland it is still yesterday in UTC, so wherever "today"
means the clinic's day (form checks, ages, default dates, file names) use today(), never
date.today().

Tests move time with freeze(), the one seam: now(), and so today() and everything built on them,
read through it. Row stamps written by timeutil.utcnow (created_at, the audit trail, login
sessions, throttling) keep the real instant: they record when a row was written, and a test that
moves the clinic's day must not expire its own login."""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _override().astimezone(UTC) if _override is not None else datetime.now(UTC)


def zone() -> ZoneInfo:
    """The clinic's time zone from its settings (read once per request)."""
    from .settings.services import get_settings  # settings -> models -> timeutil -> clock
    return ZoneInfo(get_settings().time_zone)


def today() -> date:
    """Today's date where the clinic is."""
    return local(now()).date()


def local(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    """An aware (or naive UTC, as SQLite returns it) datetime on the clinic's wall clock."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz or zone())


def local_date(value: datetime, tz: ZoneInfo | None = None) -> date:
    """The clinic's date at an instant (a visit at 23:30 UTC may be tomorrow in the clinic)."""
    return local(value, tz).date()


def to_utc(day: date, at: time, tz: ZoneInfo | None = None) -> datetime:
    """A clinic wall-clock time as UTC. With fold=0 (PEP 495) a time inside the spring-forward
    gap lands after the gap (01:30 becomes 02:30) and an ambiguous autumn time takes its first
    instance."""
    return datetime.combine(day, at).replace(tzinfo=tz or zone(), fold=0).astimezone(UTC)


def day_start(day: date, tz: ZoneInfo | None = None) -> datetime:
    """The UTC instant the clinic's day begins."""
    return to_utc(day, time(0, 0), tz)


def day_bounds(day: date, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a clinic day in UTC: 23 or 25 hours long on a daylight-saving change."""
    tz = tz or zone()
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


@contextmanager
def freeze(at: datetime | Callable[[], datetime]) -> Iterator[None]:
    """The seam for tests: inside the block now() is `at` (aware), or whatever `at()` returns
    each time it is asked, so a test can move time by changing what the callable reads."""
    global _override
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("freeze() needs an aware datetime")
        fixed = at.astimezone(UTC)
        source: Callable[[], datetime] = lambda: fixed  # noqa: E731
    else:
        source = at
    previous, _override = _override, source
    try:
        yield
    finally:
        _override = previous
