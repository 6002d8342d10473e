"""The outcome engine: a course's baseline against its latest value for every instrument,
immediate effect per session, PGIC and adverse-event rates, and each visit's response for the
clinic dashboard. Plain data in, plain data out: no Flask, no database.

Which values are compared is decided here (the course baseline); whether a change is an
improvement is decided by `outcome_rule.classify` alone."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from statistics import mean

from . import instruments as registry
from .outcome_rule import Change, classify, percent_text, pgic_meaningful

__all__ = ["percent_text"]  # the template filter lives with the rule it displays

OTHER = "other"
FRAME_LABELS = {"now": "Pain right now", "average_week": "Average pain over the past 7 days",
                "worst_week": "Worst pain over the past 7 days",
                "least_week": "Least pain over the past 7 days",
                "after_needling": "Pain after needling", "week": "Past 7 days", "": ""}
# Values entered before treatment that may serve as a course's baseline: the intake, or staff
# entering a score (a licensed scale's total) before the first session.
BASELINE_SOURCES = ("intake", "manual")
# A between-visit check-in the patient answered from a private link: a scored reading within
# its plan's course, never a baseline (it is not in BASELINE_SOURCES).
CHECKIN = "checkin"
DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Reading:
    """One measurement row as the engine sees it."""
    instrument: str
    time_frame: str
    value: float
    taken_at: datetime
    source: str = "session"
    session_number: int | None = None
    session_id: int | None = None
    label: str = ""                       # instrument "other": its name and scale
    higher_is_better: bool | None = None  # instrument "other": as entered
    items: Mapping | None = None          # item answers: PEG-3 is classified from them

    @property
    def registered(self) -> registry.Instrument | None:
        return registry.lookup(self.instrument, self.time_frame)

    @property
    def exact(self) -> Fraction:
        found = self.registered
        return found.exact_from_row(self.value, self.items) if found else \
            Fraction(str(self.value))


@dataclass(frozen=True)
class Course:
    """Where a course of treatment starts: its first session (time and id), how old a value
    before it may be and still be its baseline, and the day the patient's previous course last
    treated them (previous_last_visit)."""
    start: datetime | None
    first_session_id: int | None = None
    window_days: int = DEFAULT_WINDOW_DAYS
    previous_last_visit: date | None = None


def previous_last_visit(visits: Iterable[tuple[int | None, date]], plan_id: int | None,
                        first_day: date) -> date | None:
    """The last day of the latest earlier course: one whose sessions all came before this
    one's first. `visits` are the patient's sessions as (plan id, day); a one-off session (no
    plan) is not a course, and a course still treating the patient alongside this one is not
    an earlier one (an intake before both is both courses' baseline). A value from that day or
    before belongs to the earlier course."""
    last: dict[int, date] = {}
    for plan, day in visits:
        if plan is not None and plan != plan_id:
            last[plan] = max(day, last.get(plan, day))
    return max((day for day in last.values() if day < first_day), default=None)


def course_baseline(rows: list[Reading], course: Course) -> Reading | None:
    """The course's own baseline: the newest intake or staff-entered value taken within the
    window before the first session and after the previous course's last visit, else that
    session's own (pre-needling) value. An intake from an earlier course is never reused, even
    inside the window (instruments.md). A scope without sessions (a date range of entered
    scores) starts from its first value."""
    if course.start is not None:
        earliest = course.start - timedelta(days=course.window_days)
        if course.previous_last_visit is not None:
            earliest = max(earliest, datetime.combine(
                course.previous_last_visit + timedelta(days=1), time(0), tzinfo=UTC))
        before = [r for r in rows if r.source in BASELINE_SOURCES
                  and earliest <= r.taken_at <= course.start]
        if before:
            return before[-1]
        if course.first_session_id is not None:
            return next((r for r in rows if r.session_id == course.first_session_id), None)
    return next((r for r in rows if r.source != "intake"
                 and (course.start is None or r.taken_at >= course.start)), None)


def _after_treatment(r: Reading, course: Course) -> bool:
    """A value that can show a response: taken after the course began and not the first
    session's own scores, which are taken before any needling."""
    if r.source == "intake":
        return False  # an intake sent in late is never a course's latest value
    if course.start is None:
        return True
    if course.first_session_id is not None and r.session_id == course.first_session_id:
        return False
    return r.taken_at >= course.start


@dataclass(frozen=True)
class Outcome:
    instrument: str
    time_frame: str
    baseline: Reading | None
    latest: Reading | None
    count: int
    change: Change | None

    @property
    def registered(self) -> registry.Instrument | None:
        return registry.lookup(self.instrument, self.time_frame)

    @property
    def name(self) -> str:
        shown = self.latest or self.baseline
        if self.instrument == OTHER:
            return (shown.label if shown else "") or "Other instrument"
        found = self.registered or registry.family(self.instrument)
        return found.name if found else self.instrument

    @property
    def frame_label(self) -> str:
        """The time frame, where the name does not already say it (registered measures are
        named with theirs)."""
        if self.registered:
            return ""
        return FRAME_LABELS.get(self.time_frame, self.time_frame)

    @property
    def short(self) -> str:
        """"Pain now", "PEG-3": the measure in a sentence."""
        found = self.registered
        return found.short if found else self.name

    @property
    def absolute(self) -> float | None:
        return self.change.absolute if self.change else None

    @property
    def category(self) -> str:
        return self.change.category if self.change else ""

    @property
    def thresholds(self) -> bool:
        found = self.registered
        return bool(found and found.thresholds)

    @property
    def label(self) -> str:
        if self.instrument == "pgic" and self.latest:
            return pgic_label(self.latest.value)
        if self.change:
            return self.change.label
        if self.baseline is None:
            return "No baseline for this course"
        return "Not measured again yet"

    @property
    def responder(self) -> bool:
        if self.instrument == "pgic":
            return bool(self.latest) and pgic_meaningful(self.latest.value)
        return bool(self.change and self.change.responder)


def pgic_label(value: float) -> str:
    return dict(registry.PGIC_CHOICES).get(int(value), str(value))


def compare(baseline: Reading, latest: Reading) -> Change:
    """The rule applied to two readings of one measure."""
    return classify(baseline.registered, baseline.exact, latest.exact,
                    latest.higher_is_better)


def outcome(readings: Iterable[Reading], course: Course) -> Outcome | None:
    """Baseline and latest for one instrument and time frame over one course. PGIC is asked
    only from the second visit, so it has a latest and no baseline."""
    rows = sorted(readings, key=lambda r: (r.taken_at, r.session_number or 0))
    if not rows:
        return None
    first = rows[0]
    if first.instrument == "pgic":
        later = [r for r in rows if _after_treatment(r, course)]
        return Outcome("pgic", first.time_frame, None, later[-1], len(later), None) \
            if later else None
    baseline = course_baseline(rows, course)
    later = [r for r in rows if r is not baseline and _after_treatment(r, course)
             and (baseline is None or r.taken_at >= baseline.taken_at)]
    if baseline is None and not later:
        return None
    latest = later[-1] if later else None
    change = compare(baseline, latest) if baseline and latest else None
    return Outcome(first.instrument, first.time_frame, baseline, latest,
                   len(later) + (baseline is not None), change)


def _order(instrument: str, frame: str) -> int:
    keys = list(registry.REGISTRY)
    found = registry.lookup(instrument, frame)
    return keys.index(found.key) if found else len(keys)


def outcomes(readings: Iterable[Reading], course: Course) -> list[Outcome]:
    """One Outcome per instrument and time frame, in registry order (pain first). Pain after
    needling is an immediate effect, not a course outcome, so it is left to
    `immediate_effects`."""
    groups: dict[tuple[str, str, str], list[Reading]] = {}
    for r in readings:
        if (r.registered or r.instrument == OTHER) and r.time_frame != "after_needling":
            # "Other" totals are told apart by name: a HIT-6 is never compared with an ODI.
            name = r.label.casefold().strip() if r.instrument == OTHER else ""
            groups.setdefault((r.instrument, r.time_frame, name), []).append(r)
    return [o for key in sorted(groups, key=lambda k: (_order(k[0], k[1]), k[2]))
            if (o := outcome(groups[key], course)) is not None]


@dataclass(frozen=True)
class VisitResponse:
    """The response at visit `number`: that session's own value, or a check-in answered after
    it and before the next (session_id None), which is then the latest value at that visit."""
    number: int
    session_id: int | None
    change: Change | None  # None at the first session: it is scored before any needling

    @property
    def responder(self) -> bool:
        return bool(self.change and self.change.responder)


@dataclass(frozen=True)
class CourseResponse:
    """A course's pain-now response visit by visit: what a dashboard row counts."""
    baseline: Reading | None
    visits: list[VisitResponse]

    def at(self, number: int) -> VisitResponse | None:
        """The latest value at visit `number` (a later check-in before the next visit)."""
        return next((v for v in reversed(self.visits) if v.number == number), None)

    @property
    def first_response(self) -> int | None:
        return min((v.number for v in self.visits if v.responder), default=None)

    @property
    def last(self) -> VisitResponse | None:
        return max(reversed(self.visits), key=lambda v: v.number, default=None)


def course_response(readings: Iterable[Reading], course: Course) -> CourseResponse:
    """A measure at each numbered session against the course baseline, by the same baseline
    and rule as the summary. The first session is a visit without a response: its score is
    taken before any needling. A check-in numbered by `number_checkins` counts at the visit it
    followed, after that visit's own value."""
    rows = sorted(readings, key=lambda r: (r.taken_at, r.session_number or 0))
    baseline = course_baseline(rows, course)
    visits = []
    for r in rows:
        if r.session_number is None or (r.session_id is None and r.source != CHECKIN):
            continue
        counts = baseline is not None and r is not baseline and _after_treatment(r, course)
        visits.append(VisitResponse(r.session_number, r.session_id,
                                    compare(baseline, r) if counts else None))
    return CourseResponse(baseline, visits)


def number_checkins(checkins: Iterable[Reading],
                    visits: Iterable[tuple[datetime, int]]) -> list[Reading]:
    """Check-in readings numbered with the visit each followed (the latest numbered session
    scored at or before it): "responded within N visits" counts treatment received. A check-in
    before the first session is left out: nothing was treated yet."""
    times = sorted(visits)
    numbered = []
    for r in checkins:
        before = [number for at, number in times if at <= r.taken_at]
        if before:
            numbered.append(Reading(r.instrument, r.time_frame, r.value, r.taken_at, r.source,
                                    max(before), None, r.label, r.higher_is_better, r.items))
    return numbered


@dataclass(frozen=True)
class SessionPain:
    """Pain before and after needling at one session (NRS now)."""
    number: int | None
    visit_on: object               # a date; kept loose so callers may pass strings in tests
    before: float | None
    after: float | None
    reevaluation: bool = False

    @property
    def immediate(self) -> float | None:
        """After minus before: negative is relief on the table."""
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 1)


@dataclass(frozen=True)
class ImmediateEffect:
    sessions: int
    mean_change: float | None      # mean of after - before over sessions with both values
    relieved: int                  # sessions where pain after was lower than before
    sessions_list: list[SessionPain] = field(default_factory=list)


def immediate_effects(sessions: Iterable[SessionPain]) -> ImmediateEffect:
    items = list(sessions)
    changes = [s.immediate for s in items if s.immediate is not None]
    return ImmediateEffect(
        sessions=len(changes),
        mean_change=round(mean(changes), 1) if changes else None,
        relieved=sum(1 for c in changes if c < 0),
        sessions_list=items)


def per_100(events: int, sessions: int) -> float | None:
    """Adverse events per 100 sessions, one decimal; None when there were no sessions."""
    if sessions <= 0:
        return None
    return round(events * 100 / sessions, 1)


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None for an empty denominator (never a false 0 %)."""
    return round(part * 100 / whole, 1) if whole else None


def number_text(value: float | None) -> str:
    """'7', '5.3', '+1', '-4': whole numbers without a trailing .0."""
    if value is None:
        return "—"
    return f"{value:g}"


def signed_text(value: float | None) -> str:
    return "—" if value is None else f"{value:+g}"
