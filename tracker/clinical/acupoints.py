"""The WHO standard acupuncture points and common extra points: lookup with old aliases, search.

Data files are loaded once; codes are normalised so "UB23", "ub 23", "BL-23" all mean BL23."""
import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..text import fold

DATA = Path(__file__).resolve().parent / "data"

MERIDIANS = {
    "LU": "Lung", "LI": "Large Intestine", "ST": "Stomach", "SP": "Spleen", "HT": "Heart",
    "SI": "Small Intestine", "BL": "Bladder", "KI": "Kidney", "PC": "Pericardium",
    "TE": "Triple Energizer", "GB": "Gallbladder", "LR": "Liver", "GV": "Governor Vessel",
    "CV": "Conception Vessel",
}
# Older names practitioners still type (clinical/README.md), mapped to WHO meridian codes.
ALIASES = {
    "UB": "BL", "SJ": "TE", "TW": "TE", "TB": "TE", "LV": "LR", "LIV": "LR", "DU": "GV",
    "REN": "CV", "P": "PC", "H": "HT", "HE": "HT", "K": "KI", "KID": "KI",
}
CODE_RE = re.compile(r"^\s*([A-Za-z]{1,4})\s*[-.\s]?\s*(\d{1,3})\s*$")
EXTRA_RE = re.compile(r"^\s*EX\s*[-\s]?\s*(HN|B|CA|UE|LE)\s*[-\s]?\s*(\d{1,2})\s*$", re.I)
# Points on the midline are one needle: never left, right or bilateral. Every point of the
# Governor and Conception Vessels, and the extra points the WHO standard places on the midline
# (extra_points.csv does not say which): Yintang between the eyebrows (coded GV29 in the 2021
# Chinese national standard) and Shiqizhui below the spinous process of L5.
MIDLINE = "midline"
MIDLINE_MERIDIANS = frozenset({"GV", "CV"})
MIDLINE_EXTRA_POINTS = frozenset({"EX-HN3", "EX-B8"})


@dataclass(frozen=True)
class Point:
    code: str
    meridian: str  # WHO meridian code, or "EX" for extra points
    meridian_name: str  # or the body region of an extra point
    number: int | None
    pinyin: str
    hanzi: str = ""
    caution: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.code} {self.pinyin}"

    @property
    def is_extra(self) -> bool:
        return self.meridian == "EX"

    @property
    def midline(self) -> bool:
        return self.meridian in MIDLINE_MERIDIANS or self.code in MIDLINE_EXTRA_POINTS


@cache
def points() -> dict[str, Point]:
    """Every point by its code, WHO meridian points in file order, then extra points."""
    table: dict[str, Point] = {}
    with open(DATA / "acupoints.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            table[row["code"]] = Point(row["code"], row["meridian"], row["meridian_name"],
                                       int(row["number"]), row["pinyin"],
                                       row["hanzi_traditional"], row["caution"], row["note"])
    with open(DATA / "extra_points.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            table[row["code"]] = Point(row["code"], "EX", row["region"], None, row["pinyin"],
                                       note=row["note"])
    return table


def normalise(text: str) -> str | None:
    """The WHO code a typed code means ("ub 23" -> "BL23"), or None if it is not code-shaped."""
    text = (text or "").strip()
    extra = EXTRA_RE.match(text)
    if extra:
        return f"EX-{extra.group(1).upper()}{int(extra.group(2))}"
    match = CODE_RE.match(text)
    if not match:
        return None
    prefix = match.group(1).upper()
    prefix = prefix if prefix in MERIDIANS else ALIASES.get(prefix, prefix)
    return f"{prefix}{int(match.group(2))}"


def side_for(code: str | None, side: str) -> str:
    """The side a point row is stored, shown and counted with: a midline point is "midline"
    whatever side was chosen (the forms default to bilateral, which would count two needles);
    any other point or free-text place keeps the side chosen. `code`: a WHO code as stored."""
    point = points().get(code) if code else None
    return MIDLINE if point is not None and point.midline else side


def looks_like_code(text: str) -> bool:
    """True for input shaped like a point code, known or not (so a typo is not taken as a place)."""
    return normalise(text) is not None


def lookup(text: str) -> Point | None:
    """The point a practitioner typed: WHO code, old alias, hyphen or space; or by exact pinyin."""
    code = normalise(text)
    table = points()
    if code:
        return table.get(code)
    folded = fold(text)
    if not folded:
        return None
    matches = [p for p in table.values() if fold(p.pinyin) == folded]
    return matches[0] if len(matches) == 1 else None


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
    point = lookup(text)
    if point is None and " " in text:
        first, rest = text.split(" ", 1)
        candidate = lookup(first)
        if candidate and (lookup(rest) in (None, candidate)):
            point = candidate
    if point:
        return ParsedPoint(point.code, "")
    if looks_like_code(text):
        return ParsedPoint(None, text, f"{text} is not a WHO point code. Check the code, or "
                                       "describe the place (e.g. “Ashi: left trapezius”).")
    return ParsedPoint(None, text)


def search(q: str, limit: int = 20) -> list[Point]:
    """Points matching a code, a pinyin prefix or a meridian name or code, best matches first."""
    q = (q or "").strip()[:60]
    if not q:
        return []
    folded = fold(q)
    compact = folded.replace(" ", "").replace("-", "").upper()
    code = normalise(q)
    meridian = compact if compact in MERIDIANS else ALIASES.get(compact)
    ranked = []
    for order, point in enumerate(points().values()):
        if point.code == code:
            rank = 0
        elif point.meridian == meridian or (code and point.code.startswith(code)) or \
                point.code.replace("-", "").startswith(compact):
            rank = 1
        elif fold(point.pinyin).startswith(folded):
            rank = 2
        elif fold(point.meridian_name).startswith(folded) or folded in fold(point.pinyin):
            rank = 3
        else:
            continue
        ranked.append((rank, order, point))
    return [point for _, _, point in sorted(ranked)[:limit]]
