"""Clinic-defined note templates: a phrase a practitioner inserts into one SOAP section of a
session record (settings.manage keeps the list; every change is audited)."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

# The session record's note sections (sessions.forms.SessionForm fields) and their headings.
SECTIONS = {"subjective": "Subjective", "objective": "Objective", "assessment": "Assessment",
            "plan_notes": "Plan"}


class NoteTemplate(db.Model):
    __tablename__ = "note_template"
    __audited__ = True
    audit_skip = frozenset({"updated_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    section: Mapped[str] = mapped_column(String(20), index=True)   # a key of SECTIONS
    label: Mapped[str] = mapped_column(String(80))                 # the button's words
    text: Mapped[str] = mapped_column(Text)                        # what is inserted
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def section_label(self) -> str:
        return SECTIONS.get(self.section, self.section)
