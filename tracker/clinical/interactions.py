"""Medicines, herbs and supplements with bleeding or interaction concerns, read from the
curated list `interaction_list.py` (name, aliases and brand names, class, concern, source;
../shared/clinical/safety.md "Medicines and remedies that raise bleeding or interaction
concerns": Izzo AA, Ernst E, Drugs 2009;69:1777-98; Chan TY, Ann Pharmacother 2001;35:501-4).

Matched case-insensitively on word boundaries ("Warfarin 5 mg" matches warfarin, "Eliquis"
apixaban; "notoginseng" is not "ginseng"), and each match names the words that matched so a
clinician can dismiss a false one. The product warns and records a confirmation; it never
forbids. Pure data, no Flask."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .interaction_list import LIST

BLOOD_THINNERS = frozenset({"vitamin K antagonist", "direct oral anticoagulant", "heparin",
                            "antiplatelet"})
HERBAL = "herb or supplement"
SOURCE = "shared/clinical/safety.md; Izzo & Ernst, Drugs 2009;69:1777-98"


@dataclass(frozen=True)
class Entry:
    name: str
    aliases: tuple[str, ...]
    cls: str          # "vitamin K antagonist", "antiplatelet", "herb or supplement" ...
    concern: str
    source: str

    @property
    def blood_thinner(self) -> bool:
        return self.cls in BLOOD_THINNERS


@dataclass(frozen=True)
class Match:
    entry: Entry
    text: str         # the medicine or remedy as written ("Warfarin 5 mg")
    words: str        # what matched in it ("Warfarin")

    def describe(self) -> str:
        """'“Warfarin 5 mg” matches warfarin (vitamin K antagonist)'."""
        return f"“{self.text}” matches {self.entry.name} ({self.entry.cls})"


def _pattern(term: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[^0-9A-Za-z]+", term) if p]
    return r"(?<![0-9A-Za-z])" + r"[\s\-'’.]*".join(parts) + r"(?![0-9A-Za-z])"


@cache
def entries() -> tuple[Entry, ...]:
    return tuple(Entry(*row) for row in LIST)


@cache
def _compiled() -> list[tuple[re.Pattern, Entry]]:
    terms = [(term, entry) for entry in entries() for term in (entry.name, *entry.aliases)]
    terms.sort(key=lambda t: -len(t[0]))  # "Panax notoginseng" before "ginseng"
    return [(re.compile(_pattern(term), re.IGNORECASE), entry) for term, entry in terms]


def matches(text: str) -> list[Match]:
    """Each listed entry named in `text`, once, in the order of the list."""
    found: dict[str, Match] = {}
    taken: list[tuple[int, int]] = []
    for pattern, entry in _compiled():
        for hit in pattern.finditer(text or ""):
            if entry.name in found or any(a < hit.end() and hit.start() < b for a, b in taken):
                continue
            taken.append(hit.span())
            found[entry.name] = Match(entry, (text or "").strip(), hit.group(0))
    order = {e.name: i for i, e in enumerate(entries())}
    return sorted(found.values(), key=lambda m: order[m.entry.name])


def scan(texts: list[str]) -> list[Match]:
    """Matches over a list (medicine names, a supplements paragraph split into lines)."""
    found: dict[tuple[str, str], Match] = {}
    for text in texts:
        for line in re.split(r"[\n;,]+", text or ""):
            for match in matches(line):
                found.setdefault((match.entry.name, match.text), match)
    return list(found.values())


@dataclass(frozen=True)
class RemedyWarning:
    rule: str         # stable key stored with the confirmation
    message: str


def remedy_warnings(remedies: list[str], medicines: list[str],
                    bleeding_flag: bool) -> list[RemedyWarning]:
    """Remedies in a plan against the patient's medicines and flags: an herb or supplement of
    the list prescribed to a patient with a bleeding-risk flag or a listed blood thinner among
    their medicines needs a recorded confirmation (Izzo & Ernst 2009; Chan 2001 for Dan Shen
    with warfarin). A listed blood thinner prescribed as a remedy warns likewise."""
    thinners = [m for m in scan(medicines) if m.entry.blood_thinner]
    if not (thinners or bleeding_flag):
        return []
    why = ("this patient takes " + ", ".join(f"{m.text} ({m.entry.name})" for m in thinners)
           if thinners else "this patient has a bleeding-risk flag")
    found: dict[str, RemedyWarning] = {}
    for remedy in remedies:
        for match in matches(remedy):
            rule = "remedy:" + re.sub(r"[^a-z0-9]+", "-", match.entry.name.lower()).strip("-")
            found.setdefault(rule, RemedyWarning(rule, (
                f"{match.describe()}: {match.entry.concern}; {why}. "
                f"Source: {match.entry.source}.")))
    return list(found.values())
