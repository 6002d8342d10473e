"""Session rules a clinician can read: point entry, insertion count, safety warnings.

Pure functions (no Flask, no database): the views and services call them."""
from __future__ import annotations

from dataclasses import dataclass

from ..clinical import acupoints

RETENTION_RANGE = (5, 60)   # minutes; outside this the practitioner confirms (session-note.md)
PREGNANCY_FLAG = "pregnancy"
DEVICE_FLAG = "implanted_device"
EPILEPSY_FLAG = "epilepsy"
BLEEDING_FLAG = "bleeding_risk"


@dataclass(frozen=True)
class ParsedPoint:
    code: str | None
    location: str
    error: str = ""


def parse_point(text: str) -> ParsedPoint:
    """What a practitioner typed in a point row: "LI4", "li-4", "UB23", "Hegu", "LI4 Hegu" (as
    the suggestion list offers it) or a free-text location such as "Ashi: left trapezius".

    A code-shaped entry that is not a WHO code is an error, so a typo is never stored as a place."""
    text = " ".join((text or "").split())
    if not text:
        return ParsedPoint(None, "")
    point = acupoints.lookup(text)
    if point is None and " " in text:
        first, rest = text.split(" ", 1)
        candidate = acupoints.lookup(first)
        if candidate and (acupoints.lookup(rest) in (None, candidate)):
            point = candidate
    if point:
        return ParsedPoint(point.code, "")
    if acupoints.looks_like_code(text):
        return ParsedPoint(None, text, f"{text} is not a WHO point code. Check the code, or "
                                       "describe the place (e.g. “Ashi: left trapezius”).")
    return ParsedPoint(None, text)


def insertions(sides: list[str], extra: int = 0) -> int:
    """STRICTA 2a: computed, never typed. A bilateral point is two needles."""
    return sum(2 if side == "bilateral" else 1 for side in sides) + max(extra or 0, 0)


@dataclass(frozen=True)
class Warning:
    rule: str      # stable key stored with the confirmation
    message: str


def safety_warnings(flags: set[str], codes: list[str], stimulation: str,
                    retention: list[int | None], adjuncts: list[str] = ()) -> list[Warning]:
    """Warnings that need a recorded confirmation; they never block.

    flags: the patient's active safety-flag kinds; codes: WHO codes chosen; stimulation: the
    session's and the points' stimulation kinds; retention: the minutes given anywhere."""
    found: dict[str, Warning] = {}
    table = acupoints.points()
    for code in dict.fromkeys(c for c in codes if c):
        point = table.get(code)
        caution = (point.caution if point else "").lower()
        if not caution:
            continue
        if "pregnancy" in caution and PREGNANCY_FLAG in flags:
            found[f"pregnancy_point:{code}"] = Warning(
                f"pregnancy_point:{code}",
                f"{point.label}: {point.caution}. This patient has a pregnancy flag.")
        elif caution.startswith("no needling") or caution.startswith("no needling or"):
            found[f"no_needling:{code}"] = Warning(
                f"no_needling:{code}", f"{point.label}: {point.caution}.")
    stimulations = set(stimulation if isinstance(stimulation, list | tuple | set)
                       else [stimulation])
    if "electrical" in stimulations or "electro" in adjuncts:
        if DEVICE_FLAG in flags:
            found["electro_device"] = Warning(
                "electro_device", "Electrical stimulation with an implanted electronic device "
                "(pacemaker, defibrillator): device makers contraindicate it.")
        if EPILEPSY_FLAG in flags:
            found["electro_epilepsy"] = Warning(
                "electro_epilepsy", "Electrical stimulation for a patient with epilepsy or "
                "seizures.")
    if BLEEDING_FLAG in flags and "cupping-wet" in adjuncts:
        found["wet_cupping_bleeding"] = Warning(
            "wet_cupping_bleeding", "Wet cupping for a patient with a bleeding risk.")
    low, high = RETENTION_RANGE
    odd = sorted({m for m in retention if m is not None and not low <= m <= high})
    if odd:
        found["retention_range"] = Warning(
            "retention_range", f"Needle retention of {', '.join(map(str, odd))} minutes is "
            f"outside the usual {low}-{high} minutes.")
    return list(found.values())


def point_notes(codes: list[str]) -> dict[str, str]:
    """Cautions shown beside points that do not need a confirmation (arteries, eye, depth)."""
    table = acupoints.points()
    return {c: table[c].caution for c in codes if c in table and table[c].caution}
