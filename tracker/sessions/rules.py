"""Session rules a clinician can read: insertion count, safety warnings (points typed are
parsed by clinical.acupoints.parse_point).

Pure functions (no Flask, no database): the views and services call them."""
from __future__ import annotations

from dataclasses import dataclass

from ..clinical import acupoints, modalities, pregnancy

RETENTION_RANGE = (5, 60)   # minutes; outside this the practitioner confirms (session-note.md)
PREGNANCY_FLAG = modalities.PREGNANCY_FLAG


def insertions(sides: list[str], extra: int = 0) -> int:
    """STRICTA 2a: computed, never typed. A bilateral point is two needles."""
    return sum(2 if side == "bilateral" else 1 for side in sides) + max(extra or 0, 0)


@dataclass(frozen=True)
class Warning:
    rule: str      # stable key stored with the confirmation
    message: str


def safety_warnings(flags: set[str], codes: list[str], stimulation: str,
                    retention: list[int | None], adjuncts: list[str] = (),
                    pregnancy_weeks: int | None = None) -> list[Warning]:
    """Warnings that need a recorded confirmation; they never block.

    flags: the patient's active safety-flag kinds; codes: WHO codes chosen; stimulation: the
    session's and the points' stimulation kinds; retention: the minutes given anywhere;
    adjuncts: the kinds of the session's adjunct rows (their cautions are declared in
    clinical.modalities; electrical stimulation of a needle counts as electroacupuncture);
    pregnancy_weeks: the stage on the visit day (None: unknown, taken as the first trimester),
    for the point classes of clinical.pregnancy."""
    found: dict[str, Warning] = {}
    table = acupoints.points()
    stage = pregnancy.trimester(pregnancy_weeks)
    for code in dict.fromkeys(c for c in codes if c):
        point = table.get(code)
        caution = (point.caution if point else "").lower()
        avoided = pregnancy.classes_for(code, stage) if PREGNANCY_FLAG in flags else []
        if avoided and "pregnancy" not in caution:
            found[f"pregnancy_point:{code}"] = Warning(
                f"pregnancy_point:{code}",
                f"{point.label if point else code}: a {avoided[0].label} point, avoided in "
                f"pregnancy at {pregnancy.stage_text(pregnancy_weeks)} ({pregnancy.SOURCE}). "
                "This patient has a pregnancy flag.")
            continue
        if not caution:
            continue
        if "pregnancy" in caution and PREGNANCY_FLAG in flags:
            found[f"pregnancy_point:{code}"] = Warning(
                f"pregnancy_point:{code}",
                f"{point.label}: {point.caution}. This patient has a pregnancy flag.")
        elif caution.startswith("no needling"):
            found[f"no_needling:{code}"] = Warning(
                f"no_needling:{code}", f"{point.label}: {point.caution}.")
    stimulations = set(stimulation if isinstance(stimulation, list | tuple | set)
                       else [stimulation])
    kinds = [*adjuncts, *([modalities.ELECTRO] if "electrical" in stimulations else [])]
    for caution in modalities.cautions_for(kinds, flags):
        found[caution.rule] = Warning(caution.rule, caution.message)
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
