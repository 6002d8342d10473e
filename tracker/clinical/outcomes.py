"""The outcome engine: baseline against latest for every instrument, immediate effect per session,
PGIC and adverse-event rates. Plain data in, plain data out: no Flask, no database.

The thresholds themselves live in `instruments.pain_change`; this module only decides which values
are compared (shared/clinical/instruments.md, "Thresholds for did it help")."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from statistics import mean

from .instruments import INSTRUMENTS, NRS_FRAMES, PGIC_CHOICES, Change, pain_change, pgic_meaningful

# Only these have published "did it help" thresholds; the rest show direction without a category.
THRESHOLD_INSTRUMENTS = ("nrs", "peg3")
RESPONSE = ("responder", "substantial")
FRAME_LABELS = NRS_FRAMES | {"after_needling": "Pain after needling", "week": "Past 7 days",
                             "": ""}
DIRECTION_LABELS = {"improved": "Better than baseline", "worse": "Worse than baseline",
                    "no_change": "Same as baseline"}
# Summary order: pain first, then function, mood, sleep, medicine.
ORDER = ("nrs", "peg3", "pgic", "sleep", "med_days", "phq2", "gad2", "wpi", "sss", "other")
OTHER = "other"
# Values entered before treatment that may serve as its baseline: the intake, or staff entering a
# score (a licensed scale's total) before the first session.
BASELINE_SOURCES = ("intake", "manual")


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


@dataclass(frozen=True)
class Outcome:
    instrument: str
    time_frame: str
    baseline: Reading | None
    latest: Reading
    count: int
    change: Change | None          # pain instruments with a baseline
    direction: str = ""            # improved / worse / no_change for instruments without thresholds

    @property
    def name(self) -> str:
        if self.instrument == OTHER:
            return self.latest.label or "Other instrument"
        instrument = INSTRUMENTS.get(self.instrument)
        return instrument.name if instrument else self.instrument

    @property
    def frame_label(self) -> str:
        return FRAME_LABELS.get(self.time_frame, self.time_frame)

    @property
    def absolute(self) -> float | None:
        if self.baseline is None:
            return None
        return round(self.latest.value - self.baseline.value, 1)

    @property
    def category(self) -> str:
        return self.change.category if self.change else self.direction

    @property
    def label(self) -> str:
        if self.instrument == "pgic":
            return pgic_label(self.latest.value)
        if self.change:
            return self.change.label
        return DIRECTION_LABELS.get(self.direction, "Not measured again yet")

    @property
    def responder(self) -> bool:
        if self.instrument == "pgic":
            return pgic_meaningful(int(self.latest.value))
        return self.category in RESPONSE


def pgic_label(value: float) -> str:
    return dict(PGIC_CHOICES).get(int(value), str(value))


def _direction(reading: Reading, baseline: float, latest: float) -> str:
    if latest == baseline:
        return "no_change"
    instrument = INSTRUMENTS.get(reading.instrument)
    up = instrument.higher_is_better if instrument else bool(reading.higher_is_better)
    better = latest > baseline if up else latest < baseline
    return "improved" if better else "worse"


def outcome(readings: Iterable[Reading], start: datetime | None = None) -> Outcome | None:
    """Baseline and latest for one instrument and time frame.

    Baseline: the last intake (or staff-entered) value at or before `start` (the first session
    in scope), else the first value after it. Latest: the last value after the
    baseline. PGIC is asked only from the second visit, so it has a latest and no baseline."""
    rows = sorted(readings, key=lambda r: (r.taken_at, r.session_number or 0))
    if not rows:
        return None
    first = rows[0]
    if start is not None:
        # An intake only ever serves as the baseline: one sent in after treatment began (a
        # late form) must not pass for the latest value.
        before = [r for r in rows if r.taken_at <= start and r.source in BASELINE_SOURCES]
        rows = before[-1:] + [r for r in rows if r.taken_at >= start and r.source != "intake"]
        if not rows:
            return None
    latest = rows[-1]
    if first.instrument == "pgic" or len(rows) == 1:
        baseline = None if first.instrument == "pgic" else rows[0]
        return Outcome(first.instrument, first.time_frame, baseline, latest, len(rows), None)
    baseline = rows[0]
    if first.instrument in THRESHOLD_INSTRUMENTS:
        change = pain_change(baseline.value, latest.value, instrument=first.instrument)
        return Outcome(first.instrument, first.time_frame, baseline, latest, len(rows), change)
    return Outcome(first.instrument, first.time_frame, baseline, latest, len(rows), None,
                   _direction(latest, baseline.value, latest.value))


def outcomes(readings: Iterable[Reading], start: datetime | None = None) -> list[Outcome]:
    """One Outcome per instrument and time frame, pain first. Pain after needling is an
    immediate effect, not a course outcome, so it is left to `immediate_effects`."""
    groups: dict[tuple[str, str, str], list[Reading]] = {}
    for r in readings:
        if (r.instrument in INSTRUMENTS or r.instrument == OTHER) and \
                r.time_frame != "after_needling":
            # "Other" totals are told apart by name: a HIT-6 is never compared with an ODI.
            name = r.label.casefold().strip() if r.instrument == OTHER else ""
            groups.setdefault((r.instrument, r.time_frame, name), []).append(r)
    frames = list(FRAME_LABELS)
    return [o for key in sorted(groups, key=lambda k: (
        ORDER.index(k[0]) if k[0] in ORDER else 99, frames.index(k[1]) if k[1] in frames else 99,
        k[2])) if (o := outcome(groups[key], start)) is not None]


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


def percent_text(value: float | None) -> str:
    """'57 %' (half up, whole percent) for people; the engine keeps one decimal."""
    if value is None:
        return "n/a"
    return f"{Decimal(str(value)).quantize(Decimal('1'), rounding=ROUND_HALF_UP)} %"


def number_text(value: float | None) -> str:
    """'7', '5.3', '+1', '-4': whole numbers without a trailing .0."""
    if value is None:
        return "—"
    return f"{value:g}"


def signed_text(value: float | None) -> str:
    return "—" if value is None else f"{value:+g}"
