"""What a session record says about the needling, item by item as STRICTA 2010 reports it
(MacPherson et al., PLoS Med 2010;7:e1000261; shared/clinical/session-note.md).

One declaration read by the clinical summary's needling table, the sessions CSV and the FHIR
Procedure; free-text items stay out of the pseudonymised CSV."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..clinical import tcm
from .models import MANUAL_TECHNIQUES, RESPONSES, SETTINGS, STIMULATION, SessionRecord


def _points(record: SessionRecord) -> str:
    """WHO codes with their side; free-text places (ashi) counted, not quoted."""
    coded = [f"{p.code}{'' if p.side == 'bilateral' else ' ' + p.side[:1].upper()}"
             for p in record.points if p.code]
    other = sum(1 for p in record.points if not p.code and p.location)
    return ", ".join(coded + ([f"{other} other location{'s' if other > 1 else ''}"]
                              if other else []))


def _response(record: SessionRecord) -> str:
    sought = RESPONSES.get(record.response_sought, record.response_sought)
    if record.response_obtained is None or record.response_sought == "none":
        return sought
    return f"{sought} ({'obtained' if record.response_obtained else 'not obtained'})"


def _stimulation(record: SessionRecord) -> str:
    kind = STIMULATION.get(record.stimulation, record.stimulation)
    if record.stimulation == "manual" and record.manual_technique:
        return f"{kind}, {MANUAL_TECHNIQUES.get(record.manual_technique, '').lower()}"
    return kind


@dataclass(frozen=True)
class Item:
    key: str                               # the CSV column
    stricta: str                           # the STRICTA item
    label: str
    value: Callable[[SessionRecord], str]
    free_text: bool = False                # typed by people: not in the research export


ITEMS = (
    Item("style", "1a", "Style", lambda r: tcm.STYLES.get(r.style, r.style or "")),
    Item("insertions", "2a", "Needles inserted", lambda r: str(r.insertions or 0)),
    Item("points", "2b", "Points (side)", _points),
    Item("depth", "2c", "Depth", lambda r: r.depth, free_text=True),
    Item("response", "2d", "Response sought", _response),
    Item("stimulation", "2e", "Stimulation", _stimulation),
    Item("retention_minutes", "2f", "Retention (min)",
         lambda r: "" if r.retention_minutes is None else str(r.retention_minutes)),
    Item("needle_type", "2g", "Needle type", lambda r: r.needle_type, free_text=True),
    Item("other_interventions", "4a", "Other interventions",
         lambda r: "; ".join(a.name for a in r.adjuncts)),
    Item("setting", "4b", "Setting", lambda r: SETTINGS.get(r.setting, r.setting or "")),
    Item("patient_told", "4b", "Patient was told", lambda r: r.patient_told, free_text=True),
)

# Each item's label by its key, for pages that show an item on its own (the record's page).
LABELS = {item.key: item.label for item in ITEMS}


def values(record: SessionRecord) -> dict[str, str]:
    return {item.key: item.value(record) or "" for item in ITEMS}


def sentence(record: SessionRecord, detail: bool = True) -> str:
    """'Needles inserted: 12; Points (side): BL23, GB30 L; ...' (FHIR Procedure note); with
    detail, other interventions are told with their settings."""
    shown = values(record)
    if detail and record.adjuncts:
        shown["other_interventions"] = "; ".join(a.label for a in record.adjuncts)
    return "; ".join(f"{item.label}: {shown[item.key]}" for item in ITEMS if shown[item.key])
