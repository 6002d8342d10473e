"""Conditions a patient can tick at intake, which of them call for the back-pain red flags, and
how a diagnosis code is written (ICD-10) and taken out of text a patient reads."""
import re

CONDITIONS = {
    "fibromyalgia": "Fibromyalgia",
    "low_back_pain": "Chronic low back pain",
    "sciatica": "Sciatica",
    "neck_pain": "Neck pain",
    "shoulder_pain": "Shoulder pain",
    "knee_oa": "Knee osteoarthritis",
    "hip_oa": "Hip osteoarthritis",
    "hand_oa": "Hand osteoarthritis",
    "migraine": "Migraine",
    "tension_headache": "Tension-type headache",
    "tmj": "Jaw pain (TMJ disorder)",
    "carpal_tunnel": "Carpal tunnel syndrome",
    "other": "Other",
}
# The intake's answer when none of CONDITIONS applies or the patient does not know: it answers
# the question, it is not a condition (never stored, never listed for staff).
NONE_OF_THESE = ("none", "None of these / not sure")
BACK_PAIN = frozenset({"low_back_pain", "sciatica"})

DURATIONS = {
    "lt6w": ("Less than 6 weeks", 1),
    "6w3m": ("6 weeks to 3 months", 2),
    "3m6m": ("3 to 6 months", 4),
    "6m1y": ("6 months to a year", 9),
    "1y5y": ("1 to 5 years", 36),
    "gt5y": ("More than 5 years", 72),
}


def duration_months(code: str) -> float:
    """A representative number of months for a duration answer (for the 3-month rule)."""
    return DURATIONS.get(code, ("", 0))[1]


def needs_red_flags(conditions, regions=()) -> bool:
    """Ask the red-flag questions when the patient reports back pain or sciatica."""
    return bool(BACK_PAIN & set(conditions)) or "lower_back" in set(regions)


# An ICD-10 code (M54.5, G43.909): the assessment form checks codes against it.
ICD10_CODE = r"[A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?"
# In free text: a code in brackets, after "ICD-10", or with its dot; "T12" alone may be a
# vertebra, so a bare code without a dot is left as written unless it is one of `codes`.
_CODE_IN_TEXT = re.compile(
    rf"\s*\((?:ICD-?10:?\s*)?{ICD10_CODE}\)|\s*\bICD-?10:?\s*{ICD10_CODE}\b"
    rf"|\s*\b[A-TV-Z][0-9][0-9AB]\.[0-9A-TV-Z]{{1,4}}\b", re.IGNORECASE)


def without_codes(text: str, codes: tuple[str, ...] = ()) -> str:
    """Text for a patient without diagnosis codes: "Chronic low back pain (M54.5)" reads
    "Chronic low back pain". `codes` (the assessment's own) go wherever they stand."""
    text = _CODE_IN_TEXT.sub("", text or "")
    for code in filter(None, codes):
        text = re.sub(rf"\s*\(?\b{re.escape(code)}\b\)?", "", text, flags=re.IGNORECASE)
    return re.sub(r"\s+([,.;:])", r"\1", text).strip(" ,;:")
