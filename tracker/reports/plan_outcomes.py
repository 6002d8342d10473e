"""Each plan's outcome figures in plan_outcome, so the clinic dashboard aggregates one row per
plan, whatever the number of sessions behind them.

Definitions (reports/dashboard.py shows them on the page):
- baseline: the last intake NRS "now" at or before the plan's first session, else the first
  session's pain before needling (the same rule as the summary's outcome engine);
- responder at visit k: pain before needling at session k is at least 30 % and 2 points below
  baseline (instruments.md).

Kept in step inside the transaction that changes them: a flushed change to a plan, appointment,
session record, adverse event or measurement marks its patient, and just before the commit that
patient's plans are recomputed (on PostgreSQL with the patient's row locked, so two writers for
one patient take turns and the second sees the first). Rows that are missing (a database
upgraded to this table, or rows bulk-loaded without the ORM) are filled a few seconds' worth at a
time when the dashboard is read, or all at once by `flask rebuild-outcomes`."""
from __future__ import annotations

import time
from itertools import chain

from sqlalchemy import and_, case, delete, distinct, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from ..audit.trail import patient_of
from ..extensions import db
from ..measurements.models import Measurement
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from ..schedule.models import Appointment
from ..sessions.models import AdverseEvent, SessionRecord
from .models import PlanOutcome

SETTLED = ("attended", "no_show", "late_cancel", "cancelled_patient", "cancelled_clinic")
TRACKED = (TreatmentPlan, Appointment, SessionRecord, AdverseEvent, Measurement)
FIGURES = ("scored", "seen_6", "resp_6", "seen_10", "resp_10", "first_resp", "last_n",
           "last_resp_n", "attended", "no_show", "settled", "sessions", "adverse_events")


def per_plan(plans):
    """One row per plan with pain scores: whether it reached and responded at visits 6 and 10,
    the first responding session, and whether its last session responded. `plans` is a subquery
    with plan_id and patient_id."""
    sess = (select(SessionRecord.plan_id, SessionRecord.number, Measurement.value,
                   Measurement.taken_at)
            .join(Measurement, Measurement.session_id == SessionRecord.id)
            # IN (subquery), not a join: the planner then starts from the plans asked for and
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
    base = (select(first.c.plan_id, func.coalesce(intake_value, first_value).label("baseline"))
            .join(plans, plans.c.plan_id == first.c.plan_id)
            .group_by(first.c.plan_id, first.c.first_at, plans.c.patient_id)
            .subquery("base"))
    drop = base.c.baseline - sess.c.value
    # Integer-safe comparisons: 30 % is drop * 10 >= baseline * 3 (no rounding at the edge).
    responds = and_(base.c.baseline > 0, drop * 10 >= base.c.baseline * 3, drop >= 2)

    def flag(condition):
        return func.max(case((condition, 1), else_=0))

    return (select(base.c.plan_id,
                   flag(sess.c.number == 6).label("seen_6"),
                   flag(and_(sess.c.number == 6, responds)).label("resp_6"),
                   flag(sess.c.number == 10).label("seen_10"),
                   flag(and_(sess.c.number == 10, responds)).label("resp_10"),
                   func.min(case((responds, sess.c.number))).label("first_resp"),
                   func.max(sess.c.number).label("last_n"),
                   func.max(case((responds, sess.c.number))).label("last_resp_n"))
            .join(base, base.c.plan_id == sess.c.plan_id)
            .group_by(base.c.plan_id).subquery("per_plan"))


def compute(where, session=None) -> list[dict]:
    """The outcome row of every plan matching `where` (a condition on TreatmentPlan)."""
    session = session or db.session
    if session.get_bind().dialect.name == "postgresql":
        # The planner overrates the correlated look-ups and JIT-compiles for 1.5 s a query
        # that runs in 0.2 s; LOCAL ends with this transaction.
        session.execute(text("SET LOCAL jit = off"))
    plans = (select(TreatmentPlan.id.label("plan_id"), TreatmentPlan.patient_id)
             .where(where).subquery("plans"))
    wanted = select(plans.c.plan_id)
    rows = {plan_id: {"plan_id": plan_id} | dict.fromkeys(FIGURES, 0)
            | {"scored": False, "first_resp": None, "last_n": None, "last_resp_n": None}
            for plan_id in session.scalars(wanted)}
    if not rows:
        return []
    p = per_plan(plans)
    for row in session.execute(select(p)).mappings():
        rows[row["plan_id"]].update(
            scored=True, seen_6=bool(row["seen_6"]), resp_6=bool(row["resp_6"]),
            seen_10=bool(row["seen_10"]), resp_10=bool(row["resp_10"]),
            first_resp=row["first_resp"], last_n=row["last_n"], last_resp_n=row["last_resp_n"])
    for plan_id, attended, no_show, settled in session.execute(
            select(Appointment.plan_id,
                   func.sum(case((Appointment.status == "attended", 1), else_=0)),
                   func.sum(case((Appointment.status == "no_show", 1), else_=0)), func.count())
            .where(Appointment.plan_id.in_(wanted), Appointment.status.in_(SETTLED))
            .group_by(Appointment.plan_id)):
        rows[plan_id].update(attended=int(attended), no_show=int(no_show), settled=settled)
    for plan_id, sessions, events in session.execute(
            select(SessionRecord.plan_id, func.count(distinct(SessionRecord.id)),
                   func.count(AdverseEvent.id))
            .outerjoin(AdverseEvent, AdverseEvent.session_id == SessionRecord.id)
            .where(SessionRecord.plan_id.in_(wanted)).group_by(SessionRecord.plan_id)):
        rows[plan_id].update(sessions=sessions, adverse_events=events)
    return list(rows.values())


def _insert(session):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(PlanOutcome)


def refresh_patients(patient_ids, session=None) -> None:
    """Recompute the plans of these patients (the caller's transaction commits)."""
    session = session or db.session
    ids = sorted(set(patient_ids))
    if not ids:
        return
    # Writers for the same patient take turns (a no-op on SQLite, which has one writer).
    session.execute(select(Patient.id).where(Patient.id.in_(ids)).order_by(Patient.id)
                    .with_for_update())
    rows = compute(TreatmentPlan.patient_id.in_(ids), session)
    if rows:
        stmt = _insert(session)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[PlanOutcome.plan_id],
            set_={name: stmt.excluded[name] for name in FIGURES}), rows)


def fill_missing(seconds: float | None = None, batch: int = 2000) -> int:
    """Rows for plans that have none yet, committed batch by batch (a cache, not clinical
    data); stops after about `seconds` so a page never waits long. Returns how many plans are
    still without a row."""
    plans = db.session.scalar(select(func.count()).select_from(TreatmentPlan))
    done = db.session.scalar(select(func.count()).select_from(PlanOutcome))
    if done >= plans:  # rows only exist for plans (ON DELETE CASCADE): none missing
        return 0
    missing = (select(TreatmentPlan.id).outerjoin(PlanOutcome,
                                                  PlanOutcome.plan_id == TreatmentPlan.id)
               .where(PlanOutcome.plan_id.is_(None)))
    started = time.monotonic()
    while True:  # one batch at least, so every view makes progress
        ids = db.session.scalars(missing.limit(batch)).all()
        if not ids:
            return 0
        # Do nothing where a writer got there first: its row is the newer one.
        db.session.execute(_insert(db.session).on_conflict_do_nothing(),
                           compute(TreatmentPlan.id.in_(ids)))
        db.session.commit()
        if seconds is not None and time.monotonic() - started >= seconds:
            break
    return db.session.scalar(select(func.count()).select_from(missing.subquery()))


def rebuild() -> int:
    """Every row again from scratch (after loading data in bulk, outside the app)."""
    db.session.execute(delete(PlanOutcome))
    db.session.commit()
    fill_missing()
    return db.session.scalar(select(func.count()).select_from(PlanOutcome))


@event.listens_for(Session, "after_flush")
def _mark(session, flush_context) -> None:
    marked = session.info.setdefault("outcome_patients", set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, TRACKED):
            patient_id = patient_of(obj)
            if patient_id:
                marked.add(patient_id)


@event.listens_for(Session, "before_commit")
def _refresh(session) -> None:
    session.flush()
    marked = session.info.pop("outcome_patients", None)
    if marked:
        refresh_patients(marked, session)


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop("outcome_patients", None)
