"""Intake invitations (private links) and the intake itself, stored as structured answers."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..patients.models import Patient
from ..timeutil import as_utc, utcnow

STATUSES = {"draft": "In progress", "submitted": "Awaiting review", "reviewed": "Reviewed"}


class Intake(db.Model):
    __tablename__ = "intake"
    __audited__ = True
    # The draft holds the patient's raw typing between steps; the structured columns and child
    # rows below are the record. Keeping the draft out of the audit diff avoids copying it there.
    audit_skip = frozenset({"draft"})

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    current_step: Mapped[str] = mapped_column(String(20), default="about")
    draft: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reopened_at: Mapped[datetime | None]

    # About you (as the patient confirmed it; differences from the register are shown on review)
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    date_of_birth: Mapped[date | None]
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    emergency_contact_name: Mapped[str] = mapped_column(String(120), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(40), default="")
    family_doctor: Mapped[str] = mapped_column(String(200), default="")
    # Your pain
    complaint: Mapped[str] = mapped_column(Text, default="")
    condition_other: Mapped[str] = mapped_column(String(200), default="")
    pain_duration: Mapped[str] = mapped_column(String(10), default="")
    better_with: Mapped[str] = mapped_column(Text, default="")
    worse_with: Mapped[str] = mapped_column(Text, default="")
    medication_for_pain: Mapped[str] = mapped_column(Text, default="")
    # Health history
    medical_history: Mapped[str] = mapped_column(Text, default="")
    surgeries: Mapped[str] = mapped_column(Text, default="")
    supplements: Mapped[str] = mapped_column(Text, default="")
    allergies: Mapped[str] = mapped_column(Text, default="")
    # Treatments and goals
    previous_treatments: Mapped[str] = mapped_column(Text, default="")
    what_helped: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    # Consent: the text shown is kept with its version, so the record shows what was agreed.
    consent_name: Mapped[str] = mapped_column(String(200), default="")
    consent_date: Mapped[date | None]
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[int | None]
    consent_text: Mapped[str] = mapped_column(Text, default="")

    patient: Mapped[Patient] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    conditions: Mapped[list["IntakeCondition"]] = relationship(
        cascade="all, delete-orphan", order_by="IntakeCondition.id")
    regions: Mapped[list["IntakeRegion"]] = relationship(
        cascade="all, delete-orphan", order_by="IntakeRegion.id")
    medications: Mapped[list["IntakeMedication"]] = relationship(
        cascade="all, delete-orphan", order_by="IntakeMedication.position")
    answers: Mapped[list["IntakeAnswer"]] = relationship(
        cascade="all, delete-orphan", order_by="IntakeAnswer.id")
    invitations: Mapped[list["IntakeInvitation"]] = relationship(back_populates="intake")

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


class IntakeCondition(db.Model):
    __tablename__ = "intake_condition"
    __audited__ = True
    audit_parent = "intake"
    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    intake: Mapped[Intake] = relationship(back_populates="conditions")


class IntakeRegion(db.Model):
    """One marked body-map region (a code from body_regions.csv, side included in the code)."""
    __tablename__ = "intake_region"
    __audited__ = True
    audit_parent = "intake"
    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    intake: Mapped[Intake] = relationship(back_populates="regions")


class IntakeMedication(db.Model):
    __tablename__ = "intake_medication"
    __audited__ = True
    audit_parent = "intake"
    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str] = mapped_column(String(100), default="")
    how_often: Mapped[str] = mapped_column(String(100), default="")
    intake: Mapped[Intake] = relationship(back_populates="medications")


class IntakeAnswer(db.Model):
    """A yes / no / not sure answer to a safety-screen item or a back-pain red-flag question."""
    __tablename__ = "intake_answer"
    __audited__ = True
    audit_parent = "intake"
    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))   # safety | red_flag
    code: Mapped[str] = mapped_column(String(30))
    answer: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text, default="")
    intake: Mapped[Intake] = relationship(back_populates="answers")


class IntakeInvitation(db.Model):
    """A private link. Only a hash of the token is stored: the link is shown once, at creation."""
    __tablename__ = "intake_invitation"
    __audited__ = True
    audit_skip = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    intake: Mapped[Intake] = relationship(back_populates="invitations")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def state(self, now: datetime | None = None) -> str:
        """open, started, submitted, revoked or expired (in that order of precedence)."""
        now = now or utcnow()
        if self.revoked_at:
            return "revoked"
        if self.intake.status != "draft":
            return "submitted"
        if as_utc(self.expires_at) <= now:
            return "expired"
        return "started" if self.intake.draft else "open"
