"""The demo clinic's note templates: a few phrases per SOAP section."""
from ..extensions import db
from .models import NoteTemplate

PHRASES = [
    ("subjective", "No change", "No change since the last visit."),
    ("subjective", "Eased after", "Pain eased for a day or two after the last treatment."),
    ("subjective", "Sleeping better", "Sleeping better."),
    ("objective", "Tongue, pulse unchanged", "Tongue and pulse unchanged since the last visit."),
    ("objective", "Moves more freely", "Range of motion improved."),
    ("assessment", "Responding", "Responding to treatment as expected."),
    ("plan_notes", "Continue", "Continue the plan as set."),
    ("plan_notes", "Home exercises", "Home exercises reviewed."),
]


def seed_demo() -> None:
    db.session.add_all(NoteTemplate(section=section, label=label, text=text, position=i)
                       for i, (section, label, text) in enumerate(PHRASES))
