"""Note templates: the clinic's list (kept in settings) and a phrase put into a note section.
The caller commits; every change is audited by the model's flush events."""
from sqlalchemy import func, select

from ..extensions import db
from .models import SECTIONS, NoteTemplate


def all_templates() -> list[NoteTemplate]:
    """By section (in note order), then position and label."""
    order = {key: i for i, key in enumerate(SECTIONS)}
    rows = db.session.scalars(select(NoteTemplate)).all()
    return sorted(rows, key=lambda t: (order.get(t.section, len(order)), t.position,
                                       t.label.casefold(), t.id))


def by_section() -> dict[str, list[NoteTemplate]]:
    """Each note section's phrases, for the session form (a section without any is left out)."""
    found: dict[str, list[NoteTemplate]] = {}
    for row in all_templates():
        found.setdefault(row.section, []).append(row)
    return found


def save(row: NoteTemplate | None, data: dict) -> NoteTemplate:
    row = row or NoteTemplate()
    row.section, row.label, row.text = data["section"], data["label"], data["text"]
    position = data.get("position")
    if position is None and row.id is not None:
        position = row.position  # left empty on an edit: where it was
    elif position is None:  # a new phrase: last in its section
        position = 1 + (db.session.scalar(select(func.max(NoteTemplate.position)).where(
            NoteTemplate.section == row.section)) or 0)
    row.position = position
    db.session.add(row)
    db.session.flush()
    return row


def delete(row: NoteTemplate) -> None:
    db.session.delete(row)
    db.session.flush()


def insert(text: str | None, phrase: str, at: int | None = None) -> str:
    """`phrase` put into `text` at character `at` (the end when not given), set off from the
    words either side by a space (followup.js does the same at the cursor)."""
    text = text or ""
    at = len(text) if at is None else max(0, min(at, len(text)))
    before, after = text[:at], text[at:]
    if before and not before[-1].isspace():
        before += " "
    if after and not after[0].isspace():
        phrase += " "
    return before + phrase + after
