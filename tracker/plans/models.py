"""Assessment, TreatmentPlan and its children (goals, points, remedies) and plan versions."""
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clinical import instruments as registry
from ..extensions import db
from ..patients.models import Patient
from ..templating import date_text
from ..timeutil import utcnow

STATUSES = {"draft": "Draft", "active": "Active", "on_hold": "On hold",
            "completed": "Completed", "discontinued": "Discontinued"}
class _GoalMeasures(Mapping):
    """Goal measure key -> label: the registry's goal instruments, then a free "other". Read
    from the registry on every use, so a newly registered measure is offered at once."""

    def _all(self) -> dict[str, str]:
        return {key: i.name for key, i in registry.goal_measures().items()} | {
            "other": "Other (say what)"}

    def __getitem__(self, key: str) -> str:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


MEASURES: Mapping[str, str] = _GoalMeasures()
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Assessment(db.Model):
    """A dated clinical assessment; the latest one prefills a new plan."""

    __tablename__ = "assessment"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    assessed_on: Mapped[date]
    western_diagnosis: Mapped[str] = mapped_column(Text, default="")
    icd10: Mapped[str] = mapped_column(String(10), default="")
    patterns: Mapped[list[str]] = mapped_column(JSON, default=list)  # tcm.PATTERNS slugs
    pattern_notes: Mapped[str] = mapped_column(Text, default="")
    tongue_colour: Mapped[str] = mapped_column(String(30), default="")
    tongue_shape: Mapped[list[str]] = mapped_column(JSON, default=list)
    coating_colour: Mapped[str] = mapped_column(String(30), default="")
    coating_thickness: Mapped[str] = mapped_column(String(30), default="")
    coating_quality: Mapped[list[str]] = mapped_column(JSON, default=list)
    tongue_notes: Mapped[str] = mapped_column(Text, default="")
    pulse_rate: Mapped[str] = mapped_column(String(30), default="")
    pulse_bpm: Mapped[int | None]
    pulse_rhythm: Mapped[str] = mapped_column(String(30), default="")
    pulse_qualities: Mapped[list[str]] = mapped_column(JSON, default=list)
    pulse_notes: Mapped[str] = mapped_column(Text, default="")
    palpation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship()
    practitioner: Mapped[User] = relationship()


class TreatmentPlan(db.Model):
    """The course of treatment; its frequency and length drive the appointments."""

    __tablename__ = "treatment_plan"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), index=True)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plan.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    patterns: Mapped[list[str]] = mapped_column(JSON, default=list)
    style: Mapped[str] = mapped_column(String(30), default="tcm")
    variation: Mapped[str] = mapped_column(String(30), default="core-plus")
    rationale: Mapped[str] = mapped_column(Text, default="")
    modalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Frequency: ISO weekdays 0 = Monday, every `interval_weeks` weeks, at a clinic-local time.
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    interval_weeks: Mapped[int] = mapped_column(default=1)
    start_time: Mapped[time] = mapped_column(default=time(9, 0))
    minutes: Mapped[int] = mapped_column(default=45)
    start_on: Mapped[date]
    sessions_planned: Mapped[int | None]
    end_on: Mapped[date | None]
    reeval_every: Mapped[int] = mapped_column(default=6)
    version: Mapped[int] = mapped_column(default=0)  # 0 until first activated
    # The frequency or length changed and the new schedule is not yet confirmed.
    schedule_pending: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()
    practitioner: Mapped[User] = relationship()
    assessment: Mapped[Assessment | None] = relationship()
    goals: Mapped[list["PlanGoal"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.position")
    points: Mapped[list["PlanPoint"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanPoint.position")
    remedies: Mapped[list["PlanRemedy"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanRemedy.position")
    versions: Mapped[list["PlanVersion"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanVersion.version")
    confirmations: Mapped[list["PlanSafetyConfirmation"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan",
        order_by="PlanSafetyConfirmation.id")

    audit_skip = frozenset({"updated_at"})

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def weekday_names(self) -> list[str]:
        return [WEEKDAYS[d] for d in sorted(self.weekdays or []) if 0 <= d < 7]

    @property
    def frequency_text(self) -> str:
        days = ", ".join(d[:3] for d in self.weekday_names) or "no days chosen"
        every = "weekly" if self.interval_weeks == 1 else f"every {self.interval_weeks} weeks"
        length = (f"{self.sessions_planned} sessions" if self.sessions_planned
                  else f"until {date_text(self.end_on)}" if self.end_on else "open-ended")
        return (f"{len(self.weekdays or [])} × {every} ({days}) at {self.start_time:%H:%M}, "
                f"{self.minutes} min; {length}")


class PlanGoal(db.Model):
    __tablename__ = "plan_goal"
    __audited__ = True
    audit_parent = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(30), default="nrs_average")
    baseline: Mapped[float | None]
    target: Mapped[float | None]
    target_on: Mapped[date | None]

    plan: Mapped[TreatmentPlan] = relationship(back_populates="goals")

    @property
    def measure_label(self) -> str:
        return MEASURES.get(self.measure, self.measure)


class PlanPoint(db.Model):
    """A principal point: a WHO / extra point code, or a free-text location (ashi)."""

    __tablename__ = "plan_point"
    __audited__ = True
    audit_parent = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str | None] = mapped_column(String(12))
    location: Mapped[str] = mapped_column(String(200), default="")
    side: Mapped[str] = mapped_column(String(12), default="bilateral")

    plan: Mapped[TreatmentPlan] = relationship(back_populates="points")


class PlanRemedy(db.Model):
    """An herbal formula or supplement with its dose."""

    __tablename__ = "plan_remedy"
    __audited__ = True
    audit_parent = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20), default="herbal")
    name: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str] = mapped_column(String(200), default="")

    plan: Mapped[TreatmentPlan] = relationship(back_populates="remedies")


class PlanSafetyConfirmation(db.Model):
    """A remedy warning the practitioner saw and went ahead with (clinical.interactions):
    which rule, what it said, who, when; like a session's SafetyConfirmation."""

    __tablename__ = "plan_safety_confirmation"
    __audited__ = True
    audit_parent = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    rule: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text, default="")
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[TreatmentPlan] = relationship(back_populates="confirmations")
    confirmed_by: Mapped[User] = relationship()


class PlanVersion(db.Model):
    """A snapshot of an active plan, valid from `valid_from` until the next version."""

    __tablename__ = "plan_version"
    __audited__ = True
    audit_parent = "plan"
    audit_skip = frozenset({"snapshot"})  # the plan's own audit rows already hold the changes

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    version: Mapped[int]
    valid_from: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)

    plan: Mapped[TreatmentPlan] = relationship(back_populates="versions")
    changed_by: Mapped[User | None] = relationship()
