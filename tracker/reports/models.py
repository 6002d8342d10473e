"""Each plan's outcome figures, one row per plan, kept by reports/plan_outcomes.py."""
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class PlanOutcome(db.Model):
    """Derived from the plan's sessions, pain scores and appointments (never entered), so the
    clinic dashboard reads one row per plan instead of every session of every plan."""

    __tablename__ = "plan_outcome"

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("treatment_plan.id", ondelete="CASCADE"), primary_key=True)
    scored: Mapped[bool] = mapped_column(default=False)  # has pain before needling, so a baseline
    seen_6: Mapped[bool] = mapped_column(default=False)
    resp_6: Mapped[bool] = mapped_column(default=False)
    seen_10: Mapped[bool] = mapped_column(default=False)
    resp_10: Mapped[bool] = mapped_column(default=False)
    first_resp: Mapped[int | None]   # the first responding session number
    last_n: Mapped[int | None]       # the last session number with a score
    last_resp_n: Mapped[int | None]  # the last responding session number
    attended: Mapped[int] = mapped_column(default=0)
    no_show: Mapped[int] = mapped_column(default=0)
    settled: Mapped[int] = mapped_column(default=0)  # appointments that reached their date
    sessions: Mapped[int] = mapped_column(default=0)
    adverse_events: Mapped[int] = mapped_column(default=0)
