"""Clinic outcomes: how many patients improve, computed by the database in a fixed number of
aggregate queries, whatever the number of plans or sessions.

Definitions (shown on the page too):
- baseline: the last intake NRS "now" at or before the plan's first session, else the first
  session's pain before needling (the same rule as the summary's outcome engine);
- responder at visit k: pain before needling at session k is at least 30 % and 2 points below
  baseline (instruments.md); the denominator is the plans with a value at session k;
- at discharge: the last value of completed or discontinued plans;
- attendance and no-show rates: of appointments that reached their date (not scheduled, not
  rescheduled)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import and_, case, distinct, func, select

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


def series(plans):
    """Per plan and session: pain before needling, the plan's baseline, and whether it responds.
    Returns a subquery with plan_id, status, number, taken_at, value, baseline, responder."""
    sess = (select(SessionRecord.plan_id, SessionRecord.number, Measurement.value,
                   Measurement.taken_at, plans.c.patient_id, plans.c.status)
            .join(Measurement, Measurement.session_id == SessionRecord.id)
            .join(plans, plans.c.plan_id == SessionRecord.plan_id)
            .where(Measurement.instrument == "nrs", Measurement.time_frame == "now")
            .subquery("sess"))
    first = (select(sess.c.plan_id, sess.c.patient_id, sess.c.value,
                    sess.c.taken_at, func.row_number().over(
                        partition_by=sess.c.plan_id,
                        order_by=(sess.c.taken_at, sess.c.number)).label("rn"))
             .subquery("first_ranked"))
    intake = (select(first.c.plan_id, Measurement.value, func.row_number().over(
        partition_by=first.c.plan_id,
        order_by=(Measurement.taken_at.desc(), Measurement.id.desc())).label("rn"))
        .join(Measurement, and_(Measurement.patient_id == first.c.patient_id,
                                Measurement.source == "intake", Measurement.instrument == "nrs",
                                Measurement.time_frame == "now",
                                Measurement.taken_at <= first.c.taken_at))
        .where(first.c.rn == 1).subquery("intake_ranked"))
    baseline = (select(first.c.plan_id, func.coalesce(intake.c.value, first.c.value)
                       .label("baseline"))
                .outerjoin(intake, and_(intake.c.plan_id == first.c.plan_id, intake.c.rn == 1))
                .where(first.c.rn == 1).subquery("baseline"))
    drop = baseline.c.baseline - sess.c.value
    # Integer-safe comparisons: 30 % is drop * 10 >= baseline * 3 (no rounding at the edge).
    responder = case((and_(baseline.c.baseline > 0, drop * 10 >= baseline.c.baseline * 3,
                           drop >= 2), 1), else_=0)
    return (select(sess.c.plan_id, sess.c.status, sess.c.number, sess.c.taken_at, sess.c.value,
                   baseline.c.baseline, responder.label("responder"))
            .join(baseline, baseline.c.plan_id == sess.c.plan_id).subquery("series"))


def compute(start: date | None = None, end: date | None = None, condition: str = "",
            practitioner_id: int | None = None) -> Dashboard:
    plans = _plans(start, end, condition, practitioner_id)
    s = series(plans)
    plan_count = db.session.scalar(select(func.count()).select_from(plans))
    with_baseline = db.session.scalar(select(func.count(distinct(s.c.plan_id))))
    visit_rows = {n: (w, p) for n, w, p in db.session.execute(
        select(s.c.number, func.count(distinct(s.c.plan_id)),
               func.count(distinct(case((s.c.responder == 1, s.c.plan_id)))))
        .where(s.c.number.in_(VISITS)).group_by(s.c.number))}
    responders = [Rate(f"Visit {k}", visit_rows.get(k, (0, 0))[1], visit_rows.get(k, (0, 0))[0])
                  for k in VISITS]
    last = (select(s.c.plan_id, s.c.responder, func.row_number().over(
        partition_by=s.c.plan_id, order_by=(s.c.taken_at.desc(), s.c.number.desc()))
        .label("rn")).where(s.c.status.in_(ENDED)).subquery("last"))
    whole, part = db.session.execute(
        select(func.count(), func.coalesce(func.sum(last.c.responder), 0))
        .where(last.c.rn == 1)).one()
    responders.append(Rate("Discharge", int(part), int(whole)))
    firsts = list(db.session.scalars(
        select(func.min(s.c.number)).where(s.c.responder == 1, s.c.number.is_not(None))
        .group_by(s.c.plan_id)))
    appts = dict(db.session.execute(
        select(Appointment.status, func.count()).join(plans, plans.c.plan_id ==
                                                      Appointment.plan_id)
        .where(Appointment.status.in_(SETTLED)).group_by(Appointment.status)).all())
    sessions, events = db.session.execute(
        select(func.count(distinct(SessionRecord.id)), func.count(AdverseEvent.id))
        .join(plans, plans.c.plan_id == SessionRecord.plan_id)
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

