"""Clinic outcomes: how many patients improve, computed by the database in a fixed number of
aggregate queries, whatever the number of plans or sessions.

Definitions (shown on the page too):
- baseline: the last intake NRS "now" at or before the plan's first session, else the first
  session's pain before needling (the same rule as the summary's outcome engine);
- responder at visit k: pain before needling at session k is at least 30 % and 2 points below
  baseline (instruments.md); the denominator is the plans with a value at session k;
- at discharge: the last session (by number) of completed or discontinued plans;
- attendance and no-show rates: of appointments that reached their date (not scheduled, not
  rescheduled)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import and_, case, distinct, func, select, text
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..clinical.outcomes import per_100, rate
from ..extensions import db
from ..measurements.models import Measurement
from ..plans.models import TreatmentPlan
from ..schedule.models import Appointment
from ..sessions.models import AdverseEvent, SessionRecord
from . import chart as charts

VISITS = (6, 10)
ENDED = ("completed", "discontinued")
SETTLED = ("attended", "no_show", "late_cancel", "cancelled_patient", "cancelled_clinic")


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
    return list(db.session.scalars(select(User).where(User.role != "reception")
                                   .order_by(User.display_name)))


def conditions() -> list[str]:
    """Distinct plan conditions, offered as suggestions for the filter."""
    return list(db.session.scalars(
        select(TreatmentPlan.conditions).distinct().where(TreatmentPlan.conditions != "")
        .order_by(TreatmentPlan.conditions).limit(200)))


def _plans(start: date | None, end: date | None, condition: str, practitioner_id: int | None):
    stmt = select(TreatmentPlan.id.label("plan_id"), TreatmentPlan.patient_id,
                  TreatmentPlan.status).where(TreatmentPlan.status != "draft")
    if start:
        stmt = stmt.where(TreatmentPlan.start_on >= start)
    if end:
        stmt = stmt.where(TreatmentPlan.start_on <= end)
    if condition:
        like = "%" + condition.lower().replace("\\", "\\\\").replace("%", "\\%")\
            .replace("_", "\\_") + "%"
        stmt = stmt.where(func.lower(TreatmentPlan.conditions).like(like, escape="\\"))
    if practitioner_id:
        stmt = stmt.where(TreatmentPlan.practitioner_id == practitioner_id)
    return stmt.subquery("plans")


def per_plan(plans):
    """One row per plan with pain scores: baseline, whether it reached and responded at visits 6
    and 10, the first responding session, and whether its last session responded.
    Subquery columns: plan_id, status, seen_6, resp_6, seen_10, resp_10, first_resp, last_n,
    last_resp_n."""
    sess = (select(SessionRecord.plan_id, SessionRecord.number, Measurement.value,
                   Measurement.taken_at)
            .join(Measurement, Measurement.session_id == SessionRecord.id)
            # IN (subquery), not a join: the planner then starts from the plans in range and
            # walks the plan_id index instead of scanning every measurement.
            .where(SessionRecord.plan_id.in_(select(plans.c.plan_id)),
                   Measurement.instrument == "nrs", Measurement.time_frame == "now")
            .subquery("sess"))
    first = (select(sess.c.plan_id, func.min(sess.c.taken_at).label("first_at"))
             .group_by(sess.c.plan_id).subquery("first"))
    intake, at_first, record = aliased(Measurement), aliased(Measurement), aliased(SessionRecord)
    intake_value = (select(intake.value).where(
        intake.patient_id == plans.c.patient_id, intake.source == "intake",
        intake.instrument == "nrs", intake.time_frame == "now",
        intake.taken_at <= first.c.first_at)
        .order_by(intake.taken_at.desc(), intake.id.desc()).limit(1)
        .correlate(plans, first).scalar_subquery())
    first_value = (select(at_first.value).join(record, record.id == at_first.session_id).where(
        record.plan_id == first.c.plan_id, at_first.instrument == "nrs",
        at_first.time_frame == "now", at_first.taken_at == first.c.first_at)
        .order_by(record.number).limit(1).correlate(first).scalar_subquery())
    # GROUP BY (one row per plan anyway) keeps SQLite from flattening this into the join and
    # re-running the two correlated look-ups for every session row that reads the baseline.
    base = (select(first.c.plan_id, plans.c.status,
                   func.coalesce(intake_value, first_value).label("baseline"))
            .join(plans, plans.c.plan_id == first.c.plan_id)
            .group_by(first.c.plan_id, plans.c.status, first.c.first_at, plans.c.patient_id)
            .subquery("base"))
    drop = base.c.baseline - sess.c.value
    # Integer-safe comparisons: 30 % is drop * 10 >= baseline * 3 (no rounding at the edge).
    responds = and_(base.c.baseline > 0, drop * 10 >= base.c.baseline * 3, drop >= 2)

    def flag(condition):
        return func.max(case((condition, 1), else_=0))

    return (select(base.c.plan_id, base.c.status,
                   flag(sess.c.number == 6).label("seen_6"),
                   flag(and_(sess.c.number == 6, responds)).label("resp_6"),
                   flag(sess.c.number == 10).label("seen_10"),
                   flag(and_(sess.c.number == 10, responds)).label("resp_10"),
                   func.min(case((responds, sess.c.number))).label("first_resp"),
                   func.max(sess.c.number).label("last_n"),
                   func.max(case((responds, sess.c.number))).label("last_resp_n"))
            .join(base, base.c.plan_id == sess.c.plan_id)
            .group_by(base.c.plan_id, base.c.status).subquery("per_plan"))


def compute(start: date | None = None, end: date | None = None, condition: str = "",
            practitioner_id: int | None = None) -> Dashboard:
    plans = _plans(start, end, condition, practitioner_id)
    p = per_plan(plans)
    if db.engine.dialect.name == "postgresql":
        # The planner overrates the correlated look-ups and JIT-compiles for 1.5 s a query
        # that runs in 0.2 s; LOCAL ends with this request's transaction.
        db.session.execute(text("SET LOCAL jit = off"))
    ended = p.c.status.in_(ENDED)
    # Grouped by the first responding session, so one pass gives the totals and the histogram
    # the median is read from (SQLite has no median()); at most one row per session number.
    groups = db.session.execute(select(
        p.c.first_resp, func.count(), func.sum(p.c.seen_6), func.sum(p.c.resp_6),
        func.sum(p.c.seen_10), func.sum(p.c.resp_10), func.sum(case((ended, 1), else_=0)),
        func.sum(case((and_(ended, p.c.last_resp_n == p.c.last_n), 1), else_=0)))
        .group_by(p.c.first_resp)).all()
    totals = [sum(int(g[i] or 0) for g in groups) for i in range(1, 8)]
    with_baseline, seen6, resp6, seen10, resp10, ended_n, ended_resp = totals
    responders = [Rate("Visit 6", resp6, seen6), Rate("Visit 10", resp10, seen10),
                  Rate("Discharge", ended_resp, ended_n)]
    firsts = [int(g[0]) for g in groups if g[0] is not None for _ in range(int(g[1]))]
    plan_count = db.session.scalar(select(func.count()).select_from(plans))
    appts = dict(db.session.execute(
        select(Appointment.status, func.count())
        .where(Appointment.plan_id.in_(select(plans.c.plan_id)),
               Appointment.status.in_(SETTLED)).group_by(Appointment.status)).all())
    sessions, events = db.session.execute(
        select(func.count(distinct(SessionRecord.id)), func.count(AdverseEvent.id))
        .where(SessionRecord.plan_id.in_(select(plans.c.plan_id)))
        .outerjoin(AdverseEvent, AdverseEvent.session_id == SessionRecord.id)).one()
    return Dashboard(
        plans=plan_count, with_baseline=with_baseline, responders=responders,
        median_to_response=float(median(firsts)) if firsts else None, responded=len(firsts),
        appointments=sum(appts.values()), attended=appts.get("attended", 0),
        no_show=appts.get("no_show", 0), sessions=sessions, adverse_events=events)


def chart(d: Dashboard):
    return charts.bar_chart([(r.label, r.percent, r.caption) for r in d.responders],
                            "Responders (30 % and 2 points less pain than baseline)",
                            "responder-chart")

