"""How the audit trail names a record to a person: "Treatment plan 17", not "TreatmentPlan #17",
and where the app has a page for it.

An entry keeps the class name of what it is about (trail.py writes type(obj).__name__; explicit
events name theirs, e.g. "SessionTimeline"). The labels are derived from the models' class
names ("TreatmentPlan" -> "Treatment plan"), with the few that do not read well spelled out;
a name no model has (an explicit event's) is derived the same way."""
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from ..extensions import db
from ..templating import datetime_text, id_url

# Where the derived words are not what the clinic calls it.
_SPELLED = {
    "Checkin": "Check-in",
    "CheckinPlan": "Check-in plan",
    "IntakeInvitation": "Intake link",
    "User": "Staff account",
}

# The records with a page of their own: entity -> (endpoint, the id's argument). A SessionTimeline
# entry's id is the patient's (the timeline of their sessions).
PAGES = {
    "Patient": ("patients.detail", "patient_id"),
    "TreatmentPlan": ("plans.plan", "plan_id"),
    "Assessment": ("plans.assessment", "assessment_id"),
    "Appointment": ("schedule.appointment", "appointment_id"),
    "SessionRecord": ("sessions.view", "session_id"),
    "SessionTimeline": ("sessions.timeline", "patient_id"),
    "Intake": ("intake.review", "intake_id"),
}

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def derive(name: str) -> str:
    """A class name as words: "TreatmentPlan" -> "Treatment plan"."""
    words = _WORD_START.sub(" ", name).split(" ")
    return " ".join([words[0], *(w.lower() for w in words[1:])])


@cache
def labels() -> dict[str, str]:
    """Entity (class name) -> label, for every model (read once: models do not change at run
    time)."""
    names = {mapper.class_.__name__ for mapper in db.Model.registry.mappers}
    return {name: _SPELLED.get(name) or derive(name) for name in sorted(names)}


def label(entity: str) -> str:
    return labels().get(entity) or _SPELLED.get(entity) or derive(entity) if entity else ""


def record_urls(entities) -> Callable[[str, str, str], str | None]:
    """record_url(entity, entity_id, action) for a page's rows: the record's page, None when it
    has none, its id is not a single number, or the entry deleted it. Each kind's URL is built
    once (templating.id_url), only for the kinds on the page."""
    made = {e: id_url(*PAGES[e]) for e in set(entities) if e in PAGES}

    def record_url(entity: str, entity_id: str, action: str) -> str | None:
        make = made.get(entity)
        if make is None or action == "delete" or not entity_id.isascii() \
                or not entity_id.isdigit() or len(entity_id) > 10:
            return None
        return make(entity_id)
    return record_url


def value_text(value: Any) -> Any:
    """A changed value as the page shows it: an instant the trail kept as UTC ISO text
    ("2026-12-03T19:00:00+00:00", or without the offset when SQLite returned the old value) on
    the clinic's clock, like the row's time; anything else, dates included, as it was written."""
    if isinstance(value, str) and 19 <= len(value) <= 32 and value[10:11] == "T":
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return value
        # Every datetime column is UTC (a naive value is one SQLite returned): clock.local.
        return datetime_text(at)
    return value
