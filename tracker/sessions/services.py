"""Session records: open (prefilled), save, sign, amend, autosave. The caller commits."""
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import cache
from operator import itemgetter
from typing import NamedTuple

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import bindparam, func, inspect, literal, select, union_all, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock, courses, submissions
from ..clinical import acupoints, safety
from ..clinical import instruments as registry
from ..extensions import db
from ..flags import services as flag_services
from ..measurements import services as measurements
from ..paging import paginate
from ..patients.models import Patient
from ..plans import services as plans
from ..schedule import services as schedule
from ..schedule.models import Appointment
from ..timeutil import as_utc, utcnow
from . import followup, rules
from .models import (
    AdverseEvent,
    Amendment,
    SafetyConfirmation,
    SessionAdjunct,
    SessionPoint,
    SessionRecord,
)

# Defaults carried from the last visit so a routine record is mostly prefilled (followup.py);
# its points and adjunct rows (electro settings, moxa, cupping ...) are carried too.
CARRIED = followup.DEFAULTS
# Columns an amendment may change (everything the form writes).
COLUMNS = ("pain_before", "pain_after", "subjective", "objective", "assessment", "plan_notes",
           *CARRIED, "extra_insertions", "response_obtained", "adjunct_notes",
           "no_adverse_events", "needles_reconciled", "reeval_decision", "reeval_notes",
           "patient_told")


class Conflict(Exception):
    """Someone else saved this record after the form was opened."""

    def __init__(self, current: SessionRecord):
        super().__init__("stale version")
        self.current = current


def last_signed(record: SessionRecord) -> SessionRecord | None:
    """The visit a record follows on from: the newest signed record of the same course (plan),
    or for a visit outside a plan the patient's newest signed one, not after this visit. A new
    course starts from its own plan, never from an earlier course's points."""
    plan_id = record.plan.id if record.plan is not None else record.plan_id
    stmt = select(SessionRecord).where(SessionRecord.patient_id == record.patient_id,
                                       SessionRecord.status == "signed")
    if plan_id:
        stmt = stmt.where(SessionRecord.plan_id == plan_id)
    if record.id:
        stmt = stmt.where(SessionRecord.id != record.id)
    if record.visit_on:
        stmt = stmt.where(SessionRecord.visit_on <= record.visit_on)
    return db.session.scalars(stmt.order_by(SessionRecord.visit_on.desc(),
                                            SessionRecord.id.desc()).limit(1)).first()


def follow_up(record: SessionRecord) -> tuple[SessionRecord | None, followup.Start]:
    """The last signed visit of the record's course and the start merged from it and the plan
    (followup.merge): what a new record is prefilled with, and what its form says about it."""
    last = last_signed(record)
    plan = record.plan
    plan_now = [followup.Point(p.code, p.location, p.side) for p in plan.points] if plan else []
    plan_then = None
    visit = None
    if last is not None:
        visit = followup.Visit(
            on=last.visit_on,
            points=[followup.Point(p.code, p.location, p.side, p.depth, p.stimulation,
                                   p.retention_minutes) for p in last.points],
            defaults={name: getattr(last, name) for name in CARRIED},
            adjuncts=[{"kind": a.kind, "site": a.site, "minutes": a.minutes,
                       "settings": dict(a.settings or {})} for a in last.adjuncts])
        then = (plans.version_at(plan, as_utc(last.signed_at or last.created_at))
                if plan is not None and last.plan_id == plan.id else None)
        if then is not None:
            plan_then = [followup.Point(p.get("code"), p.get("location") or "",
                                        p.get("side") or "bilateral")
                         for p in then.snapshot.get("points", [])]
    return last, followup.merge(visit, plan_then, plan_now, plan.style if plan else None)


def _prefill(record: SessionRecord, user) -> None:
    _, start = follow_up(record)
    for name, value in start.defaults.items():
        setattr(record, name, value)
    record.needle_type = record.needle_type or getattr(user, "default_needle", "") or ""
    record.points = [SessionPoint(position=i, code=p.code, location=p.location, side=p.side,
                                  depth=p.depth, stimulation=p.stimulation,
                                  retention_minutes=p.retention_minutes)
                     for i, p in enumerate(start.points)]
    record.adjuncts = [SessionAdjunct(position=i, **a) for i, a in enumerate(start.adjuncts)]


def states_by_appointment(appointment_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Each of these appointments' record as (id, status), for a day list; one query."""
    if not appointment_ids:
        return {}
    rows = db.session.execute(select(
        SessionRecord.appointment_id, SessionRecord.id, SessionRecord.status).where(
        SessionRecord.appointment_id.in_(appointment_ids)))
    return {appointment_id: (record_id, status) for appointment_id, record_id, status in rows}


# The patient, plan and signer the record's page draws, read in the record's own statement (lazy,
# one statement each; its lists: _HAS_LISTS, shown_rows). Built once (a get() with options builds
# its statement anew each time), on first use, not at import: a loader option configures every
# mapper when made.
@cache
def _page_statement():
    return (select(SessionRecord).where(SessionRecord.id == bindparam("session_id"))
            .options(joinedload(SessionRecord.patient, innerjoin=True),
                     joinedload(SessionRecord.plan), joinedload(SessionRecord.signed_by)))


# Most records have no warning confirmed and no amendment: one plain statement tells, cheaper
# than the two lazy loads that would find nothing.
_HAS_LISTS = select(
    select(SafetyConfirmation.id).where(
        SafetyConfirmation.session_id == bindparam("session_id")).exists(),
    select(Amendment.id).where(Amendment.session_id == bindparam("session_id")).exists())


def for_page(session_id: int) -> SessionRecord | None:
    """The record with what its page shows (sessions/view.html)."""
    record = db.session.scalars(_page_statement(), {"session_id": session_id}).one_or_none()
    if record is not None:
        found = db.session.execute(_HAS_LISTS, {"session_id": record.id}).one()
        unloaded = inspect(record).unloaded
        for name, has in zip(("confirmations", "amendments"), found, strict=True):
            if not has and name in unloaded:
                set_committed_value(record, name, [])
    return record


class AdjunctRow(NamedTuple):
    """An other treatment as the record's page lists it."""
    kind: str
    site: str
    minutes: int | None
    settings: dict
    label = property(SessionAdjunct.label.fget)  # the adjunct row's own line


# The record's points and other treatments as its page lists them: plain rows in the
# relationships' order (a lazy load of whole objects costs three times as much).
_SHOWN_POINTS = (select(SessionPoint.code, SessionPoint.location, SessionPoint.side,
                        SessionPoint.depth, SessionPoint.stimulation,
                        SessionPoint.retention_minutes)
                 .where(SessionPoint.session_id == bindparam("session_id"))
                 .order_by(SessionPoint.position))
_SHOWN_ADJUNCTS = (select(SessionAdjunct.kind, SessionAdjunct.site, SessionAdjunct.minutes,
                          SessionAdjunct.settings)
                   .where(SessionAdjunct.session_id == bindparam("session_id"))
                   .order_by(SessionAdjunct.position))


def shown_rows(record: SessionRecord) -> tuple[list, list[AdjunctRow]]:
    """The stored record's points (with its columns) and other treatments, for its page."""
    ids = {"session_id": record.id}
    return (db.session.execute(_SHOWN_POINTS, ids).all(),
            [AdjunctRow(*row) for row in db.session.execute(_SHOWN_ADJUNCTS, ids)])


def for_appointment(appointment: Appointment) -> SessionRecord | None:
    return db.session.scalars(select(SessionRecord).where(
        SessionRecord.appointment_id == appointment.id)).first()


def can_start(appointment: Appointment) -> bool:
    """A visit is recorded on its day or after, never ahead of time."""
    return (appointment.status in ("scheduled", "attended") and
            clock.local_date(appointment.starts_at) <= clock.today())


def open_for_appointment(appointment: Appointment, user) -> SessionRecord:
    """The appointment's record, created and prefilled on first opening; the patient came, so a
    scheduled appointment becomes attended."""
    record = for_appointment(appointment)
    if record:
        return record
    if appointment.status == "scheduled":
        appointment.status = "attended"
        appointment.checked_in_at = appointment.checked_in_at or clock.now()
    record = SessionRecord(
        patient_id=appointment.patient_id, practitioner_id=user.id,
        appointment=appointment, plan=appointment.plan, number=appointment.number,
        visit_on=clock.local_date(appointment.starts_at),
        is_reevaluation=schedule.is_reeval(appointment))
    _prefill(record, user)
    db.session.add(record)
    return record


def open_walk_in(patient: Patient, user) -> SessionRecord:
    record = SessionRecord(patient_id=patient.id, practitioner_id=user.id,
                           visit_on=clock.today())
    _prefill(record, user)
    db.session.add(record)
    return record


def active_flag_kinds(patient_id: int) -> set[str]:
    return {f.kind for f in flag_services.active_for(patient_id)}


def warnings_for(record: SessionRecord, form) -> list[rules.Warning]:
    parsed = form.parsed_points()
    stimulations = [form.stimulation.data] + [row.stimulation.data for _, row in parsed]
    retention = [form.retention_minutes.data] + [row.retention_minutes.data for _, row in parsed]
    flags = flag_services.active_for(record.patient_id)
    return rules.safety_warnings({f.kind for f in flags},
                                 [p.code for p, _ in parsed], stimulations, retention,
                                 [row["kind"] for row in form.adjunct_values()],
                                 flag_services.pregnancy_weeks(flags, record.visit_on))


def emergency_acknowledgements(record: SessionRecord, form, signing: bool
                               ) -> tuple[list[rules.Warning], bool]:
    """Each active emergency red flag not yet acknowledged on this record needs the referral
    or the reason to go ahead (clinical.safety.emergency_acknowledgement), stored as a
    confirmation. Returns (confirmations to store, whether signing may go on)."""
    done = {c.rule for c in record.confirmations}
    open_flags = [f for f in flag_services.active_for(record.patient_id)
                  if f.emergency and f"emergency:{f.id}" not in done]
    if not open_flags:
        return [], True
    detail = safety.emergency_acknowledgement(form.emergency_action.data,
                                              form.emergency_note.data)
    if detail is None:
        if signing:
            form.emergency_action.errors = [
                *form.emergency_action.errors, "This patient has an emergency red flag: record "
                "the referral made, or why treatment goes ahead, before signing."]
        return [], not signing
    return [rules.Warning(f"emergency:{f.id}", f"{f.label}. {detail}")
            for f in open_flags], True


def check_version(record: SessionRecord, version: str | None) -> None:
    if str(record.version) != str(version or ""):
        raise Conflict(record)


@dataclass
class Saved:
    """What save_record did: `done` is 'saved', 'signed', 'amended' or 'unchanged'; empty when
    nothing was written because a warning awaits confirmation (`pending`), the record to sign is
    incomplete (the form carries the errors) or an amendment has no reason."""

    done: str = ""
    pending: list[rules.Warning] = field(default_factory=list)
    reason_missing: bool = False
    decided: "Decided | None" = None  # a signed re-evaluation's decision, and what it did


@dataclass(frozen=True)
class Decided:
    """What a signed re-evaluation's decision did to its plan: 'discharge' completed it
    (`problem` says why not, e.g. a plan already ended), 'refer' asks for the referral letter,
    'modify' for the plan's next version, 'continue' changes nothing."""

    decision: str
    plan_id: int
    problem: str = ""
    removed: int = 0


def save_record(record: SessionRecord, form, user, *, signing: bool = False,
                reason: str | None = None) -> Saved:
    """Save a validated session form into the record and sign it (locked) when asked, or, with a
    reason, amend a signed record keeping what it said. Raises Conflict when someone saved the
    record after the form was opened. Each safety warning must be confirmed (on the form or
    earlier) before anything is written. The record's row is locked first, so two saves at the
    same moment take turns and the second sees the first's version (a Conflict)."""
    submissions.lock_row(SessionRecord, record.id)
    check_version(record, form.version.data)
    warnings = warnings_for(record, form)
    confirmed = set(form.confirm.data or []) | {c.rule for c in record.confirmations}
    pending = [w for w in warnings if w.rule not in confirmed]
    amending = reason is not None
    signing = signing and not amending
    complete = not signing or form.validate_for_signing(
        record.is_reevaluation, measurements.positive_screens(record.patient_id))
    acknowledged, may_sign = emergency_acknowledgements(record, form, signing)
    complete = complete and may_sign
    warnings = warnings + acknowledged
    if amending and not reason.strip():
        return Saved(reason_missing=True)
    if pending or not complete:
        return Saved(pending=pending)
    if amending:
        return Saved("amended" if amend(record, form, user, reason.strip(), warnings)
                     else "unchanged")
    apply(record, form, user, warnings)
    if signing:
        sign(record, user)
        return Saved("signed", decided=act_on_decision(record, user))
    return Saved("saved")


def act_on_decision(record: SessionRecord, user) -> Decided | None:
    """A re-evaluation's decision acts on its plan once the record is signed: discharge
    completes the plan (its future visits leave the diary, as on the plan page); refer and
    modify are answered by the caller (the referral letter, the plan's edit page)."""
    if not (record.is_reevaluation and record.reeval_decision and record.plan_id):
        return None
    decided = Decided(record.reeval_decision, record.plan_id)
    if record.reeval_decision == "discharge":
        reason = f"Discharged at the re-evaluation of session {record.number or '?'}" + (
            f": {record.reeval_notes}" if record.reeval_notes else "")
        change = courses.change_status(record.plan_id, "completed", reason[:2000], user.id)
        decided = Decided("discharge", record.plan_id, change.problem, change.removed)
    return decided


def apply(record: SessionRecord, form, user, warnings: list[rules.Warning]) -> None:
    """Write a validated form into the record, its rows and its measurements."""
    data = form.data
    text = ("subjective", "objective", "assessment", "plan_notes", "style", "depth",
            "response_sought", "stimulation", "manual_technique", "needle_type", "adjunct_notes",
            "reeval_notes", "setting", "patient_told")
    for name in text:
        setattr(record, name, data[name] or "")
    for name in ("pain_before", "pain_after", "retention_minutes"):
        setattr(record, name, data[name])
    record.needles_reconciled = bool(data["needles_reconciled"])
    record.extra_insertions = data["extra_insertions"] or 0
    record.response_obtained = {"yes": True, "no": False}.get(data["response_obtained"])
    record.no_adverse_events = {"none": True, "some": False}.get(data["adverse"])
    record.adjuncts = [SessionAdjunct(position=i, **row)
                       for i, row in enumerate(form.adjunct_values())]
    record.points = [
        SessionPoint(position=i, code=parsed.code, location=parsed.location if not parsed.code
                     else "", side=acupoints.side_for(parsed.code, row.side.data),
                     depth=row.depth.data or "",
                     stimulation=row.stimulation.data or "",
                     retention_minutes=row.retention_minutes.data)
        for i, (parsed, row) in enumerate(form.parsed_points())]
    record.insertions = rules.insertions([p.side for p in record.points],
                                         record.extra_insertions)
    record.adverse_events = [] if record.no_adverse_events else [
        AdverseEvent(kind=row["kind"], site=row["site"] or "", severity=row["severity"],
                     serious=bool(row["serious"]), action=row["action"] or "",
                     outcome=row["outcome"] or "", referral=bool(row["referral"]))
        for row in data["adverse_events"] if row["kind"]]
    confirmed = {c.rule for c in record.confirmations}
    for warning in warnings:
        if warning.rule not in confirmed:
            record.confirmations.append(SafetyConfirmation(
                rule=warning.rule, detail=warning.message, confirmed_by_id=user.id))
    if record.is_reevaluation:
        record.reeval_decision = data["reeval_decision"] or ""
    record.draft = None
    record.draft_saved_at = None
    write_measurements(record, data)


def write_measurements(record: SessionRecord, data: dict) -> None:
    """Pain before and after (and the re-evaluation set) as measurement rows for this visit."""
    db.session.flush()
    for row in db.session.scalars(select(measurements.Measurement).where(
            measurements.Measurement.session_id == record.id)):
        db.session.delete(row)
    if record.appointment_id:
        when = as_utc(db.session.get(Appointment, record.appointment_id).starts_at)
    else:  # a walk-in: midday on the visit date, clinic time
        when = clock.to_utc(record.visit_on, time(12, 0))

    def add(instrument, value, frame="", items=None, source="session"):
        measurements.add(record.patient_id, instrument, value, source=source, taken_at=when,
                         time_frame=frame, items=items, session_id=record.id)

    if record.pain_before is not None:
        add("nrs", record.pain_before, "now")
    if record.pain_after is not None:
        add("nrs", record.pain_after, "after_needling")
    if record.is_reevaluation:
        measurements.write_scores(
            record.patient_id, registry.score_answers(data, registry.REEVALUATION),
            source="reevaluation", taken_at=when, session_id=record.id)


_REEVAL_SCORES = select(measurements.Measurement.instrument, measurements.Measurement.time_frame,
                        measurements.Measurement.value).where(
    measurements.Measurement.session_id == bindparam("session_id"),
    measurements.Measurement.source == "reevaluation")


def reeval_scores(record: SessionRecord) -> list[tuple[registry.Instrument, float]]:
    """The re-evaluation's scores in registry order, for the record's page."""
    rows = {(code, frame): value for code, frame, value in db.session.execute(
        _REEVAL_SCORES, {"session_id": record.id})}
    return [(i, rows[(i.code, i.time_frame)]) for i in registry.REGISTRY.values()
            if (i.code, i.time_frame) in rows]


def reeval_values(record: SessionRecord) -> dict:
    """The re-evaluation answers back from the measurement rows, to refill the form."""
    return measurements.answers_for(list(db.session.scalars(select(
        measurements.Measurement).where(measurements.Measurement.session_id == record.id,
                                        measurements.Measurement.source == "reevaluation"))))


def sign(record: SessionRecord, user) -> None:
    record.status = "signed"
    record.signed_at = utcnow()
    record.signed_by_id = user.id
    refresh_last_visit(record.patient_id)


def refresh_last_visit(patient_id: int) -> None:
    """The register's "Last visit" (Patient.last_visit_on, which it sorts by): the visit date
    of the patient's newest signed session record. Called on signing and amending."""
    newest = db.session.execute(select(func.max(SessionRecord.visit_on)).where(
        SessionRecord.patient_id == patient_id, SessionRecord.status == "signed")).scalar()
    patient = db.session.get(Patient, patient_id)
    if patient is not None and patient.last_visit_on != newest:
        patient.last_visit_on = newest


def snapshot(record: SessionRecord) -> dict:
    """A comparable picture of the record, for amendments (old and new side by side)."""
    values = {name: getattr(record, name) for name in COLUMNS}
    values["points"] = [f"{p.code or p.location} {p.side}".strip() for p in record.points]
    values["adjuncts"] = [a.label for a in record.adjuncts]
    values["adverse_events"] = [f"{a.kind} ({a.severity})" for a in record.adverse_events]
    return values


def amend(record: SessionRecord, form, user, reason: str, warnings) -> Amendment | None:
    """Apply a correction to a signed record, keeping what it said before."""
    before = snapshot(record)
    apply(record, form, user, warnings)
    db.session.flush()
    refresh_last_visit(record.patient_id)
    after = snapshot(record)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return None
    amendment = Amendment(reason=reason, changes=_jsonable(changes), amended_by_id=user.id)
    record.amendments.append(amendment)
    return amendment


def _jsonable(changes: dict) -> dict:
    return {k: [v if isinstance(v, str | int | float | bool | list | type(None)) else str(v)
                for v in pair] for k, pair in changes.items()}


def autosave(record: SessionRecord, raw: dict) -> None:
    """Keep unsaved typing without touching the version, so the user's own save still fits."""
    db.session.execute(update(SessionRecord).where(SessionRecord.id == record.id)
                       .values(draft=raw, draft_saved_at=utcnow())
                       .execution_options(synchronize_session=False))


def unsigned_overdue(practitioner_id: int, hours: int = 24) -> list[SessionRecord]:
    cutoff = utcnow() - timedelta(hours=hours)
    return list(db.session.scalars(
        select(SessionRecord).where(SessionRecord.practitioner_id == practitioner_id,
                                    SessionRecord.status == "draft",
                                    SessionRecord.created_at < cutoff)
        .order_by(SessionRecord.visit_on).limit(20)))


class TimelinePoint(NamedTuple):
    code: str | None


class TimelineAdjunct(NamedTuple):
    kind: str
    name = property(SessionAdjunct.name.fget)  # the adjunct row's own label


@dataclass(slots=True)
class TimelineRow:
    """A session as the timeline lists it (sessions/_timeline_rows.html), read-only: the
    columns shown, its points' codes and other treatments in order, and whether it has adverse
    events or amendments (truthy as the record's lists are)."""
    id: int
    visit_on: date
    number: int | None
    pain_before: int | None
    pain_after: int | None
    status: str
    adverse_events: bool
    amendments: bool
    points: list[TimelinePoint] = field(default_factory=list)
    adjuncts: list[TimelineAdjunct] = field(default_factory=list)
    signed = property(SessionRecord.signed.fget)  # the record's own rule


# Built once: a page of rows with the patient's total (a window count, no second statement),
# then the page's points and other treatments together.
_TIMELINE_ROWS = (
    select(SessionRecord.id, SessionRecord.visit_on, SessionRecord.number,
           SessionRecord.pain_before, SessionRecord.pain_after, SessionRecord.status,
           select(AdverseEvent.id).where(AdverseEvent.session_id == SessionRecord.id).exists(),
           select(Amendment.id).where(Amendment.session_id == SessionRecord.id).exists(),
           func.count().over())
    .where(SessionRecord.patient_id == bindparam("patient_id"))
    .order_by(SessionRecord.visit_on.desc(), SessionRecord.id.desc())
    .limit(bindparam("limit")).offset(bindparam("offset")))
_TIMELINE_COUNT = select(func.count(SessionRecord.id)).where(
    SessionRecord.patient_id == bindparam("patient_id"))
_TIMELINE_PARTS = union_all(
    select(SessionPoint.session_id, literal(False), SessionPoint.position, SessionPoint.id,
           SessionPoint.code)
    .where(SessionPoint.session_id.in_(bindparam("ids", expanding=True))),
    select(SessionAdjunct.session_id, literal(True), SessionAdjunct.position, SessionAdjunct.id,
           SessionAdjunct.kind)
    .where(SessionAdjunct.session_id.in_(bindparam("ids", expanding=True))))


def _timeline_rows(found: list) -> list[TimelineRow]:
    """The page's rows (the total, a window count, last) as TimelineRows with their points and
    other treatments, read in one more statement."""
    rows = {r[0]: TimelineRow(*r[:-1]) for r in found}
    parts = db.session.execute(_TIMELINE_PARTS, {"ids": list(rows)}).all()
    for session_id, adjunct, _, _, value in sorted(parts, key=itemgetter(2, 3)):
        if adjunct:
            rows[session_id].adjuncts.append(TimelineAdjunct(value))
        else:
            rows[session_id].points.append(TimelinePoint(value))
    return list(rows.values())


def timeline_page(patient_id: int, page: int, per_page: int, max_per_page: int | None = 100,
                  error_out: bool = True) -> Pagination:
    """A page of the patient's session records, newest first, as read-only TimelineRow items
    (what the timeline rows show), with the pager's figures: two statements (whole records
    with their four lists took seven)."""
    return paginate(_TIMELINE_ROWS, page=page, per_page=per_page, max_per_page=max_per_page,
                    error_out=error_out, rows=True, count=_TIMELINE_COUNT,
                    params={"patient_id": patient_id}, to_items=_timeline_rows)
