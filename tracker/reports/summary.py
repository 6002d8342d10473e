"""Gathering a treatment summary: one plan, or one patient over a date range.

A handful of queries feed plain data to the outcome engine (clinical.outcomes); the templates only
lay it out, so the HTML page and the PDF always show the same figures."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..accounts.models import User
from ..checkins.models import Checkin
from ..clinical import instruments as registry
from ..clinical import outcome_rule, tcm
from ..clinical import outcomes as engine
from ..clinical.conditions import without_codes
from ..clinical.safety import ADVERSE_EVENTS
from ..extensions import db
from ..measurements import services as measurements
from ..measurements.models import Measurement
from ..patients.models import Patient
from ..plans import services as plans
from ..plans.models import STATUSES as PLAN_STATUSES
from ..plans.models import TreatmentPlan
from ..schedule import services as schedule
from ..schedule.models import Appointment
from ..sessions import stricta
from ..sessions.models import DECISIONS, AdverseEvent, SessionRecord
from ..settings.services import get_settings
from ..templating import date_text
from ..timeutil import utcnow

VERSIONS = {"clinical": "Clinical letter (physician or insurer)",
            "patient": "Plain-language summary (for the patient)"}
AE_LABELS = dict(ADVERSE_EVENTS)
ENDED = ("completed", "discontinued")  # a closed course: its result is final


class ScopeError(ValueError):
    """The request names a plan of another patient, or an impossible date range."""


@dataclass(frozen=True)
class Attendance(schedule.Attendance):
    """The scope's appointments by the schedule's one declaration (categories, words, rate),
    with the sessions planned."""
    planned: int = 0


@dataclass
class PlanView:
    """A plan as it stood on a day: the version in force then (plans keep every version), so a
    letter about last spring does not describe this week's points."""
    plan: TreatmentPlan
    version: int | None
    conditions: str
    patterns: list[str]
    modalities: list[str]
    remedies: list[str]
    points: list[str]
    frequency: str
    status_label: str
    status_reason: str
    goals: list[dict]

    @property
    def nrs_target(self) -> float | None:
        """The first pain goal, drawn on the chart as the target line."""
        measures = registry.goal_measures()
        for goal in self.goals:
            measure = measures.get(goal["measure"])
            if goal["target"] is not None and measure and measure.code == "nrs":
                return goal["target"]
        return None


def plan_view(plan: TreatmentPlan, as_of: date) -> PlanView:
    version = plans.version_at(plan, _midnight(as_of + timedelta(days=1)).replace(tzinfo=UTC))
    snap = version.snapshot if version else plans.snapshot(plan)
    shape = TreatmentPlan(  # transient, never added to the session: only for frequency_text
        weekdays=snap.get("weekdays") or [], interval_weeks=snap.get("interval_weeks") or 1,
        start_time=_parse(time, snap.get("start_time")) or time(9, 0),
        minutes=snap.get("minutes") or 45, sessions_planned=snap.get("sessions_planned"),
        end_on=_parse(date, snap.get("end_on")))
    status = snap.get("status", plan.status)
    return PlanView(
        plan=plan, version=version.version if version else None,
        conditions=snap.get("conditions") or "", patterns=tcm.pattern_labels(snap.get("patterns")),
        modalities=tcm.labels(tcm.MODALITIES, snap.get("modalities")),
        remedies=[r["name"] + (f" ({r['dose']})" if r.get("dose") else "")
                  for r in snap.get("remedies", [])],
        points=[(p.get("code") or p.get("location") or "") +
                (f" ({p['side']})" if p.get("side") not in (None, "bilateral") else "")
                for p in snap.get("points", [])],
        frequency=shape.frequency_text, status_label=PLAN_STATUSES.get(status, status),
        status_reason=snap.get("status_reason") or "",
        goals=[g | goal_words(g.get("measure")) for g in snap.get("goals", [])])


def goal_words(measure: str | None) -> dict:
    """A goal's measure as people read it, and which way its target points."""
    found = registry.goal_measures().get(measure or "")
    if found is None:
        return {"measure_label": "Other" if measure == "other" else (measure or ""),
                "plain_label": "", "target_words": ""}
    return {"measure_label": found.name, "plain_label": found.plain_name,
            "target_words": found.target_words}


def goal_starts(outcomes: list[engine.Outcome]) -> dict[str, engine.Reading | None]:
    """Goal measure key -> the course's baseline for it (None when the course has none): where
    a goal on a scored measure starts. The engine's baseline, the one the outcomes table shows,
    never the number typed on the plan (one fact, one home). PGIC has no baseline by design, and
    a free "other" goal no measure to read one from: neither is a key."""
    found = {o.registered.goal: o.baseline for o in outcomes
             if o.registered is not None and o.registered.goal}
    return {key: found.get(key) for key, i in registry.goal_measures().items()
            if i.code != "pgic"}


def with_starts(goals: list[dict], starts: dict[str, engine.Reading | None]) -> list[dict]:
    """Each goal with `start` (the value it starts from, None if unknown) and `no_baseline`
    (a scored measure the course has no baseline for). A free "other" goal starts from the
    value typed on the plan: nothing else records it."""
    out = []
    for g in goals:
        measure = g.get("measure")
        g = g | goal_words(measure)  # the measure's name and direction, wherever the goal is shown
        if measure in starts:
            reading = starts[measure]
            out.append(g | {"start": reading.value if reading else None,
                            "start_at": reading.taken_at if reading else None,
                            "no_baseline": reading is None})
        else:
            out.append(g | {"start": g.get("baseline") if measure == "other" else None,
                            "start_at": None, "no_baseline": False})
    return out


def plan_goal_starts(plan: TreatmentPlan) -> dict[str, engine.Reading | None]:
    """goal_starts for a plan's course: the same sessions, rows and engine as its summary."""
    records = db.session.execute(_PLAN_SESSIONS, {"patient_id": plan.patient_id,
                                                   "plan_id": plan.id}).all()
    start, end = _plan_span(plan, records)
    return goal_starts(_outcomes(plan.patient_id, records, start, end, plan)[2])


def _parse(kind, value):
    if value is None or isinstance(value, kind):
        return value
    return kind.fromisoformat(value)


@dataclass(frozen=True)
class Decision:
    """A re-evaluation's decision for the plan, as the summary and the exports show it."""
    number: int | None
    visit_on: date
    decision: str
    notes: str

    @property
    def label(self) -> str:
        return DECISIONS.get(self.decision, self.decision)


def decisions_of(records: list[SessionRecord]) -> list[Decision]:
    return [Decision(r.number, r.visit_on, r.reeval_decision, r.reeval_notes or "")
            for r in records if r.is_reevaluation and r.reeval_decision]


@dataclass
class Summary:
    patient: Patient
    plan: TreatmentPlan | None
    start: date
    end: date
    version: str
    clinic: object
    practitioner: User | None
    outcomes: list[engine.Outcome]
    sessions: list[engine.SessionPain]
    immediate: engine.ImmediateEffect
    attendance: Attendance
    adverse_events: list[AdverseEvent]
    ae_per_100: float | None
    baseline_now: float | None
    target: float | None
    pgic: engine.Outcome | None
    plan_view: PlanView | None = None
    decisions: list[Decision] = field(default_factory=list)
    records: list[SessionRecord] = field(default_factory=list)
    readings: list[engine.Reading] = field(default_factory=list)
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def checkins(self) -> list[tuple[int, engine.Reading]]:
        """Average pain from weekly check-ins, each with how many of the scope's sessions came
        before it (the pain chart draws it between them)."""
        starts = sorted(r.taken_at for r in self.readings
                        if r.session_number is not None and (r.instrument, r.time_frame)
                        == ("nrs", "now"))
        return [(sum(1 for t in starts if t <= r.taken_at), r) for r in self.readings
                if r.source == engine.CHECKIN
                and (r.instrument, r.time_frame) == ("nrs", "average_week")]

    @property
    def headline(self) -> engine.Outcome | None:
        return lead(self.outcomes)

    @property
    def title(self) -> str:
        if self.plan:
            return f"Treatment summary: {self.plan.conditions or 'treatment plan'}"
        return f"Treatment summary {date_text(self.start)} to {date_text(self.end)}"

    @property
    def filename(self) -> str:
        name = "".join(c if c.isalnum() else "-" for c in self.patient.family_name.lower())
        return f"summary-{name}-{self.end:%Y%m%d}-{self.version}.pdf"

    @cached_property  # the page reads it twice (the table and needling_course)
    def needling(self) -> list[tuple[SessionRecord, dict[str, str]]]:
        """Each session's needling as STRICTA reports it (sessions/stricta.py)."""
        return [(r, stricta.values(r) | {"other_interventions": "; ".join(
            a.label for a in r.adjuncts)}) for r in self.records]

    @property
    def stricta_items(self):
        return stricta.ITEMS

    @property
    def needling_course(self) -> list[tuple[stricta.Item, list[tuple[str, int]]]]:
        """The course's needling item by item: each value given and at how many sessions
        (the PDF's compact form of the per-session table)."""
        rows = self.needling
        return [(item, Counter(v[item.key] for _, v in rows if v[item.key]).most_common())
                for item in stricta.ITEMS]

    @property
    def course_open(self) -> bool:
        """A baseline may still be recorded for the scope: a date range, or a plan not yet
        completed or discontinued (a backdated baseline would change a finished course's
        result)."""
        return self.plan is None or self.plan.status not in ENDED

    def outcome_label(self, o: engine.Outcome) -> str:
        """The clinical category of an outcome; on a closed course without a baseline, that
        none was recorded (none can be now)."""
        if o.baseline is None and o.change is None and not self.course_open:
            return "No baseline was recorded for this course"
        return o.label

    @property
    def threshold_text(self) -> str:
        return outcome_rule.THRESHOLD_TEXT

    # -- the patient's version: plain words only (names from the registry, meanings from the
    # outcome rule, no diagnosis code) --------------------------------------------------------

    @property
    def plain_threshold_text(self) -> str:
        return outcome_rule.PLAIN_THRESHOLD_TEXT

    @property
    def plain_conditions(self) -> str:
        view = self.plan_view
        if view is None:
            return ""
        assessment = view.plan.assessment
        return without_codes(view.conditions, (assessment.icd10,) if assessment else ())

    # A total staff entered under the scale's own name ("HIT-6"): the name is an abbreviation a
    # patient may not know, so their version says what it is instead.
    other_plain_name = "another questionnaire you answered with your practitioner"

    @staticmethod
    def plain(o: engine.Outcome) -> registry.Instrument | None:
        """The registered measure of an outcome (its plain name and scale), None for a total
        staff entered under its own name."""
        return o.registered or registry.family(o.instrument)

    @staticmethod
    def plain_label(o: engine.Outcome) -> str:
        if o.instrument == "pgic" and o.latest:
            return "A real improvement." if o.responder else ""
        if o.change:
            return outcome_rule.PLAIN_LABELS[o.category]
        return "Not asked again yet." if o.baseline else "Not asked before treatment."

    def ae_label(self, kind: str) -> str:
        return AE_LABELS.get(kind, kind)


def lead(outcomes: list[engine.Outcome]) -> engine.Outcome | None:
    """The pain outcome a summary leads with: NRS now (asked at every visit), else any NRS,
    else PEG."""
    pain = [o for o in outcomes if o.thresholds and o.change is not None]
    pain.sort(key=lambda o: (o.instrument != "nrs", o.time_frame != "now"))
    return pain[0] if pain else None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0))


_SESSION_ORDER = (SessionRecord.visit_on, SessionRecord.number, SessionRecord.id)


def _sessions_by_date(patient_id: int):
    return (select(SessionRecord).where(SessionRecord.patient_id == patient_id)
            .order_by(*_SESSION_ORDER))


# A scope's session records, built once: a plan's, or the patient's between two days.
_RECORDS = {True: _sessions_by_date(bindparam("patient_id")).where(
                SessionRecord.plan_id == bindparam("plan_id")),
            False: _sessions_by_date(bindparam("patient_id")).where(
                SessionRecord.visit_on >= bindparam("start"),
                SessionRecord.visit_on <= bindparam("end"))}


def _collection(name: str):
    """All the records' rows of one collection (in the relationship's own order), one
    statement built once."""
    rel = getattr(SessionRecord, name).property
    kind = rel.mapper.class_
    return name, rel.back_populates, select(kind).where(
        kind.session_id.in_(bindparam("ids", expanding=True))).order_by(
        kind.session_id, *rel.order_by)


# What the letter reads of every record: its points and other interventions (the needling
# table) and its adverse events. Loaded here rather than by selectinload, which made its
# statement anew on every call (three times the cost).
_COLLECTIONS = tuple(_collection(name) for name in ("points", "adjuncts", "adverse_events"))


def _load_collections(records: list[SessionRecord]) -> None:
    """Fill each record's collections, and each row's record (the adverse events list shows its
    visit), without a query per record or row."""
    if not records:
        return
    ids = [r.id for r in records]
    for name, back, stmt in _COLLECTIONS:
        found: dict[int, list] = {r.id: [] for r in records}
        for row in db.session.scalars(stmt, {"ids": ids}):
            found[row.session_id].append(row)
        for r in records:
            set_committed_value(r, name, found[r.id])
            for row in found[r.id]:
                set_committed_value(row, back, r)


# A plan's sessions as the outcomes read them (id, number, date): plain rows, built once.
_PLAN_SESSIONS = (select(SessionRecord.id, SessionRecord.number, SessionRecord.visit_on)
                  .where(SessionRecord.patient_id == bindparam("patient_id"),
                         SessionRecord.plan_id == bindparam("plan_id"))
                  .order_by(*_SESSION_ORDER))


def _plan_span(plan: TreatmentPlan, records: list[SessionRecord]) -> tuple[date, date]:
    """A plan's summary runs from its first session (or start) to its last session once it is
    over, else to today."""
    start = records[0].visit_on if records else plan.start_on
    end = (records[-1].visit_on if records and plan.status in ENDED
           else clock.today())
    return start, end


def _outcomes(patient_id: int, records: list[SessionRecord], start: date, end: date,
              plan: TreatmentPlan | None):
    """The scope's measurement rows, their readings and the engine's outcomes."""
    window_end = _midnight(end + timedelta(days=1))
    rows = _measurements(patient_id, [r.id for r in records], _midnight(start), window_end,
                         plan.id if plan is not None else None)
    by_session = {r.id: r for r in records}
    readings = [measurements.reading(m, by_session[m.session_id].number
                                     if m.session_id in by_session else None) for m in rows]
    return rows, readings, engine.outcomes(readings, course_of(
        records, readings, start, plan.id if plan is not None else None, patient_id))


def headline_of(patient: Patient, plan: TreatmentPlan) -> engine.Outcome | None:
    """build(patient, plan).headline without the rest of the letter (the patient page's line at
    a glance): the same sessions, measurements and engine, none of the letter's other parts."""
    records = db.session.execute(_PLAN_SESSIONS, {"patient_id": patient.id,
                                                   "plan_id": plan.id}).all()
    start, end = _plan_span(plan, records)
    found = _outcomes(patient.id, records, start, end, plan)[2]
    return lead([o for o in found if o.instrument != "pgic"])


def build(patient: Patient, plan: TreatmentPlan | None = None, start: date | None = None,
          end: date | None = None, version: str = "clinical",
          practitioner: User | None = None) -> Summary:
    """Everything one summary shows. A plan sets the scope; otherwise the date range does."""
    if version not in VERSIONS:
        raise ScopeError("unknown version")
    if plan is not None and plan.patient_id != patient.id:
        raise ScopeError("plan of another patient")
    if plan is not None:
        records = list(db.session.scalars(_RECORDS[True], {"patient_id": patient.id,
                                                           "plan_id": plan.id}))
        first, last = _plan_span(plan, records)
        start, end = start or first, end or last
    else:
        end = end or clock.today()
        start = start or end - timedelta(days=365)
        if start > end:
            raise ScopeError("the range ends before it starts")
        records = list(db.session.scalars(_RECORDS[False], {"patient_id": patient.id,
                                                            "start": start, "end": end}))
    _load_collections(records)
    rows, readings, found = _outcomes(patient.id, records, start, end, plan)
    pain = _session_pain(records, rows)
    aes = [ae for r in records for ae in r.adverse_events]
    now_outcome = next((o for o in found if (o.instrument, o.time_frame) == ("nrs", "now")), None)
    shown = plan or _main_plan(patient.id, records, end)
    view = plan_view(shown, end) if shown else None
    if view is not None:
        view.goals = with_starts(view.goals, goal_starts(found))
    return Summary(
        patient=patient, plan=plan, start=start, end=end, version=version, clinic=get_settings(),
        practitioner=(shown.practitioner if shown else None) or patient.primary_practitioner
        or practitioner,
        outcomes=[o for o in found if o.instrument != "pgic"], sessions=pain,
        immediate=engine.immediate_effects(pain),
        attendance=_attendance(patient.id, plan, start, end),
        adverse_events=aes, ae_per_100=engine.per_100(len(aes), len(records)),
        baseline_now=now_outcome.baseline.value if now_outcome and now_outcome.baseline else None,
        target=view.nrs_target if view else None, plan_view=view,
        decisions=decisions_of(records),
        pgic=next((o for o in found if o.instrument == "pgic"), None), records=records,
        readings=readings)


@dataclass
class Referral:
    """A referral letter: the signed re-evaluation that decided to refer, its reason (the
    re-evaluation notes) and scores, sent with the plan's treatment summary."""
    record: SessionRecord
    scores: list[tuple[registry.Instrument, float]]

    @property
    def reason(self) -> str:
        return self.record.reeval_notes or ""

    @property
    def addressee(self) -> str:
        return self.record.patient.referring_physician or ""

    def filename(self, s: Summary) -> str:
        return s.filename.replace("summary-", "referral-", 1)


def referral(patient: Patient, session_id: int) -> Referral | None:
    """The patient's signed re-evaluation `session_id` if it decided to refer, else None."""
    record = db.session.get(SessionRecord, session_id)
    if (record is None or record.patient_id != patient.id or not record.signed
            or not record.is_reevaluation or record.reeval_decision != "refer"):
        return None
    rows = {(m.instrument, m.time_frame): m.value for m in db.session.scalars(
        select(Measurement).where(Measurement.session_id == record.id,
                                  Measurement.source == "reevaluation"))}
    return Referral(record, [(i, rows[(i.code, i.time_frame)])
                             for i in registry.REGISTRY.values()
                             if (i.code, i.time_frame) in rows])


# The patient's sessions of every course (plan, day): where an earlier course ended.
_COURSE_VISITS = (select(SessionRecord.plan_id, SessionRecord.visit_on)
                  .where(SessionRecord.patient_id == bindparam("patient_id"),
                         SessionRecord.plan_id.is_not(None)))


def course_of(records: list[SessionRecord], readings: list[engine.Reading], start: date,
              plan_id: int | None, patient_id: int) -> engine.Course:
    """The scope's first session starts the course; a range without sessions starts at its
    first day. The previous course's last visit bounds its baseline."""
    first = records[0] if records else None
    at = min((r.taken_at for r in readings if first and r.session_id == first.id),
             default=None)
    first_day = first.visit_on if first else start
    if at is None:
        at = _midnight(first_day).replace(tzinfo=UTC)
    previous = engine.previous_last_visit(
        db.session.execute(_COURSE_VISITS, {"patient_id": patient_id}), plan_id, first_day)
    return engine.Course(at, first.id if first else None, get_settings().baseline_window_days,
                         previous)


def _scope_statement(by_plan: bool):
    """Intake rows up to the end (the engine picks the baseline), the scope's session rows, and
    re-evaluation, staff-entered or check-in rows inside the window (a plan's: only its own
    check-ins, never another course's). Plain columns, the ones `measurements.reading` reads:
    no ORM rows, and built once per shape (a plan or a date range) with bound values."""
    start, end = bindparam("start"), bindparam("end")
    in_window = (Measurement.taken_at >= start) & (Measurement.taken_at < end)
    clauses = [Measurement.source.in_(engine.BASELINE_SOURCES) & (Measurement.taken_at < end),
               Measurement.session_id.in_(bindparam("session_ids", expanding=True))]
    between = Measurement.session_id.is_(None) & (Measurement.source != "intake")
    if by_plan:  # the plan's own check-ins however late (as the dashboard counts them), no other's
        clauses.append(between & Measurement.checkin_id.is_(None) & in_window)
        clauses.append(Measurement.checkin_id.in_(select(Checkin.id).where(
            Checkin.plan_id == bindparam("plan_id"))) & (Measurement.taken_at >= start))
    else:
        clauses.append(between & in_window)
        clauses.append(Measurement.session_id.is_not(None) & in_window)
    return (select(*measurements.READ_COLUMNS)
            .where(Measurement.patient_id == bindparam("patient_id"), or_(*clauses))
            .order_by(Measurement.taken_at, Measurement.id))


_SCOPE = {by_plan: _scope_statement(by_plan) for by_plan in (False, True)}


def _measurements(patient_id: int, session_ids: list[int], start: datetime, end: datetime,
                  plan_id: int | None = None) -> list:
    """The scope's measurement rows (_scope_statement), as plain rows in the order taken."""
    return db.session.execute(_SCOPE[plan_id is not None], {
        "patient_id": patient_id, "session_ids": session_ids, "start": start, "end": end,
        "plan_id": plan_id}).all()


def _session_pain(records: list[SessionRecord],
                  rows: list[Measurement]) -> list[engine.SessionPain]:
    """Before and after needling per session, from the measurement rows, falling back to the
    record's own columns where a row is missing."""
    values: dict[tuple[int, str], float] = {}
    for m in rows:
        if m.session_id and m.instrument == "nrs" and m.time_frame in ("now", "after_needling"):
            values[(m.session_id, m.time_frame)] = m.value
    return [engine.SessionPain(
        r.number, r.visit_on,
        values.get((r.id, "now"), r.pain_before),
        values.get((r.id, "after_needling"), r.pain_after), r.is_reevaluation) for r in records]


# The scope's appointments: a plan's, or the patient's in the range (built once).
_BOOKED = select(Appointment.status).where(Appointment.patient_id == bindparam("patient_id"))
_STATUSES = {True: _BOOKED.where(Appointment.plan_id == bindparam("plan_id")),
             False: _BOOKED.where(Appointment.starts_at >= bindparam("start"),
                                  Appointment.starts_at < bindparam("end"))}


def _attendance(patient_id: int, plan: TreatmentPlan | None, start: date,
                end: date) -> Attendance:
    if plan is not None:
        found = {"patient_id": patient_id, "plan_id": plan.id}
    else:
        found = {"patient_id": patient_id, "start": _midnight(start),
                 "end": _midnight(end + timedelta(days=1))}
    counts = Counter(db.session.scalars(_STATUSES[plan is not None], found))
    booked = counts["scheduled"] + counts["attended"]
    planned = (plan.sessions_planned if plan and plan.sessions_planned else None) or booked
    return Attendance(planned=planned, **vars(schedule.Attendance.of(counts)))


# What a summary reads of its plan (plan_view, the signature, the diagnosis), in the plan's own
# statement rather than one lazy load each.
PLAN_SHOWN = (joinedload(TreatmentPlan.practitioner), joinedload(TreatmentPlan.assessment),
              joinedload(TreatmentPlan.versions))

_PLAN_BY_ID = select(TreatmentPlan).where(TreatmentPlan.id == bindparam("plan_id")).options(
    *PLAN_SHOWN)
_LATEST_PLAN = select(TreatmentPlan).where(
    TreatmentPlan.patient_id == bindparam("patient_id"), TreatmentPlan.status != "draft",
    TreatmentPlan.start_on <= bindparam("end")).order_by(TreatmentPlan.start_on.desc()).limit(
    1).options(*PLAN_SHOWN)


def _main_plan(patient_id: int, records: list[SessionRecord], end: date) -> TreatmentPlan | None:
    """For a date range: the plan most of its sessions belong to, else the latest one begun."""
    counts = Counter(r.plan_id for r in records if r.plan_id)
    if counts:
        return db.session.scalars(_PLAN_BY_ID, {"plan_id": counts.most_common(1)[0][0]}
                                  ).unique().first()
    return db.session.scalars(_LATEST_PLAN, {"patient_id": patient_id, "end": end}
                              ).unique().first()


def plans_of(patient_id: int) -> list[TreatmentPlan]:
    return list(db.session.scalars(select(TreatmentPlan).where(
        TreatmentPlan.patient_id == patient_id, TreatmentPlan.status != "draft")
        .order_by(TreatmentPlan.start_on.desc())))
