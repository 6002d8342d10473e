"""TCM assessment vocabulary (../shared/clinical/tcm-vocabulary.md) and plan-level STRICTA terms.

Stored as lower-case English slugs; shown with the English label. Patterns carry their ICD-11
chapter 26 (Traditional Medicine module 1) codes for export."""
from dataclasses import dataclass

from . import modalities


def _slugs(*labels: str) -> dict[str, str]:
    return {label.split(" (")[0].replace(" / ", "-").replace(" ", "-").lower(): label
            for label in labels}


TONGUE_COLOUR = _slugs("pale", "pale red (normal)", "red", "crimson", "purple", "bluish-purple",
                       "blue")
TONGUE_SHAPE = _slugs("enlarged", "swollen", "thin", "teeth-marked", "fissured", "spotted",
                      "prickly", "stiff", "flaccid", "trembling", "deviated")
COATING_COLOUR = _slugs("white", "yellow", "grey", "black")
COATING_THICKNESS = _slugs("none (peeled)", "thin", "thick")
COATING_QUALITY = _slugs("moist", "dry", "slippery", "greasy", "curdy", "peeled / geographic",
                         "rootless")

PULSE_RATE = _slugs("slow", "normal", "rapid")
PULSE_RHYTHM = _slugs("regular", "knotted", "intermittent", "hurried")
PULSE_QUALITIES = _slugs(
    "floating", "deep (sunken)", "slow", "rapid", "surging", "large", "faint", "thready (fine)",
    "scattered", "deficient (empty)", "excess (full)", "slippery", "choppy (rough)", "long",
    "short", "wiry", "hollow", "tight", "moderate", "drumskin", "firm", "weak", "soggy", "hidden",
    "hurried", "knotted", "intermittent", "racing")


@dataclass(frozen=True)
class Pattern:
    slug: str
    label: str
    icd11: str  # ICD-11 TM1 code


PATTERNS: dict[str, Pattern] = {p.slug: p for p in (
    Pattern("qi-stagnation", "Qi stagnation", "SE91"),
    Pattern("blood-stasis", "Blood stasis", "SF01"),
    Pattern("wind", "Wind", "SE80"),
    Pattern("cold", "Cold", "SE81"),
    Pattern("dampness", "Dampness", "SE82"),
    Pattern("fire-heat", "Fire-heat", "SE84"),
    Pattern("qi-deficiency", "Qi deficiency", "SE90"),
    Pattern("blood-deficiency", "Blood deficiency", "SF00"),
    Pattern("damp-phlegm", "Damp phlegm", "SF13"),
    Pattern("liver-yang-ascendant", "Liver yang ascendant hyperactivity", "SF52"),
    Pattern("liver-depression-blood-stasis", "Liver depression and blood stasis", "SF55"),
    Pattern("liver-qi-stagnation", "Liver qi stagnation", "SF57"),
    Pattern("liver-kidney-yin-deficiency", "Liver and kidney yin deficiency", "SF5H"),
    Pattern("liver-spleen-disharmony", "Disharmony of liver and spleen", "SF5J"),
    Pattern("heart-spleen-deficiency", "Heart and spleen deficiency", "SF6J"),
    Pattern("spleen-qi-deficiency", "Spleen qi deficiency", "SF70"),
    Pattern("spleen-deficiency-dampness", "Spleen deficiency with dampness", "SF79"),
    Pattern("kidney-yin-deficiency", "Kidney yin deficiency", "SF93"),
    Pattern("kidney-yang-deficiency", "Kidney yang deficiency", "SF97"),
)}

# STRICTA 1a, 1c and 4a (session-note.md): the plan states them; sessions may override.
STYLES = {
    "tcm": "TCM", "japanese": "Japanese / meridian", "korean": "Korean",
    "western": "Western medical (trigger point / dry needling)", "five-element": "Five Element",
    "auricular": "Auricular", "scalp": "Scalp", "other": "Other",
}
VARIATIONS = {
    "fixed": "Fixed protocol", "core-plus": "Core points plus individual additions",
    "individual": "Fully individualised",
}
# 4a other interventions: declared once in modalities.py (plans list them; sessions record rows).
MODALITIES = modalities.LABELS
SIDES = {"bilateral": "Bilateral", "left": "Left", "right": "Right", "midline": "Midline"}


def pattern_labels(slugs) -> list[str]:
    """'Qi stagnation (SE91)' for each known slug, in the order given; unknown slugs skipped."""
    return [f"{PATTERNS[s].label} ({PATTERNS[s].icd11})" for s in slugs or () if s in PATTERNS]


def labels(vocabulary: dict[str, str], slugs) -> list[str]:
    return [vocabulary[s] for s in slugs or () if s in vocabulary]
