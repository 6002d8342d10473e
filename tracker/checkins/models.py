"""Weekly check-ins between visits: what a plan asks, and each week's private link."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from ..timeutil import as_utc, utcnow


class CheckinPlan(db.Model):
    """A plan's request for a check-in each week on one day: which registry measures (keys of
    instruments asked at CHECKIN) the patient answers from a private link."""
    __tablename__ = "checkin_plan"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id", ondelete="CASCADE"),
                                         unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    weekday: Mapped[int] = mapped_column(default=0)  # 0 Monday ... 6 Sunday, clinic time
    measures: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    plan: Mapped[TreatmentPlan] = relationship()


class Checkin(db.Model):
    """One week's check-in of a plan and its private link. Only a hash of the token is kept
    (the link is shown or sent once); a new link for the same week replaces the old one."""
    __tablename__ = "checkin"
    __audited__ = True
    audit_skip = frozenset({"token_hash"})
    __table_args__ = (UniqueConstraint("plan_id", "due_on", name="uq_checkin_plan_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id", ondelete="CASCADE"),
                                         index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    due_on: Mapped[date]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    patient: Mapped[Patient] = relationship()
    plan: Mapped[TreatmentPlan] = relationship()

    def state(self, now: datetime | None = None) -> str:
        """open, answered, revoked or expired. An answered link stays readable (read-only)
        until it expires."""
        now = now or clock.now()
        if self.revoked_at:
            return "revoked"
        if as_utc(self.expires_at) <= now:
            return "expired"
        return "answered" if self.answered_at else "open"
