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
- attendance and no-show rates: the schedule's one rule (schedule.services.Attendance, as the
  treatment summary counts them), over the appointments of the plans in the filter: attended
  or no-shows out of attended + no-shows + late cancellations; cancellations with notice are
  not counted (plan_outcome's settled column holds that denominator per plan).

Outcome evidence ("how many improve within N visits", N chosen, default 10), on each course's
evidence measure (plan_outcome.measure): average pain over the past 7 days where the course has
it at re-evaluations against a baseline of its own, else pain before needling (the page says
how many courses each):
- intention to treat: of the courses with a baseline that ended, reached visit N or responded
  by it, those whose first response came at visit N or earlier (a course that stopped early
  counts as not responding); courses still under way before visit N are counted apart;
- completers: of the courses that reached visit N with a value on the measure by then, those
  whose latest value at or before visit N is a response;
- 95 % intervals by Wilson's score method; time to first response by Kaplan-Meier, a course
  without a response censored at its last value on the measure (clinical/statistics.py).
The database does the counting (grouped by visit number); Python finishes the arithmetic."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from statistics import median

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select

from ..accounts.models import User
from ..clinical import statistics
from ..clinical.instruments import half_up
from ..clinical.outcomes import per_100, rate
from ..extensions import db
from ..permissions import treating_staff
from ..plans.models import TreatmentPlan
from ..schedule.services import Attendance
from . import chart as charts
from . import curve, plan_outcomes
from .models import PlanOutcome
from .summary import ENDED

WITHIN = 10  # the default N of "responded within N visits"
MEASURE_LABELS = {"nrs_average_week": "average pain over the past 7 days (NRS), asked at "
                  "intake, at re-evaluations and in weekly check-ins",
                  "nrs_now": "pain right now before needling (NRS), where average pain over "
                  "the past 7 days was not collected"}
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
class Evidence:
    """Responded within N visits: intention to treat and completers, with Wilson intervals,
    the Kaplan-Meier curve of time to first response, and the measures the courses used."""
    within: int
    itt: Rate
    completers: Rate
    in_progress: int
    curve: list[statistics.Step]
    measures: dict[str, int]

    @property
    def itt_interval(self) -> tuple[float, float] | None:
        return _percent(statistics.wilson(self.itt.part, self.itt.whole))

    @property
    def completers_interval(self) -> tuple[float, float] | None:
        return _percent(statistics.wilson(self.completers.part, self.completers.whole))

    @property
    def itt_interval_text(self) -> str:
        return interval_text(self.itt_interval)

    @property
    def completers_interval_text(self) -> str:
        return interval_text(self.completers_interval)

    @property
    def km_within(self) -> float | None:
        """The Kaplan-Meier share responded by visit N, as a percentage."""
        if not self.curve:
            return None
        return round(100 * (1 - statistics.survival_at(self.curve, self.within)), 1)

    @property
    def measure_labels(self) -> list[tuple[str, int]]:
        return [(MEASURE_LABELS.get(k, k), n) for k, n in self.measures.items() if n]


def interval_text(pair: tuple[float, float] | None) -> str:
    """'36–92 %': a 95 % interval in whole percent, as the share it goes with (percent_text
    keeps a decimal only so a share never seems to reach a threshold; an interval's bounds are
    not compared with one)."""
    if pair is None:
        return ""
    low, high = (half_up(v, 0) for v in pair)
    return f"{low:g}–{high:g} %"


def _percent(pair: tuple[float, float] | None) -> tuple[float, float] | None:
    return (round(100 * pair[0], 1), round(100 * pair[1], 1)) if pair else None


@dataclass
class Dashboard:
    plans: int
    with_baseline: int
    responders: list[Rate]
    median_to_response: float | None
    responded: int
    attendance: Attendance
    sessions: int
    adverse_events: int
    pending: int = 0  # plans not counted yet (their rows are still being made)
    evidence: Evidence | None = None

    @property
    def attendance_rate(self) -> float | None:
        return self.attendance.rate

    @property
    def no_show_rate(self) -> float | None:
        return self.attendance.no_show_rate

    @property
    def appointments(self) -> int:
        """The rates' denominator (attended, no-shows and late cancellations)."""
        return self.attendance.counted

    @property
    def attended(self) -> int:
        return self.attendance.attended

    @property
    def no_show(self) -> int:
        return self.attendance.no_show

    @property
    def ae_per_100(self) -> float | None:
        return per_100(self.adverse_events, self.sessions)


def practitioners():
    """The treating staff for the filter, as (id, display_name) rows."""
    return db.session.execute(_PRACTITIONERS).all()


_PRACTITIONERS = select(User.id, User.display_name).where(treating_staff()).order_by(
    User.display_name)
_CONDITIONS = (select(TreatmentPlan.conditions).distinct().where(TreatmentPlan.conditions != "")
               .order_by(TreatmentPlan.conditions).limit(200))


def conditions() -> list[str]:
    """Distinct plan conditions, offered as suggestions for the filter."""
    return list(db.session.scalars(_CONDITIONS))


def _total(column):
    return func.coalesce(func.sum(case((column, 1), else_=0)), 0)


@cache
def _statements(shape: tuple[bool, bool, bool, bool]):
    """The dashboard's three statements for one shape of filter (which of start, end,
    condition and practitioner are set), built once with bound values: the totals grouped by
    first response, and the evidence grouped by measure and by time to first response."""
    has_start, has_end, has_condition, has_practitioner = shape
    where = [TreatmentPlan.status != "draft"]
    if has_start:
        where.append(TreatmentPlan.start_on >= bindparam("start"))
    if has_end:
        where.append(TreatmentPlan.start_on <= bindparam("end"))
    if has_condition:
        where.append(func.lower(TreatmentPlan.conditions).like(bindparam("like"), escape="\\"))
    if has_practitioner:
        where.append(TreatmentPlan.practitioner_id == bindparam("practitioner_id"))
    o = PlanOutcome
    ended = TreatmentPlan.status.in_(ENDED)
    # Grouped by the first responding session, so one pass gives the totals and the histogram
    # the median is read from (SQLite has no median()); at most one row per session number.
    groups = (select(o.first_resp, func.count(), _total(o.scored), _total(o.seen_6),
                     _total(o.resp_6), _total(o.seen_10), _total(o.resp_10),
                     _total(and_(o.scored, ended)),
                     _total(and_(o.scored, ended, o.last_resp_n == o.last_n)),
                     func.sum(o.settled), func.sum(o.attended), func.sum(o.no_show),
                     func.sum(o.sessions), func.sum(o.adverse_events))
              .join(TreatmentPlan, TreatmentPlan.id == o.plan_id).where(*where)
              .group_by(o.first_resp))
    within = bindparam("within", type_=Integer)
    measured = o.m_last.is_not(None)
    responded = o.m_first <= within
    at_n = func.substr(o.m_state, within, 1)
    reached = func.coalesce(o.last_n, 0) >= within
    shares = (select(o.measure, func.count(), _total(responded),
                     _total(or_(ended, reached, responded)),
                     _total(and_(reached, at_n.in_(("R", "n")))),
                     _total(and_(reached, at_n == "R")))
              .join(TreatmentPlan, TreatmentPlan.id == o.plan_id).where(*where, measured)
              .group_by(o.measure))
    # Time to first response: the responding visit, or the last value for a censored course.
    time = func.coalesce(o.m_first, o.m_last)
    curve = (select(time, _total(o.m_first.is_not(None)), _total(o.m_first.is_(None)))
             .join(TreatmentPlan, TreatmentPlan.id == o.plan_id).where(*where, measured)
             .group_by(time))
    return groups, shares, curve


def compute(start: date | None = None, end: date | None = None, condition: str = "",
            practitioner_id: int | None = None, within: int | None = None) -> Dashboard:
    """Totals over the plans in the filter, from their plan_outcome rows (plan_outcomes.py)."""
    pending = plan_outcomes.fill_missing(seconds=FILL_SECONDS)
    values = {"start": start, "end": end, "practitioner_id": practitioner_id,
              "within": within or WITHIN}
    if condition:
        values["like"] = "%" + condition.lower().replace("\\", "\\\\").replace("%", "\\%")\
            .replace("_", "\\_") + "%"
    statements = _statements((bool(start), bool(end), bool(condition), bool(practitioner_id)))
    groups = db.session.execute(statements[0], values).all()
    sums = [sum(int(g[i] or 0) for g in groups) for i in range(1, 14)]
    (plans, scored, seen6, resp6, seen10, resp10, ended_n, ended_resp, counted, attended,
     no_show, sessions, events) = sums
    firsts = [int(g[0]) for g in groups if g[0] is not None for _ in range(int(g[1]))]
    return Dashboard(
        plans=plans, with_baseline=scored,
        responders=[Rate("Visit 6", resp6, seen6), Rate("Visit 10", resp10, seen10),
                    Rate("Discharge", ended_resp, ended_n)],
        median_to_response=float(median(firsts)) if firsts else None, responded=len(firsts),
        # plan_outcome.settled counts what the rate counts: the rest are late cancellations.
        attendance=Attendance(attended=attended, no_show=no_show,
                              late_cancel=counted - attended - no_show), sessions=sessions,
        adverse_events=events, pending=pending,
        evidence=evidence(statements, values))


def evidence(statements, values: dict) -> Evidence:
    """The outcome evidence over the plans in the filter, counted by the database from their
    plan_outcome rows: one grouped query for the shares, one for the curve."""
    within = values["within"]
    rows = db.session.execute(statements[1], values).all()
    courses, itt_part, itt_whole, done_whole, done_part = (
        sum(int(r[i] or 0) for r in rows) for i in range(1, 6))
    curve = db.session.execute(statements[2], values).all()
    return Evidence(
        within=within,
        itt=Rate(f"Intention to treat: responded within {within} visits", itt_part, itt_whole),
        completers=Rate(f"Completers: responding at visit {within}", done_part, done_whole),
        in_progress=courses - itt_whole,
        curve=statistics.kaplan_meier((t, e, c) for t, e, c in curve),
        measures={name: int(n) for name, n, *_ in sorted(rows)})


def km_chart(e: Evidence):
    """The time-to-first-response curve as an SVG step line (cumulative share responded)."""
    return curve.step_chart([(s.time, round(100 * s.cumulative, 1)) for s in e.curve if s.events],
                            e.within, "Courses responded by visit (Kaplan-Meier)", "km-chart")


def chart(d: Dashboard):
    return charts.bar_chart([(r.label, r.percent, r.caption) for r in d.responders],
                            "Responders (30 % and 2 points less pain than baseline)",
                            "responder-chart")

