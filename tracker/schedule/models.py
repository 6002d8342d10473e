"""Appointments (one row per occurrence, start in UTC), clinic closure days, working hours."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..extensions import db
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from ..timeutil import as_utc, utcnow

STATUSES = {
    "scheduled": "Scheduled", "attended": "Attended",
    "cancelled_patient": "Cancelled by patient", "cancelled_clinic": "Cancelled by clinic",
    "late_cancel": "Late cancellation", "no_show": "No-show", "rescheduled": "Rescheduled",
}
# Statuses that hold the practitioner's time (a clash) and count as a session of the plan.
BOOKED = ("scheduled", "attended")
CANCELLED = ("cancelled_patient", "cancelled_clinic", "late_cancel")


class Appointment(db.Model):
    __tablename__ = "appointment"
    __audited__ = True
    __table_args__ = (Index("ix_appointment_practitioner_start", "practitioner_id", "starts_at"),
                      # A plan's sessions, and its upcoming ones (the dashboard's "ending soon").
                      Index("ix_appointment_plan_start", "plan_id", "starts_at"),
                      # Its id is its calendar UID: SQLite must not hand a deleted one out again.
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plan.id"))
    starts_at: Mapped[datetime] = mapped_column(index=True)  # UTC
    minutes: Mapped[int] = mapped_column(default=45)
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    number: Mapped[int | None]  # session number within the plan ("4 of 10")
    reason: Mapped[str] = mapped_column(Text, default="")  # cancellation or booking reason
    rescheduled_from_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    checked_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Times set back to scheduled after a cancellation: each raises its calendar SEQUENCE past
    # the cancellation's (services.calendar_entries), so a phone shows the visit again.
    restores: Mapped[int] = mapped_column(default=0, server_default="0")

    patient: Mapped[Patient] = relationship()
    practitioner: Mapped[User] = relationship()
    plan: Mapped[TreatmentPlan | None] = relationship()
    rescheduled_from: Mapped["Appointment | None"] = relationship(remote_side=[id])

    @property
    def start_utc(self) -> datetime:
        return as_utc(self.starts_at)

    @property
    def end_utc(self) -> datetime:
        return self.start_utc + timedelta(minutes=self.minutes)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status == "scheduled"


class ClosureDay(db.Model):
    """A day the clinic is closed: plans skip it; existing appointments are flagged."""

    __tablename__ = "closure_day"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class WorkingHours(db.Model):
    """One working span of a practitioner on a weekday (clinic-local times)."""

    __tablename__ = "working_hours"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    starts: Mapped[time]
    ends: Mapped[time]
