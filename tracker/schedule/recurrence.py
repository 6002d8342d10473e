"""Occurrences of a plan's weekly rule in the clinic's time zone, and free-slot search.

Pure functions (no database, no Flask): dates in, aware UTC datetimes out. Rules are expanded
with python-dateutil's rrule on clinic-local wall-clock times and only then converted to UTC, so
09:30 stays 09:30 across a daylight-saving change."""
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule

# The clinic clock's conversions; given an explicit zone they stay pure.
from ..clock import local, to_utc

MAX_OCCURRENCES = 520  # ten years of weekly sessions: a guard against an unbounded rule


def occurrences(start_on: date, weekdays: Iterable[int], at: time, zone: ZoneInfo, *,
                count: int | None = None, until: date | None = None, interval_weeks: int = 1,
                closures: Iterable[date] = (), not_before: datetime | None = None
                ) -> list[datetime]:
    """UTC start times: `count` sessions (closure days skipped, not counted) or every matching
    day up to and including `until`; none before `not_before` (UTC)."""
    days = sorted({int(d) for d in weekdays if 0 <= int(d) <= 6})
    if not days or (count is None and until is None) or (count is not None and count <= 0):
        return []
    closed = set(closures)
    # The rule's weeks are anchored on the plan's start so "every 2 weeks" keeps its rhythm
    # when regenerated later; `not_before` only filters.
    rule = rrule(WEEKLY, interval=max(1, interval_weeks), byweekday=days, wkst=0,
                 dtstart=datetime.combine(start_on, time(0, 0)),
                 until=datetime.combine(until, time(23, 59)) if until else None)
    found: list[datetime] = []
    for n, midnight in enumerate(rule):
        if n > MAX_OCCURRENCES * 3 or len(found) >= MAX_OCCURRENCES:
            break
        if midnight.date() in closed:
            continue
        start = to_utc(midnight.date(), at, zone)
        if not_before is not None and start < not_before:
            continue
        found.append(start)
        if count is not None and len(found) >= count:
            break
    return found


Span = tuple[datetime, datetime]


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def within_hours(start: datetime, minutes: int, zone: ZoneInfo,
                 hours: dict[int, list[tuple[time, time]]]) -> bool:
    """True when the whole appointment falls inside one working span of that local weekday."""
    begin = local(start, zone)
    end = begin + timedelta(minutes=minutes)
    if end.date() != begin.date():
        return False
    return any(s <= begin.time() and end.time() <= e for s, e in hours.get(begin.weekday(), []))


def next_free(after: datetime, minutes: int, zone: ZoneInfo,
              hours: dict[int, list[tuple[time, time]]], busy: list[Span],
              closures: Iterable[date] = (), step: int = 15, days: int = 28) -> datetime | None:
    """The first start at or after `after` (on a `step`-minute grid, clinic time) inside working
    hours, not on a closure day and overlapping nothing in `busy`; None within `days` days."""
    closed = set(closures)
    start_local = local(after, zone)
    for offset in range(days + 1):
        day = start_local.date() + timedelta(days=offset)
        if day in closed:
            continue
        for span_start, span_end in sorted(hours.get(day.weekday(), [])):
            slot = datetime.combine(day, span_start)
            last = datetime.combine(day, span_end) - timedelta(minutes=minutes)
            while slot <= last:
                candidate = to_utc(slot.date(), slot.time(), zone)
                if candidate >= after and local(candidate, zone).replace(tzinfo=None) == slot:
                    span = (candidate, candidate + timedelta(minutes=minutes))
                    if not any(overlaps(span, b) for b in busy):
                        return candidate
                slot += timedelta(minutes=step)
    return None
