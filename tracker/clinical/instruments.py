"""Outcome instruments, their exact items and their scoring (shared/clinical/instruments.md).

Every number the tracker reports about pain, mood or sleep is computed here and nowhere else."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

NRS_FRAMES = {
    "now": "Pain right now",
    "average_week": "Average pain over the past 7 days",
    "worst_week": "Worst pain over the past 7 days",
    "least_week": "Least pain over the past 7 days",
}
NRS_ANCHORS = ("0 = no pain", "10 = worst pain imaginable")

PEG_ITEMS = (
    "What number best describes your pain on average in the past week?",
    "What number best describes how, during the past week, pain has interfered with your "
    "enjoyment of life?",
    "What number best describes how, during the past week, pain has interfered with your "
    "general activity?",
)
PEG_ANCHORS = (("no pain", "pain as bad as you can imagine"),
               ("does not interfere", "completely interferes"),
               ("does not interfere", "completely interferes"))

FREQUENCY_CHOICES = ((0, "Not at all"), (1, "Several days"), (2, "More than half the days"),
                     (3, "Nearly every day"))
TWO_WEEKS_STEM = ("Over the last 2 weeks, how often have you been bothered by the following "
                  "problems?")
PHQ2_ITEMS = ("Little interest or pleasure in doing things",
              "Feeling down, depressed, or hopeless")
GAD2_ITEMS = ("Feeling nervous, anxious or on edge",
              "Not being able to stop or control worrying")
SCREEN_POSITIVE_AT = 3

SLEEP_ITEM = "Over the past 7 days, how would you rate your sleep quality overall?"
SLEEP_ANCHORS = ("0 = terrible", "10 = excellent")
MED_DAYS_ITEM = "In the past 7 days, on how many days did you take medicine for your pain?"

PGIC_ITEM = ("Since you began treatment here, how would you describe the change in your "
             "condition?")
PGIC_CHOICES = ((1, "Very much improved"), (2, "Much improved"), (3, "Minimally improved"),
                (4, "No change"), (5, "Minimally worse"), (6, "Much worse"),
                (7, "Very much worse"))

SSS_ITEMS = {"fatigue": "Fatigue", "unrefreshed": "Waking unrefreshed",
             "cognitive": "Trouble thinking or remembering"}
SSS_SEVERITY = ((0, "No problem"), (1, "Slight or mild"), (2, "Moderate"), (3, "Severe"))
SSS_YES_NO = {"headaches": "Headaches", "abdominal": "Pain or cramps in the lower abdomen",
              "depression": "Depression"}


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    minimum: float
    maximum: float
    higher_is_better: bool
    validated: bool = True
    loinc: str = ""


INSTRUMENTS = {i.code: i for i in (
    Instrument("nrs", "Pain (NRS 0-10)", 0, 10, False, loinc="72514-3"),
    Instrument("peg3", "PEG-3 pain, enjoyment and activity", 0, 10, False, loinc="91147-9"),
    Instrument("phq2", "PHQ-2 depression screen", 0, 6, False, loinc="55758-7"),
    Instrument("gad2", "GAD-2 anxiety screen", 0, 6, False),
    Instrument("sleep", "Sleep quality 0-10 (not a validated scale)", 0, 10, True,
               validated=False),
    Instrument("med_days", "Days with pain medicine in the past 7 (not a validated scale)",
               0, 7, False, validated=False),
    Instrument("pgic", "Patient Global Impression of Change", 1, 7, False),
    Instrument("wpi", "Widespread Pain Index (from the body map)", 0, 19, False),
    Instrument("sss", "Symptom Severity Scale", 0, 12, False),
)}


def _half_up(value: float, places: str = "0.1") -> float:
    return float(Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _check_items(items, count: int, low: int, high: int) -> list[int]:
    items = list(items)
    if len(items) != count or any(i is None for i in items):
        raise ValueError(f"all {count} items are required")
    if any(not low <= int(i) <= high for i in items):
        raise ValueError(f"items must be between {low} and {high}")
    return [int(i) for i in items]


def peg_score(items) -> float:
    """Mean of the three 0-10 items, one decimal; all three are required."""
    return _half_up(sum(_check_items(items, 3, 0, 10)) / 3)


@dataclass(frozen=True)
class Screen:
    total: int
    positive: bool


def two_item_screen(items) -> Screen:
    """PHQ-2 or GAD-2: total 0-6, positive at 3 or more (a screen, not a diagnosis)."""
    total = sum(_check_items(items, 2, 0, 3))
    return Screen(total, total >= SCREEN_POSITIVE_AT)


def sss_score(fatigue: int, unrefreshed: int, cognitive: int, headaches: bool,
              abdominal: bool, depression: bool) -> int:
    """ACR 2016 Symptom Severity Scale, 0-12."""
    severity = _check_items((fatigue, unrefreshed, cognitive), 3, 0, 3)
    return sum(severity) + int(bool(headaches)) + int(bool(abdominal)) + int(bool(depression))


# -- change against baseline (IMMPACT: Dworkin 2008; Farrar 2001) --------------------------------

CATEGORY_LABELS = {
    "substantial": "Substantial improvement (50 % or more)",
    "responder": "Responder: moderately important improvement (30 % or more)",
    "minimal": "Minimally important improvement (10-30 %)",
    "not_responder_small": "Not a responder: change under 2 points",
    "no_change": "No important change",
    "worse": "Worse than baseline",
    "no_baseline": "No baseline pain",
}


@dataclass(frozen=True)
class Change:
    baseline: float
    latest: float
    absolute: float           # latest - baseline: negative is less pain
    percent: float | None     # (baseline - latest) / baseline * 100; None without baseline pain
    category: str

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]


def pain_change(baseline: float, latest: float, *, instrument: str = "nrs") -> Change:
    """Classify the change in an NRS or PEG score from baseline to latest.

    The 2-point floor for "responder" applies to the NRS only (instruments.md)."""
    absolute = _half_up(latest - baseline)
    if baseline == 0:
        return Change(baseline, latest, absolute, None, "no_baseline")
    percent = _half_up((baseline - latest) / baseline * 100)
    if percent < 0:
        category = "worse"
    elif percent >= 50:
        category = "substantial"
    elif percent >= 30:
        category = "responder"
        if instrument == "nrs" and baseline - latest < 2:
            category = "not_responder_small"
    elif percent >= 10:
        category = "minimal"
    else:
        category = "no_change"
    return Change(baseline, latest, absolute, percent, category)


def pgic_meaningful(value: int) -> bool:
    """PGIC 'much improved' or better counts as a meaningful improvement."""
    return value in (1, 2)
