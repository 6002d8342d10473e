"""A session record and its rows: points needled, adverse events, safety confirmations,
amendments. A signed record is never edited in place: an amendment records old and new values."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clinical import modalities
from ..extensions import db
from ..patients.models import Patient
from ..timeutil import utcnow

STIMULATION = {"none": "None", "manual": "Manual", "electrical": "Electrical",
               "warm_needle": "Warm needle"}
MANUAL_TECHNIQUES = {"even": "Even", "tonifying": "Tonifying", "reducing": "Reducing"}
# STRICTA 4b: where the treatment was given.
SETTINGS = {"private_room": "Private room", "shared_room": "Shared or community room",
            "home_visit": "Home visit", "other": "Other"}
RESPONSES = {"de_qi": "De qi", "twitch": "Local twitch response", "none": "None sought"}
SEVERITIES = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}
DECISIONS = {"continue": "Continue the plan", "modify": "Modify the plan",
             "discharge": "Discharge", "refer": "Refer"}


class SessionRecord(db.Model):
    __tablename__ = "session_record"
    __audited__ = True
    audit_skip = frozenset({"draft", "version"})
    # "My unsigned records" on every dashboard: drafts are few among many signed records.
    __table_args__ = (Index("ix_session_record_practitioner_status", "practitioner_id",
                            "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    number: Mapped[int | None]                 # session number within the plan
    visit_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    # Pain (NRS now, 0-10): before needling is required to save; after is prompted.
    pain_before: Mapped[int | None]
    pain_after: Mapped[int | None]
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan_notes: Mapped[str] = mapped_column(Text, default="")
    # STRICTA session defaults; a point row may override depth, stimulation and retention.
    style: Mapped[str] = mapped_column(String(30), default="")
    depth: Mapped[str] = mapped_column(String(60), default="")
    response_sought: Mapped[str] = mapped_column(String(20), default="de_qi")
    response_obtained: Mapped[bool | None]
    stimulation: Mapped[str] = mapped_column(String(20), default="manual")
    manual_technique: Mapped[str] = mapped_column(String(20), default="even")
    retention_minutes: Mapped[int | None]
    needle_type: Mapped[str] = mapped_column(String(120), default="")
    # STRICTA 4b: the setting, and what the patient was told (explanation, expectations, advice).
    setting: Mapped[str] = mapped_column(String(20), default="", server_default="")
    patient_told: Mapped[str] = mapped_column(Text, default="", server_default="")
    extra_insertions: Mapped[int] = mapped_column(default=0)
    insertions: Mapped[int] = mapped_column(default=0)   # computed from the point rows
    adjunct_notes: Mapped[str] = mapped_column(Text, default="")
    no_adverse_events: Mapped[bool | None]      # None until the practitioner answers
    needles_reconciled: Mapped[bool] = mapped_column(default=False)
    is_reevaluation: Mapped[bool] = mapped_column(default=False)
    reeval_decision: Mapped[str] = mapped_column(String(20), default="")
    reeval_notes: Mapped[str] = mapped_column(Text, default="")
    draft: Mapped[dict | None] = mapped_column(JSON)   # autosaved typing not yet saved
    draft_saved_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    patient: Mapped[Patient] = relationship()
    practitioner: Mapped[User] = relationship(foreign_keys=[practitioner_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    plan: Mapped["TreatmentPlan | None"] = relationship()  # noqa: F821  (plans.models)
    appointment: Mapped["Appointment | None"] = relationship()  # noqa: F821  (schedule.models)
    points: Mapped[list["SessionPoint"]] = relationship(
        cascade="all, delete-orphan", order_by="SessionPoint.position", back_populates="session")
    # Other interventions (electro, moxa, cupping ...): rows declared in clinical.modalities.
    adjuncts: Mapped[list["SessionAdjunct"]] = relationship(
        cascade="all, delete-orphan", order_by="SessionAdjunct.position", back_populates="session")
    adverse_events: Mapped[list["AdverseEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="AdverseEvent.id", back_populates="session")
    confirmations: Mapped[list["SafetyConfirmation"]] = relationship(
        cascade="all, delete-orphan", order_by="SafetyConfirmation.id", back_populates="session")
    amendments: Mapped[list["Amendment"]] = relationship(
        cascade="all, delete-orphan", order_by="Amendment.id", back_populates="session")

    @property
    def signed(self) -> bool:
        return self.status == "signed"


class SessionPoint(db.Model):
    """One needled point: a WHO code, or a free-text location (ashi / trigger point)."""
    __tablename__ = "session_point"
    __audited__ = True
    audit_parent = "session"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session_record.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str | None] = mapped_column(String(12), index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    side: Mapped[str] = mapped_column(String(12), default="bilateral")
    depth: Mapped[str] = mapped_column(String(60), default="")
    stimulation: Mapped[str] = mapped_column(String(20), default="")
    retention_minutes: Mapped[int | None]
    session: Mapped[SessionRecord] = relationship(back_populates="points")


class SessionAdjunct(db.Model):
    """One other intervention given in a session (STRICTA 4a): its kind (a code in
    clinical.modalities), where, how long, and the settings that modality declares (for electro:
    frequency, waveform, intensity; the point pairs are its site)."""
    __tablename__ = "session_adjunct"
    __audited__ = True
    audit_parent = "session"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session_record.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(30))
    site: Mapped[str] = mapped_column(String(200), default="")
    minutes: Mapped[int | None]
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    session: Mapped[SessionRecord] = relationship(back_populates="adjuncts")

    @property
    def name(self) -> str:
        return modalities.LABELS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        """With its site, settings and minutes, e.g. for the session view and amendments."""
        return modalities.describe(self.kind, self.site, self.minutes, self.settings)


class AdverseEvent(db.Model):
    __tablename__ = "adverse_event"
    __audited__ = True
    audit_parent = "session"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session_record.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))        # clinical.safety.ADVERSE_EVENTS
    site: Mapped[str] = mapped_column(String(120), default="")
    severity: Mapped[str] = mapped_column(String(10), default="mild")
    serious: Mapped[bool] = mapped_column(default=False)
    action: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    referral: Mapped[bool] = mapped_column(default=False)
    session: Mapped[SessionRecord] = relationship(back_populates="adverse_events")


class SafetyConfirmation(db.Model):
    """A warning the practitioner saw and went ahead with: which rule, who, when."""
    __tablename__ = "safety_confirmation"
    __audited__ = True
    audit_parent = "session"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session_record.id"), index=True)
    rule: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    session: Mapped[SessionRecord] = relationship(back_populates="confirmations")
    confirmed_by: Mapped[User] = relationship()


class Amendment(db.Model):
    """A correction to a signed record: the reason and each changed field, old and new."""
    __tablename__ = "amendment"
    __audited__ = True
    audit_parent = "session"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session_record.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    amended_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    amended_at: Mapped[datetime] = mapped_column(default=utcnow)
    session: Mapped[SessionRecord] = relationship(back_populates="amendments")
    amended_by: Mapped[User] = relationship()
