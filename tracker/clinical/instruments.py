"""The instrument registry: every outcome measure declared once (shared/clinical/instruments.md).

Each `Instrument` is one stored measure (a measurement row's instrument and time frame) with the
exact words the patient or clinician sees, its answer scale, scoring, direction, export codes,
where it is asked and whether it can be a plan goal. Forms, the intake review, the session view,
plan goal measures, CSV columns and FHIR codes are all derived from `REGISTRY`; adding a simple
0-10 measure is one `register(...)` here.

No Flask, no database: plain data and functions a clinician can read."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ZERO_TO_TEN = tuple((i, str(i)) for i in range(11))
FREQUENCY_CHOICES = ((0, "Not at all"), (1, "Several days"), (2, "More than half the days"),
                     (3, "Nearly every day"))
TWO_WEEKS_STEM = ("Over the last 2 weeks, how often have you been bothered by the following "
                  "problems?")
SCREEN_POSITIVE_AT = 3
PGIC_CHOICES = ((1, "Very much improved"), (2, "Much improved"), (3, "Minimally improved"),
                (4, "No change"), (5, "Minimally worse"), (6, "Much worse"),
                (7, "Very much worse"))
SSS_SEVERITY = ((0, "No problem"), (1, "Slight or mild"), (2, "Moderate"), (3, "Severe"))

# Where an instrument may be asked.
INTAKE, REEVALUATION, CHECKIN = "intake", "reevaluation", "checkin"
# When a re-evaluation must record it before signing.
ALWAYS, IF_POSITIVE, OPTIONAL = "always", "if_positive", "optional"


@dataclass(frozen=True)
class Item:
    """One question as the patient reads it. `field` is the form field's name: saved intake
    drafts are keyed by it, so it never changes; `key` names the answer in a measurement's
    items."""
    field: str
    key: str
    text: str
    choices: tuple[tuple[int, str], ...] = ZERO_TO_TEN
    anchors: str = "0 = no pain, 10 = worst pain imaginable"
    required_message: str = "Please choose an answer."

    @property
    def numeric(self) -> bool:
        """A 0-n number scale (drawn as a row of buttons) rather than labelled answers."""
        return all(label == str(value) for value, label in self.choices)


def _single(answers: list[int]) -> Fraction:
    return Fraction(answers[0])


def _mean(answers: list[int]) -> Fraction:
    return Fraction(sum(answers), len(answers))


def _total(answers: list[int]) -> Fraction:
    return Fraction(sum(answers))


@dataclass(frozen=True)
class Instrument:
    """One stored measure. `code` and `time_frame` are what a measurement row holds."""
    key: str                       # unique: "nrs_now", "peg3"; CSV columns are named from it
    code: str                      # measurement.instrument
    time_frame: str                # measurement.time_frame
    name: str                      # as staff read it: "Pain right now (NRS 0-10)"
    short: str                     # in tables and charts: "NRS now"
    items: tuple[Item, ...]
    minimum: float
    maximum: float
    higher_is_better: bool = False
    exact: Callable[[list[int]], Fraction] = _single  # unrounded score from the item answers
    places: int = 0                # the score as shown and stored: 0 or 1 decimal
    recall: str = ""               # the time frame in words
    stem: str = ""                 # shown above the items, e.g. PHQ-2's "Over the last 2 weeks"
    validated: bool = True
    note: str = ""                 # said next to the value ("not a validated scale")
    # LOINC only where a standard code means exactly this measure (interop.md); every measure
    # is also exported under the clinic's own code system by its key (exports/fhir.py).
    loinc: str = ""
    loinc_display: str = ""
    panel_loinc: str = ""          # questionnaire code when the items are exported too
    unit: str = "{score}"          # UCUM: a score, or "d" for a count of days
    unit_text: str = "score"
    asked: frozenset[str] = frozenset()
    intake_step: str = ""          # the intake step that asks it ("pain", "sleep")
    intake_group: str = ""         # the fieldset it sits in on that step
    reevaluation: str = OPTIONAL   # ALWAYS, IF_POSITIVE (at intake) or OPTIONAL at re-evaluation
    goal: str = ""                 # plan goal measure key ("nrs_average"); empty: not a goal
    thresholds: bool = False       # IMMPACT "did it help" categories apply (outcome_rule.py)
    point_floor: int = 0           # points of change a responder needs besides the percentage
    screen_positive_at: int | None = None
    screen_advice: str = ""
    choice_labels: tuple[tuple[int, str], ...] = field(default=())  # a value's label (PGIC)
    # For the patient, in plain words (no abbreviation): what is measured, to read in a
    # sentence ("Your {plain} went from 7 to 4 out of 10"), and what its numbers mean.
    plain: str = ""
    plain_scale: str = ""

    @property
    def plain_name(self) -> str:
        """The measure as a patient reads it; its staff name where none is declared."""
        return self.plain or self.name

    @property
    def target_words(self) -> str:
        """How a goal on this measure reads: "7 or more" for sleep, "3 or less" for pain."""
        return "or more" if self.higher_is_better else "or less"

    def score(self, answers: list[int]) -> float:
        """The score as stored and shown (rounded half up); classify from `exact`."""
        return half_up(self.exact(answers), self.places)

    def item_answers(self, answers: Mapping[str, object]) -> list[int] | None:
        """The answers to this instrument's items from form data, or None unless all are
        given (every shipped instrument needs all its items for a score)."""
        values = [answers.get(item.field) for item in self.items]
        if any(v is None or v == "" for v in values):
            return None
        values = [int(v) for v in values]
        for item, v in zip(self.items, values, strict=True):
            if v not in {value for value, _ in item.choices}:
                raise ValueError(f"{item.field}: {v} is not an answer on its scale")
        return values

    def stored_items(self, answers: list[int]) -> dict | None:
        """Item answers kept with a multi-item score, keyed by item key."""
        if len(self.items) < 2:
            return None
        return {item.key: a for item, a in zip(self.items, answers, strict=True)}

    def exact_from_row(self, value: float, items: Mapping | None) -> Fraction:
        """An unrounded score from a stored row: from its items where kept, so PEG's rounded
        mean never decides a category."""
        if items and len(self.items) > 1:
            answers = [items.get(item.key) for item in self.items]
            if all(a is not None for a in answers):
                return self.exact([int(a) for a in answers])
        return Fraction(str(value))

    def positive(self, value: float | None) -> bool:
        return (self.screen_positive_at is not None and value is not None
                and value >= self.screen_positive_at)

    def value_label(self, value: float | None) -> str:
        if value is None:
            return "—"
        labels = dict(self.choice_labels)
        if labels:
            return labels.get(int(value), f"{value:g}")
        return f"{half_up(Fraction(str(value)), self.places):.{self.places}f}"


def half_up(value: Fraction | float, places: int = 0) -> float:
    """Round half up (a patient's 6.45 shows as 6.5, never banker's 6.4)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(
        value, Fraction) else Decimal(str(value))
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


# -- the items ------------------------------------------------------------------------------------

PAIN_ANCHORS = "0 = no pain, 10 = worst pain imaginable"
PEG_PAIN_ANCHORS = "0 = no pain, 10 = pain as bad as you can imagine"
INTERFERE = "0 = does not interfere, 10 = completely interferes"

PAIN_NOW = Item("nrs_now", "value", "Pain right now", anchors=PAIN_ANCHORS,
                required_message="Please choose a number for your pain now.")
# PEG-3's first item is also the NRS average over the past week: asked once, stored as both.
PAIN_AVERAGE = Item("nrs_average_week", "pain",
                    "What number best describes your pain on average in the past week?",
                    anchors=PEG_PAIN_ANCHORS,
                    required_message="Please choose a number for your average pain.")
PAIN_WORST = Item("nrs_worst_week", "value", "Worst pain over the past 7 days",
                  anchors=PAIN_ANCHORS,
                  required_message="Please choose a number for your worst pain.")
PAIN_LEAST = Item("nrs_least_week", "value", "Least pain over the past 7 days",
                  anchors=PAIN_ANCHORS,
                  required_message="Please choose a number for your least pain.")
PEG_ENJOYMENT = Item("peg_enjoyment", "enjoyment",
                     "What number best describes how, during the past week, pain has interfered "
                     "with your enjoyment of life?", anchors=INTERFERE,
                     required_message="Please choose a number.")
PEG_ACTIVITY = Item("peg_activity", "activity",
                    "What number best describes how, during the past week, pain has interfered "
                    "with your general activity?", anchors=INTERFERE,
                    required_message="Please choose a number.")
SLEEP = Item("sleep", "value", "Over the past 7 days, how would you rate your sleep quality "
             "overall?", anchors="0 = terrible, 10 = excellent",
             required_message="Please choose a number for your sleep.")
MED_DAYS = Item("medication_days", "value",
                "In the past 7 days, on how many days did you take medicine for your pain?",
                choices=tuple((i, str(i)) for i in range(8)), anchors="0 to 7 days",
                required_message="Please choose a number of days (0 to 7).")
PGIC = Item("pgic", "value", "Since you began treatment here, how would you describe the change "
            "in your condition?", choices=PGIC_CHOICES, anchors="",
            required_message="Please choose how your condition has changed.")
PHQ2 = (Item("phq2_1", "1", "Little interest or pleasure in doing things",
             choices=FREQUENCY_CHOICES, anchors=""),
        Item("phq2_2", "2", "Feeling down, depressed, or hopeless", choices=FREQUENCY_CHOICES,
             anchors=""))
GAD2 = (Item("gad2_1", "1", "Feeling nervous, anxious or on edge", choices=FREQUENCY_CHOICES,
             anchors=""),
        Item("gad2_2", "2", "Not being able to stop or control worrying",
             choices=FREQUENCY_CHOICES, anchors=""))
# Symptom Severity Scale (ACR 2016): asked on the pain step only when fibromyalgia is ticked.
SSS_ITEMS = {"fatigue": "Fatigue (tiredness)", "unrefreshed": "Waking up tired (unrefreshed)",
             "cognitive": "Trouble thinking or remembering"}
SSS_YES_NO = {"headaches": "Headaches", "abdominal": "Pain or cramps in the lower abdomen",
              "depression": "Depression"}

STRENGTH = "How strong is your pain?"
AFFECTS = "How pain affects your life"
MEDICINE = "Medicine for pain"
MOOD = TWO_WEEKS_STEM
GROUP_HELP = {STRENGTH: "Choose a number from 0 (no pain) to 10 (the worst pain you can "
                        "imagine)."}

_SHIPPED = (
    Instrument("nrs_now", "nrs", "now", "Pain right now (NRS 0-10)", "Pain now", (PAIN_NOW,),
               0, 10, recall="right now", loinc="72514-3",
               loinc_display="Pain severity - 0-10 verbal numeric rating [Score] - Reported",
               asked=frozenset({INTAKE}), intake_step="pain", intake_group=STRENGTH,
               thresholds=True, point_floor=2, plain="pain on the day",
               plain_scale="0 is no pain, 10 the worst pain you can imagine"),
    Instrument("nrs_average_week", "nrs", "average_week", "Average pain, past 7 days (NRS 0-10)",
               "Average pain", (PAIN_AVERAGE,), 0, 10, recall="past 7 days",
               asked=frozenset({INTAKE, REEVALUATION, CHECKIN}), intake_step="pain",
               intake_group=STRENGTH, reevaluation=ALWAYS, goal="nrs_average", thresholds=True,
               point_floor=2, plain="average pain over the past week",
               plain_scale="0 is no pain, 10 the worst pain you can imagine"),
    Instrument("nrs_worst_week", "nrs", "worst_week", "Worst pain, past 7 days (NRS 0-10)",
               "Worst pain", (PAIN_WORST,), 0, 10, recall="past 7 days",
               asked=frozenset({INTAKE, REEVALUATION}), intake_step="pain", intake_group=STRENGTH,
               reevaluation=ALWAYS, goal="nrs_worst", thresholds=True, point_floor=2,
               plain="worst pain over the past week",
               plain_scale="0 is no pain, 10 the worst pain you can imagine"),
    Instrument("nrs_least_week", "nrs", "least_week", "Least pain, past 7 days (NRS 0-10)",
               "Least pain", (PAIN_LEAST,), 0, 10, recall="past 7 days",
               asked=frozenset({INTAKE}), intake_step="pain", intake_group=STRENGTH,
               thresholds=True, point_floor=2, plain="least pain over the past week",
               plain_scale="0 is no pain, 10 the worst pain you can imagine"),
    Instrument("peg3", "peg3", "", "PEG-3 pain, enjoyment and activity (0-10)", "PEG-3",
               (PAIN_AVERAGE, PEG_ENJOYMENT, PEG_ACTIVITY), 0, 10, exact=_mean, places=1,
               recall="past week", loinc="91147-9", loinc_display="PEG mean score",
               panel_loinc="91148-7", asked=frozenset({INTAKE, REEVALUATION, CHECKIN}),
               intake_step="pain", intake_group=AFFECTS, reevaluation=ALWAYS, goal="peg",
               thresholds=True,
               plain="pain and how much it gets in the way of enjoying life and daily activity",
               plain_scale="the average of three questions, each 0 (not at all) to 10 (as bad "
                           "as can be)"),
    Instrument("med_days", "med_days", "week", "Days with pain medicine, past 7 (0-7)",
               "Medicine days", (MED_DAYS,), 0, 7, recall="past 7 days", validated=False,
               unit="d", unit_text="days",
               note="not a validated scale", asked=frozenset({INTAKE, REEVALUATION, CHECKIN}),
               intake_step="pain", intake_group=MEDICINE,
               plain="days you took medicine for pain in the past week",
               plain_scale="the number of days, 0 to 7"),
    Instrument("sleep", "sleep", "week", "Sleep quality, past 7 days (0-10)", "Sleep",
               (SLEEP,), 0, 10, higher_is_better=True, recall="past 7 days", validated=False,
               note="not a validated scale; higher is better",
               asked=frozenset({INTAKE, REEVALUATION, CHECKIN}), intake_step="sleep",
               reevaluation=ALWAYS, goal="sleep", plain="sleep over the past week",
               plain_scale="0 is terrible, 10 excellent: higher is better"),
    Instrument("phq2", "phq2", "", "PHQ-2 depression screen (0-6)", "PHQ-2", PHQ2, 0, 6,
               exact=_total, recall="last 2 weeks", stem=TWO_WEEKS_STEM, loinc="55758-7",
               loinc_display="Patient Health Questionnaire 2 item (PHQ-2) total score "
                             "[Reported]",
               asked=frozenset({INTAKE, REEVALUATION}), intake_step="sleep", intake_group=MOOD,
               reevaluation=IF_POSITIVE, screen_positive_at=SCREEN_POSITIVE_AT,
               screen_advice="Consider the full PHQ-9 or referral. A screen is not a diagnosis.",
               plain="low mood and loss of interest over the past two weeks",
               plain_scale="two questions, 0 to 6 in all: lower is better"),
    Instrument("gad2", "gad2", "", "GAD-2 anxiety screen (0-6)", "GAD-2", GAD2, 0, 6,
               exact=_total, recall="last 2 weeks", stem=TWO_WEEKS_STEM, loinc="70272-0",
               loinc_display="Generalized anxiety disorder 2 item (GAD-2) total score",
               asked=frozenset({INTAKE, REEVALUATION}), intake_step="sleep", intake_group=MOOD,
               reevaluation=IF_POSITIVE, screen_positive_at=SCREEN_POSITIVE_AT,
               screen_advice="Consider the full GAD-7 or referral. A screen is not a diagnosis.",
               plain="feeling nervous and worrying over the past two weeks",
               plain_scale="two questions, 0 to 6 in all: lower is better"),
    Instrument("pgic", "pgic", "", "Patient Global Impression of Change (1-7)", "PGIC", (PGIC,),
               1, 7, recall="since treatment began", asked=frozenset({REEVALUATION}),
               reevaluation=ALWAYS, goal="pgic", choice_labels=PGIC_CHOICES,
               plain="how you feel your condition has changed since treatment began"),
    # Computed, not asked: the WPI from the body map, the SSS only with fibromyalgia.
    Instrument("wpi", "wpi", "", "Widespread Pain Index, from the body map (0-19)", "WPI", (),
               0, 19, plain="how many areas of your body hurt, from the body map",
               plain_scale="0 to 19 areas"),
    Instrument("sss", "sss", "", "Symptom Severity Scale (0-12)", "SSS", (), 0, 12,
               plain="tiredness, waking unrefreshed, trouble thinking and other symptoms",
               plain_scale="0 to 12: lower is better"),
)

REGISTRY: dict[str, Instrument] = {}
_revision = [0]


def register(instrument: Instrument) -> Instrument:
    """Add an instrument; forms built from the registry pick it up on their next use."""
    if instrument.key in REGISTRY:
        raise ValueError(f"{instrument.key} is registered already")
    if instrument.goal and instrument.goal in {i.goal for i in REGISTRY.values()}:
        raise ValueError(f"goal measure {instrument.goal} is taken")
    REGISTRY[instrument.key] = instrument
    _revision[0] += 1
    return instrument


def unregister(key: str) -> None:
    del REGISTRY[key]
    _revision[0] += 1


@contextmanager
def registered(instrument: Instrument) -> Iterator[Instrument]:
    """An instrument registered for the duration of a block (tests, trials)."""
    register(instrument)
    try:
        yield instrument
    finally:
        unregister(instrument.key)


def revision() -> int:
    """Changes whenever the registry does, so derived form classes know to rebuild."""
    return _revision[0]


for _instrument in _SHIPPED:
    register(_instrument)


def lookup(code: str, time_frame: str = "") -> Instrument | None:
    """The instrument of a measurement row."""
    for instrument in REGISTRY.values():
        if instrument.code == code and instrument.time_frame == time_frame:
            return instrument
    return None


def family(code: str) -> Instrument | None:
    """Any instrument stored under this code (the NRS has several time frames)."""
    return next((i for i in REGISTRY.values() if i.code == code), None)


def asked_at(where: str, step: str | None = None) -> list[Instrument]:
    return [i for i in REGISTRY.values() if where in i.asked
            and (step is None or i.intake_step == step)]


def items_for(instruments: Iterable[Instrument]) -> list[Item]:
    """Each question once, in order, though two instruments may share it (PEG-3 and the NRS
    average both use the average-pain item)."""
    seen: dict[str, Item] = {}
    for instrument in instruments:
        for item in instrument.items:
            seen.setdefault(item.field, item)
    return list(seen.values())


def goal_measures() -> dict[str, Instrument]:
    return {i.goal: i for i in REGISTRY.values() if i.goal}


@dataclass(frozen=True)
class Scored:
    instrument: Instrument
    value: float
    items: dict | None


def score_answers(answers: Mapping[str, object], where: str,
                  only: Iterable[str] | None = None) -> list[Scored]:
    """Form answers to the scores they make, for every instrument asked at `where` whose items
    were all answered. The one place answers become values."""
    wanted = set(only) if only is not None else None
    scored = []
    for instrument in asked_at(where):
        if wanted is not None and instrument.key not in wanted:
            continue
        answers_ = instrument.item_answers(answers)
        if answers_ is not None:
            scored.append(Scored(instrument, instrument.score(answers_),
                                 instrument.stored_items(answers_)))
    return scored


def answers_from(rows: Iterable[tuple[str, str, float, Mapping | None]]) -> dict[str, int]:
    """Stored rows (code, time frame, value, items) back to form answers, to refill a form."""
    answers: dict[str, int] = {}
    for code, frame, value, items in rows:
        instrument = lookup(code, frame)
        if instrument is None or not instrument.items:
            continue
        if len(instrument.items) == 1:
            answers.setdefault(instrument.items[0].field, int(value))
        elif items:
            for item in instrument.items:
                if items.get(item.key) is not None:
                    answers.setdefault(item.field, int(items[item.key]))
    return answers


# -- computed, not asked -------------------------------------------------------------------------

def sss_score(fatigue: int, unrefreshed: int, cognitive: int, headaches: bool,
              abdominal: bool, depression: bool) -> int:
    """ACR 2016 Symptom Severity Scale, 0-12: three 0-3 severities and three yes/no items."""
    severity = [int(v) for v in (fatigue, unrefreshed, cognitive)]
    if any(not 0 <= v <= 3 for v in severity):
        raise ValueError("severities must be between 0 and 3")
    return sum(severity) + int(bool(headaches)) + int(bool(abdominal)) + int(bool(depression))
