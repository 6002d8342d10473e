"""Body-map regions and the ACR 2016 Widespread Pain Index (source: body_regions.csv)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

# instruments.md: jaw, chest and abdomen count in the WPI but not towards the 4-of-5 regions rule.
NOT_IN_GENERALISED_RULE = frozenset({"jaw_l", "jaw_r", "chest", "abdomen"})


@dataclass(frozen=True)
class Region:
    code: str
    label: str
    side: str
    acr_region: str
    in_wpi: bool


@cache
def regions() -> dict[str, Region]:
    text = resources.files(__package__).joinpath("data/body_regions.csv").read_text("utf-8")
    return {row["code"]: Region(row["code"], row["label"], row["side"], row["acr2016_region"],
                                row["counts_in_wpi"] == "1")
            for row in csv.DictReader(text.splitlines())}


def label(code: str) -> str:
    region = regions().get(code)
    return region.label if region else code


# What the patient reads for a region whose label in body_regions.csv is a clinical word
# (staff pages keep the csv's label); the other labels are plain already.
PATIENT_LABELS = {
    "shoulder_girdle_l": "left shoulder and shoulder blade",
    "shoulder_girdle_r": "right shoulder and shoulder blade",
    "hip_l": "left hip and buttock",
    "hip_r": "right hip and buttock",
    "abdomen": "stomach area (abdomen)",
}


def patient_label(code: str) -> str:
    """A region in the patient's words (the intake's list, body map and review)."""
    return PATIENT_LABELS.get(code) or label(code)


def wpi(codes) -> int:
    """Number of WPI areas marked (0-19); other regions add detail but do not count."""
    table = regions()
    return sum(1 for code in set(codes) if code in table and table[code].in_wpi)


def generalised_regions(codes) -> set[str]:
    """Which of the five ACR regions have pain (jaw, chest and abdomen excluded)."""
    table = regions()
    return {table[c].acr_region for c in set(codes)
            if c in table and table[c].in_wpi and c not in NOT_IN_GENERALISED_RULE}


@dataclass(frozen=True)
class FibromyalgiaScreen:
    wpi: int
    sss: int
    regions: int
    long_enough: bool
    met: bool


def fibromyalgia_screen(codes, sss: int, months: float) -> FibromyalgiaScreen:
    """ACR 2016 criteria as screening information for the practitioner, never a diagnosis."""
    index = wpi(codes)
    region_count = len(generalised_regions(codes))
    severity_ok = (index >= 7 and sss >= 5) or (4 <= index <= 6 and sss >= 9)
    long_enough = months >= 3
    return FibromyalgiaScreen(index, sss, region_count, long_enough,
                              severity_ok and region_count >= 4 and long_enough)
