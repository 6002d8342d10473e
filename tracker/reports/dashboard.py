"""Clinic outcomes: how many patients improve, summed by the database over one plan_outcome
row per plan (reports/plan_outcomes.py), whatever the number of sessions behind them.

Definitions (shown on the page too):
- baseline: the course's own, by the summary's engine (clinical.outcomes.course_baseline): an
  intake or entered NRS "now" within the clinic's window before the first session, else that
  session's pain before needling;
- responder at visit k: pain before needling at session k against that baseline, by the one
  rule (clinical.outcome_rule: 30 % and 2 points); the denominator is the plans with a value at
  session k; the first session never responds (it is scored before any needling);
- at discharge: the last session (by number) of completed or discontinued plans;
- attendance and no-show rates: of appointments that reached their date (not scheduled, not
  rescheduled)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import and_, case, func, select

from ..accounts.models import User
from ..clinical.outcomes import per_100, rate
from ..extensions import db
from ..permissions import treating_staff
from ..plans.models import TreatmentPlan
from . import chart as charts
from . import plan_outcomes
from .models import PlanOutcome

ENDED = ("completed", "discontinued")
FILL_SECONDS = 3.0  # at most this long per page view filling rows missing after an upgrade


@dataclass
class Rate:
    label: str
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return rate(self.part, self.whole)

    @property
    def caption(self) -> str:
        return f"{self.part} of {self.whole}"


@dataclass
class Dashboard:
    plans: int
    with_baseline: int
    responders: list[Rate]
    median_to_response: float | None
    responded: int
    appointments: int
    attended: int
    no_show: int
    sessions: int
    adverse_events: int
    pending: int = 0  # plans not counted yet (their rows are still being made)

    @property
    def attendance_rate(self) -> float | None:
        return rate(self.attended, self.appointments)

    @property
    def no_show_rate(self) -> float | None:
        return rate(self.no_show, self.appointments)

    @property
    def ae_per_100(self) -> float | None:
        return per_100(self.adverse_events, self.sessions)


def practitioners() -> list[User]:
    return list(db.session.scalars(select(User).where(treating_staff())
                                   .order_by(User.display_name)))


def conditions() -> list[str]:
    """Distinct plan conditions, offered as suggestions for the filter."""
    return list(db.session.scalars(
        select(TreatmentPlan.conditions).distinct().where(TreatmentPlan.conditions != "")
        .order_by(TreatmentPlan.conditions).limit(200)))


def compute(start: date | None = None, end: date | None = None, condition: str = "",
            practitioner_id: int | None = None) -> Dashboard:
    """Totals over the plans in the filter, from their plan_outcome rows (plan_outcomes.py)."""
    pending = plan_outcomes.fill_missing(seconds=FILL_SECONDS)
    o = PlanOutcome
    where = [TreatmentPlan.status != "draft"]
    if start:
        where.append(TreatmentPlan.start_on >= start)
    if end:
        where.append(TreatmentPlan.start_on <= end)
    if condition:
        like = "%" + condition.lower().replace("\\", "\\\\").replace("%", "\\%")\
            .replace("_", "\\_") + "%"
        where.append(func.lower(TreatmentPlan.conditions).like(like, escape="\\"))
    if practitioner_id:
        where.append(TreatmentPlan.practitioner_id == practitioner_id)
    ended = TreatmentPlan.status.in_(ENDED)

    def total(column):
        return func.coalesce(func.sum(case((column, 1), else_=0)), 0)

    # Grouped by the first responding session, so one pass gives the totals and the histogram
    # the median is read from (SQLite has no median()); at most one row per session number.
    groups = db.session.execute(
        select(o.first_resp, func.count(), total(o.scored), total(o.seen_6), total(o.resp_6),
               total(o.seen_10), total(o.resp_10), total(and_(o.scored, ended)),
               total(and_(o.scored, ended, o.last_resp_n == o.last_n)),
               func.sum(o.settled), func.sum(o.attended), func.sum(o.no_show),
               func.sum(o.sessions), func.sum(o.adverse_events))
        .join(TreatmentPlan, TreatmentPlan.id == o.plan_id).where(*where)
        .group_by(o.first_resp)).all()
    sums = [sum(int(g[i] or 0) for g in groups) for i in range(1, 14)]
    (plans, scored, seen6, resp6, seen10, resp10, ended_n, ended_resp, settled, attended,
     no_show, sessions, events) = sums
    firsts = [int(g[0]) for g in groups if g[0] is not None for _ in range(int(g[1]))]
    return Dashboard(
        plans=plans, with_baseline=scored,
        responders=[Rate("Visit 6", resp6, seen6), Rate("Visit 10", resp10, seen10),
                    Rate("Discharge", ended_resp, ended_n)],
        median_to_response=float(median(firsts)) if firsts else None, responded=len(firsts),
        appointments=settled, attended=attended, no_show=no_show, sessions=sessions,
        adverse_events=events, pending=pending)


def chart(d: Dashboard):
    return charts.bar_chart([(r.label, r.percent, r.caption) for r in d.responders],
                            "Responders (30 % and 2 points less pain than baseline)",
                            "responder-chart")

