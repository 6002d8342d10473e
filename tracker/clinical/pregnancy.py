"""Pregnancy: the stage from the recorded weeks or due date, and the point classes to avoid at
each stage. Source: WHO, Guidelines on basic training and safety in acupuncture (1999): avoid
lower-abdominal and lumbosacral points in the first trimester, upper-abdominal and lumbosacral
points after the third month, and the traditionally forbidden points (LI4, SP6, BL60, BL67;
GB21 caution) and strong stimulation throughout; ../shared/clinical/safety.md "Pregnancy: point
classes by stage". When the stage is unknown it is taken as the first trimester.

Pure functions, no Flask."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

SOURCE = "WHO 1999 guidelines on basic training and safety in acupuncture"
TERM_WEEKS = 40


@dataclass(frozen=True)
class PointClass:
    key: str
    label: str
    codes: frozenset[str]
    trimesters: frozenset[int]   # 1, 2, 3: the stages at which the class is avoided


def _run(meridian: str, first: int, last: int) -> set[str]:
    return {f"{meridian}{n}" for n in range(first, last + 1)}


CLASSES = (
    PointClass("lower_abdomen", "lower abdomen (below the umbilicus)",
               frozenset(_run("CV", 2, 7) | _run("KI", 11, 15) | _run("ST", 26, 30)
                         | _run("SP", 12, 14)), frozenset({1})),
    PointClass("upper_abdomen", "upper abdomen (above the umbilicus)",
               frozenset(_run("CV", 9, 15) | _run("KI", 17, 21) | _run("ST", 19, 24)),
               frozenset({2, 3})),
    PointClass("lumbosacral", "lumbosacral", frozenset(_run("BL", 23, 35) | _run("GV", 2, 4)),
               frozenset({1, 2, 3})),
    PointClass("forbidden", "strong-sensation, traditionally forbidden",
               frozenset({"LI4", "SP6", "BL60", "BL67", "GB21"}), frozenset({1, 2, 3})),
)
STAGE_LABELS = {1: "first trimester", 2: "second trimester", 3: "third trimester"}


def weeks_on(today: date, weeks: int | None = None, weeks_recorded_on: date | None = None,
             due_on: date | None = None) -> int | None:
    """Completed weeks of pregnancy on `today`: from the due date (40 weeks at term) when
    recorded, else from the weeks recorded on a day, counted on; None when neither is known."""
    if due_on is not None:
        return max(0, (TERM_WEEKS * 7 - (due_on - today).days) // 7)
    if weeks is not None:
        since = (today - weeks_recorded_on).days // 7 if weeks_recorded_on else 0
        return max(0, weeks + max(since, 0))
    return None


def trimester(weeks: int | None) -> int:
    """1 up to 13 completed weeks (the first three months), 2 from 14 to 27, 3 from 28; an
    unknown stage is taken as the first trimester (safety.md)."""
    if weeks is None or weeks < 14:
        return 1
    return 2 if weeks < 28 else 3


def classes_for(code: str, stage: int) -> list[PointClass]:
    """The classes the point belongs to that are avoided at this stage."""
    return [c for c in CLASSES if code in c.codes and stage in c.trimesters]


def weeks_in(text: str) -> int | None:
    """Weeks a patient wrote ("12 weeks", "about 20", "wk 8"); None when there is no number
    of weeks up to 42."""
    found = re.search(r"(\d{1,2})\s*(?:\+\d\s*)?(?:weeks?|wks?|w\b)?", text or "", re.I)
    if not found:
        return None
    weeks = int(found.group(1))
    return weeks if 0 < weeks <= 42 else None


def stage_text(weeks: int | None) -> str:
    """'14 weeks (second trimester)' or 'stage unknown: taken as first trimester'."""
    if weeks is None:
        return "stage unknown: taken as first trimester"
    return f"{weeks} weeks ({STAGE_LABELS[trimester(weeks)]})"
