"""Conditions a patient can tick at intake, and which of them call for the back-pain red flags."""

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
