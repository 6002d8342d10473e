"""Patients. Never deleted: archived_at hides them from the working list."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..accounts.models import User
from ..extensions import db
from ..timeutil import age_on, utcnow

SEXES = {"female": "Female", "male": "Male", "intersex": "Intersex", "unknown": "Not recorded"}


class Patient(db.Model):
    __tablename__ = "patient"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str] = mapped_column(String(100), default="")
    date_of_birth: Mapped[date] = mapped_column(index=True)
    sex: Mapped[str] = mapped_column(String(20), default="unknown")
    gender: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    emergency_contact_name: Mapped[str] = mapped_column(String(120), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(40), default="")
    referring_physician: Mapped[str] = mapped_column(String(200), default="")
    primary_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Messages between visits (tracker/messages): how the patient wants them, and no reminders.
    preferred_channel: Mapped[str] = mapped_column(String(10), default="email",
                                                   server_default="email")
    reminder_opt_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Folded copies kept for fast accent- and case-insensitive search on any database.
    search_name: Mapped[str] = mapped_column(String(400), default="", index=True)
    phone_digits: Mapped[str] = mapped_column(String(40), default="", index=True)
    sort_name: Mapped[str] = mapped_column(String(220), default="", index=True)
    last_visit_on: Mapped[date | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(index=True)

    primary_practitioner: Mapped[User | None] = relationship()

    # Derived copies: the folded names, and the newest signed session's date (sessions keep it).
    audit_skip = frozenset({"search_name", "phone_digits", "sort_name", "last_visit_on"})

    # The register sorted by last visit, newest first and never-seen last. PostgreSQL can walk
    # this index in that order; SQLite cannot store NULLS LAST in an index (it sorts fast).
    __table_args__ = (Index("ix_patient_last_visit_sort", last_visit_on.desc().nulls_last(),
                            sort_name, info={"dialect": "postgresql"})
                      .ddl_if(dialect="postgresql"),)

    @property
    def audit_patient_id(self) -> int:
        return self.id

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.given_name:
            return f"{self.given_name} ({self.preferred_name}) {self.family_name}"
        return self.full_name

    @property
    def age(self) -> int:
        return age_on(self.date_of_birth, clock.today())

    @property
    def sex_label(self) -> str:
        return SEXES.get(self.sex, self.sex)


# Byte order on PostgreSQL too, so a prefix is a range scan of the index whatever the locale.
TOKEN = String(100).with_variant(String(100, collation="C"), "postgresql")


class PatientNameToken(db.Model):
    """Each folded word of a patient's names, so 'garc' finds García by an index range, not by
    scanning every name (patients/services.py keeps these in step with the patient)."""

    __tablename__ = "patient_name_token"
    __table_args__ = (Index("ix_patient_name_token_patient", "patient_id"),)

    token: Mapped[str] = mapped_column(TOKEN, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"),
                                            primary_key=True)
