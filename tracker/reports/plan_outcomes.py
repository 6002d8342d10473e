"""Each plan's outcome figures in plan_outcome, so the clinic dashboard aggregates one row per
plan, whatever the number of sessions behind them.

The figures come from the outcome engine itself (`clinical.outcomes.course_response`): the same
course baseline and the same responder rule (`clinical.outcome_rule`) as the summary, read from
the same rows. Nothing here restates a threshold.

Kept in step inside the transaction that changes them: a flushed change to a plan, appointment,
session record, adverse event or measurement marks its patient, and just before the commit that
patient's plans are recomputed (on PostgreSQL with the patient's row locked, so two writers for
one patient take turns and the second sees the first). Rows that are missing (a database
upgraded to this table, rows bulk-loaded without the ORM, or a changed baseline window) are
filled a few seconds' worth at a time when the dashboard is read, or all at once by
`flask rebuild-outcomes`."""
from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, date, datetime
from datetime import time as clock_time
from itertools import chain

from sqlalchemy import and_, case, delete, distinct, event, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..audit.trail import patient_of
from ..checkins.models import Checkin
from ..clinical import outcomes as engine
from ..extensions import db
from ..measurements.models import Measurement
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from ..schedule.models import Appointment
from ..schedule.services import COUNTED
from ..sessions.models import AdverseEvent, SessionRecord
from ..settings.services import get_settings
from ..timeutil import as_utc
from .models import PlanOutcome

# A plan's appointments as the attendance rate counts them (schedule.services.COUNTED): its
# `settled` column is that rate's denominator.
SETTLED = COUNTED
TRACKED = (TreatmentPlan, Appointment, SessionRecord, AdverseEvent, Measurement)
FIGURES = ("scored", "seen_6", "resp_6", "seen_10", "resp_10", "first_resp", "last_n",
           "last_resp_n", "attended", "no_show", "settled", "sessions", "adverse_events",
           "measure", "m_first", "m_last", "m_state")
NOW = ("nrs", "now")  # pain right now, before needling: what the dashboard counts
AVERAGE = ("nrs", "average_week")  # average pain over the past week, asked at re-evaluations
# The evidence measure's name in plan_outcome.measure, by (instrument, time frame).
MEASURE_NAMES = {AVERAGE: "nrs_average_week", NOW: "nrs_now"}


def course_responses(wanted, session=None, measures=(NOW,)) -> dict:
    """Each plan's response by visit on each measure ((instrument, time frame) pairs), by the
    engine: {(plan_id, measure): CourseResponse}. `wanted` is a select of plan ids, or a list
    of them (the CSV's batch)."""
    session = session or db.session
    window = get_settings().baseline_window_days
    kinds = set(measures) | {NOW}
    visits: dict[int, list] = defaultdict(list)
    patients: dict[int, int] = {}
    for plan_id, patient_id, session_id, number, visit_on in session.execute(
            select(SessionRecord.plan_id, SessionRecord.patient_id, SessionRecord.id,
                   SessionRecord.number, SessionRecord.visit_on)
            .where(SessionRecord.plan_id.in_(wanted))):
        visits[plan_id].append((visit_on, number is not None, number or 0, session_id, number))
        patients[plan_id] = patient_id
    if not visits:
        return {}
    # Plain columns, not ORM rows: a rebuild reads every score of every plan.
    columns = (Measurement.session_id, Measurement.instrument, Measurement.time_frame,
               Measurement.value, Measurement.taken_at, Measurement.source, Measurement.items)
    scored: dict[int, list[tuple]] = defaultdict(list)
    for row in session.execute(
            select(*columns).join(SessionRecord, SessionRecord.id == Measurement.session_id)
            .where(SessionRecord.plan_id.in_(wanted), _measure_in(kinds))):
        scored[row[0]].append(row)
    before: dict[int, list[engine.Reading]] = defaultdict(list)
    for patient_id, _, code, frame, value, taken_at, source, items in session.execute(
            select(Measurement.patient_id, *columns)
            .where(Measurement.patient_id.in_(set(patients.values())),
                   Measurement.source.in_(engine.BASELINE_SOURCES),
                   _measure_in(set(measures)))):
        before[patient_id].append(engine.Reading(code, frame, value, as_utc(taken_at), source,
                                                 items=items))
    # Every course's visits of these patients (plan, day): where an earlier course ended.
    courses_of: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for patient_id, plan_id, visit_on in session.execute(
            select(SessionRecord.patient_id, SessionRecord.plan_id, SessionRecord.visit_on)
            .where(SessionRecord.patient_id.in_(set(patients.values())),
                   SessionRecord.plan_id.is_not(None))):
        courses_of[patient_id].append((plan_id, visit_on))
    # Check-ins answered between visits: scored readings of the plan that asked for them.
    checkins: dict[int, list[engine.Reading]] = defaultdict(list)
    for plan_id, _, code, frame, value, taken_at, source, items in session.execute(
            select(Checkin.plan_id, *columns).join(Checkin, Checkin.id == Measurement.checkin_id)
            .where(Checkin.plan_id.in_(wanted), _measure_in(set(measures)))):
        checkins[plan_id].append(engine.Reading(code, frame, value, as_utc(taken_at), source,
                                                items=items))
    result: dict = {}
    for plan_id, rows in visits.items():
        rows.sort()  # the summary's order: visit date, then session number, then id
        first_day, _, _, first_id, _ = rows[0]
        # The course starts when its first session was scored (every score of a visit carries
        # the visit's time), as the summary counts it.
        start = min((as_utc(row[4]) for row in scored[first_id]), default=None) or \
            datetime.combine(first_day, clock_time(0, 0), tzinfo=UTC)
        course = engine.Course(start, first_id, window, engine.previous_last_visit(
            courses_of[patients[plan_id]], plan_id, first_day))
        visited = [(min((as_utc(row[4]) for row in scored[sid]), default=None)
                    or datetime.combine(day, clock_time(0, 0), tzinfo=UTC), number)
                   for day, _, _, sid, number in rows if number is not None]
        for measure in measures:
            readings = [r for r in before[patients[plan_id]]
                        if (r.instrument, r.time_frame) == measure] + [
                engine.Reading(code, frame, value, as_utc(taken_at), source, number, sid,
                               items=items)
                for _, _, _, sid, number in rows
                for _, code, frame, value, taken_at, source, items in scored[sid]
                if (code, frame) == measure] + engine.number_checkins(
                (r for r in checkins[plan_id] if (r.instrument, r.time_frame) == measure),
                visited)
            found = engine.course_response(readings, course)
            result[(plan_id, measure)] = found
    return result


def evidence(now: engine.CourseResponse | None, average: engine.CourseResponse | None) -> dict:
    """The course's figures on its evidence measure: average pain over the past week where the
    course has it after its baseline (re-evaluations), else pain before needling. Each visit is
    read by the engine (baseline and rule); here they are only laid out as numbers and letters
    (see PlanOutcome.m_state) for the dashboard to count."""
    measure = NOW
    if average is not None and average.baseline is not None and any(
            v.change is not None for v in average.visits):
        measure = AVERAGE
    course = average if measure == AVERAGE else now
    figures = {"measure": MEASURE_NAMES[measure], "m_first": None, "m_last": None, "m_state": ""}
    if course is None or course.baseline is None or course.last is None:
        return figures
    through = max(v.number for v in chain(course.visits, now.visits if now else ()))
    latest: dict[int, bool] = {}
    for v in course.visits:
        if v.change is not None:
            latest[v.number] = v.responder
    state, current = [], "-"
    for k in range(1, through + 1):
        if k in latest:
            current = "R" if latest[k] else "n"
        state.append(current)
    return figures | {"m_first": course.first_response, "m_last": course.last.number,
                      "m_state": "".join(state)}


def _measure_in(measures):
    return or_(*(and_(Measurement.instrument == code, Measurement.time_frame == frame)
                 for code, frame in sorted(measures)))


def compute(where, session=None) -> list[dict]:
    """The outcome row of every plan matching `where` (a condition on TreatmentPlan)."""
    session = session or db.session
    wanted = select(TreatmentPlan.id).where(where)
    rows = {plan_id: {"plan_id": plan_id} | dict.fromkeys(FIGURES, 0)
            | {"scored": False, "first_resp": None, "last_n": None, "last_resp_n": None,
               "measure": MEASURE_NAMES[NOW], "m_first": None, "m_last": None, "m_state": ""}
            for plan_id in session.scalars(wanted)}
    if not rows:
        return []
    found = course_responses(wanted, session, (NOW, AVERAGE))
    for plan_id in rows:
        rows[plan_id].update(evidence(found.get((plan_id, NOW)), found.get((plan_id, AVERAGE))))
    for (plan_id, measure), course in found.items():
        last = course.last
        if measure != NOW or course.baseline is None or last is None:
            continue
        six, ten = course.at(6), course.at(10)
        rows[plan_id].update(
            scored=True, seen_6=six is not None, resp_6=bool(six and six.responder),
            seen_10=ten is not None, resp_10=bool(ten and ten.responder),
            first_resp=course.first_response, last_n=last.number,
            last_resp_n=max((v.number for v in course.visits if v.responder), default=None))
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


# How many plans and how many rows, in one statement (every dashboard view asks).
_COUNTS = select(select(func.count()).select_from(TreatmentPlan).scalar_subquery(),
                 select(func.count()).select_from(PlanOutcome).scalar_subquery())


def fill_missing(seconds: float | None = None, batch: int = 2000) -> int:
    """Rows for plans that have none yet, committed batch by batch (a cache, not clinical
    data); stops after about `seconds` so a page never waits long. Returns how many plans are
    still without a row."""
    plans, done = db.session.execute(_COUNTS).one()
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


def forget_all() -> None:
    """Drop every row; the caller commits, and the dashboard counts them again as it is read."""
    db.session.execute(delete(PlanOutcome))


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
