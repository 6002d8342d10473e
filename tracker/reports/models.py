"""Each plan's outcome figures, one row per plan, kept by reports/plan_outcomes.py."""
from sqlalchemy import ForeignKey, String, Text
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
    settled: Mapped[int] = mapped_column(default=0)  # what the attendance rate counts
    sessions: Mapped[int] = mapped_column(default=0)
    adverse_events: Mapped[int] = mapped_column(default=0)
    # The course's response on the measure its evidence is read from (dashboard.py): average
    # pain over the past week where the course has it at re-evaluations, else pain before
    # needling. Visit numbers are session numbers in the plan.
    measure: Mapped[str] = mapped_column(String(20), default="nrs_now",
                                         server_default="nrs_now")
    m_first: Mapped[int | None]  # the first visit responding on that measure
    m_last: Mapped[int | None]   # the last visit with a value on it (a non-response censors here)
    # Visit k's letter (k = 1, 2, ...): the latest value at or before visit k on the measure was
    # a response "R", not one "n", or there is none yet "-"; counted with substr() in SQL.
    m_state: Mapped[str] = mapped_column(Text, default="", server_default="")
