"""The one rule for "did it help" (IMMPACT: Dworkin 2008; Farrar 2001; instruments.md).

Every place that says improved, responder or substantial (summary, patient page, dashboard rows,
CSV, FHIR) calls `classify`. It works on exact values (whole numbers, item sums or unrounded
means as fractions) and rounds only what it returns for display, so 30 % and 50 % are never lost
to a rounded mean."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .instruments import Instrument, half_up

MINIMAL_PERCENT = 10
RESPONDER_PERCENT = 30
SUBSTANTIAL_PERCENT = 50
PGIC_MEANINGFUL = (1, 2)  # "much improved" or better
RESPONSE = ("responder", "substantial")

CATEGORY_LABELS = {
    "substantial": "Substantial improvement (50 % or more)",
    "responder": "Responder: moderately important improvement (30 % or more)",
    "minimal": "Minimally important improvement (10-30 %)",
    "not_responder_small": "Not a responder: change under 2 points",
    "no_change": "No important change",
    "worse": "Worse than baseline",
    "no_baseline": "No baseline pain",
    # Instruments without published thresholds: direction only.
    "improved": "Better than baseline",
    "same": "Same as baseline",
}
THRESHOLD_TEXT = ("Responder: 30 % or more (NRS also 2 points or more); substantial: 50 % or "
                  "more (IMMPACT, Dworkin 2008).")
# The same categories for the patient's own summary and page: what the change means, in plain
# words (no percentages: PLAIN_THRESHOLD_TEXT explains them where a page has room). "The start"
# is the earlier of the two values compared, which the sentence before each label names.
PLAIN_LABELS = {
    "substantial": "A big improvement: down by half or more.",
    "responder": "A real improvement: a change this size is one most people feel.",
    "minimal": "A small improvement, smaller than most people feel as a real one.",
    "not_responder_small": "A small change of less than 2 points.",
    "no_change": "About the same as at the start.",
    "worse": "Worse than at the start: please talk to us about it.",
    "no_baseline": "You had none of it at the start.",
    "improved": "Better than at the start.",
    "same": "The same as at the start.",
}
PLAIN_THRESHOLD_TEXT = (f"A drop of {RESPONDER_PERCENT} % or more (and at least 2 points on a "
                        f"0 to 10 pain scale) is usually felt as a real improvement, and a drop "
                        f"of {SUBSTANTIAL_PERCENT} % or more as a big one.")


@dataclass(frozen=True)
class Change:
    baseline: float
    latest: float
    absolute: float           # latest - baseline, one decimal: negative is less pain
    percent: float | None     # improvement from baseline, one decimal; None without a percentage
    category: str

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def responder(self) -> bool:
        return self.category in RESPONSE


def _exact(value: Fraction | float | int) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(str(value))


def classify(instrument: Instrument | None, baseline: Fraction | float,
             latest: Fraction | float, higher_is_better: bool | None = None) -> Change:
    """Baseline against latest for one measure. `instrument` None is a free-named "other"
    total, classified by direction only (its thresholds are not ours to know)."""
    b, v = _exact(baseline), _exact(latest)
    absolute = half_up(v - b, 1)
    up = instrument.higher_is_better if instrument else bool(higher_is_better)
    if instrument is None or not instrument.thresholds:
        better = v > b if up else v < b
        category = "same" if v == b else "improved" if better else "worse"
        return Change(float(b), float(v), absolute, None, category)
    if b == 0:
        return Change(float(b), float(v), absolute, None, "no_baseline")
    drop = (b - v) if not up else (v - b)
    percent = drop / b * 100
    floor_met = drop >= instrument.point_floor
    if percent < 0:
        category = "worse"
    elif percent >= RESPONDER_PERCENT:
        # A substantial improvement is a responder too, so the point floor holds for both.
        category = ("substantial" if percent >= SUBSTANTIAL_PERCENT else "responder") \
            if floor_met else "not_responder_small"
    elif percent >= MINIMAL_PERCENT:
        category = "minimal"
    else:
        category = "no_change"
    return Change(float(b), float(v), absolute, half_up(percent, 1), category)


def pgic_meaningful(value: float) -> bool:
    """PGIC "much improved" or better counts as a meaningful improvement."""
    return int(value) in PGIC_MEANINGFUL


def percent_text(value: float | None) -> str:
    """'57 %' for people. Where rounding to a whole percent would land on a threshold the value
    did not reach (29.6 % is not 30 %), one decimal is kept so the figure never contradicts its
    category."""
    if value is None:
        return "n/a"
    exact = Decimal(str(value))
    whole = exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    if whole != exact and int(whole) in (MINIMAL_PERCENT, RESPONDER_PERCENT,
                                         SUBSTANTIAL_PERCENT) and exact < whole:
        return f"{exact.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"
    return f"{whole} %"


def change_text(percent: float | None, higher_is_better: bool = False) -> str:
    """A change from baseline in words: '57 % reduction', '250 % increase', '0 % change'.
    `percent` is Change.percent (the improvement: negative is worse), so a worse score never
    reads as a negative reduction; which way the number moved follows the measure's direction."""
    if percent is None:
        return ""
    if percent == 0:
        return f"{percent_text(0)} change"
    went_down = (percent > 0) != higher_is_better
    return f"{percent_text(abs(percent))} {'reduction' if went_down else 'increase'}"


def outcome_change_text(outcome) -> str:
    """change_text of an outcome (clinical.outcomes.Outcome): its percentage, its direction."""
    change = outcome.change if outcome is not None else None
    found = outcome.registered if change is not None else None
    return change_text(change.percent if change else None,
                       bool(found and found.higher_is_better))
