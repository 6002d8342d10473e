"""The patient's own page (opt-in): their upcoming visits, next check-in and progress in plain
words, and requests to cancel or move a visit that wait for reception. No request needed."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from .. import clock
from ..checkins import services as checkins
from ..clinical import outcome_rule
from ..clinical import outcomes as engine
from ..extensions import db
from ..messages import hold
from ..patients.models import Patient
from ..permissions import can
from ..plans.models import TreatmentPlan
from ..reports import summary
from ..schedule import services as schedule
from ..schedule.models import Appointment
from ..templating import date_text
from ..timeutil import utcnow
from .models import KINDS, PatientPage, VisitRequest

NOTE_MAX = 500


def has_page(patient_id: int) -> bool:
    return bool(db.session.scalar(select(PatientPage.enabled).where(
        PatientPage.patient_id == patient_id)))


def set_page(patient: Patient, enabled: bool, user) -> PatientPage:
    page = db.session.get(PatientPage, patient.id)
    if page is None:
        page = PatientPage(patient_id=patient.id)
        db.session.add(page)
    page.enabled, page.changed_by_id = enabled, user.id if user else None
    return page


def panel(patient: Patient, user) -> dict | None:
    """The patient page's panel: the own page (switched by clinicians: it shows progress), the
    next check-in (clinicians), requests waiting for reception, and an address change awaiting
    a clinician before check-in links go to it (messages/hold.py)."""
    if not can(user, "patients.view"):
        return None
    clinical = can(user, "clinical.view")
    return {"enabled": has_page(patient.id), "can_change": can(user, "clinical.edit"),
            "requests": list(open_requests_by_appointment(patient.id).values())
            if can(user, "schedule.view") else [],
            "next_checkin": checkins.next_due(patient.id) if clinical else None,
            "contact": hold.to_confirm(patient.id), "can_confirm": clinical}


def upcoming(patient_id: int) -> list[schedule.CalendarEntry]:
    """The visits the patient's calendar file holds (schedule.calendar_entries), booked ones."""
    return [e for e in schedule.calendar_entries(patient_id) if not e.cancelled]


def open_requests_by_appointment(patient_id: int) -> dict[int, VisitRequest]:
    return {r.appointment_id: r for r in db.session.scalars(select(VisitRequest).where(
        VisitRequest.patient_id == patient_id, VisitRequest.status == "open"))}


class RequestProblem(ValueError):
    """Said beside the form: the visit is not the patient's, has passed, or the note is long."""


@dataclass(frozen=True)
class Requested:
    request: VisitRequest
    replaced: str | None  # the kind of the open request for the visit this one replaced

    @property
    def replaced_text(self) -> str:
        """Said to the patient when this request took the place of an earlier one."""
        if self.replaced is None:
            return ""
        earlier = EARLIER[self.replaced]
        if self.replaced == self.request.kind:
            return f"Your earlier request {earlier} is replaced by this one."
        now = NOW[self.request.kind]
        return f"Your earlier request {earlier} is replaced by this request {now}."


EARLIER = {"cancel": "to cancel this visit", "move": "to move this visit"}
NOW = {"cancel": "to cancel it", "move": "to move it"}


def request_change(patient_id: int, appointment_id: int, kind: str, note: str,
                   checkin_id: int | None) -> Requested:
    """A request to cancel or move one of the patient's booked visits, for reception. A second
    request for the same visit replaces the open one's kind and note, and says so (`replaced`)."""
    if kind not in KINDS:
        raise RequestProblem("Choose whether to cancel or move the visit.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise RequestProblem(f"Please keep the message under {NOTE_MAX} characters.")
    appt = db.session.get(Appointment, appointment_id)
    if (appt is None or appt.patient_id != patient_id or appt.status != "scheduled"
            or appt.start_utc <= clock.now()):
        raise RequestProblem("That visit can no longer be changed here; please call the "
                             "clinic.")
    found = open_requests_by_appointment(patient_id).get(appointment_id)
    replaced = found.kind if found is not None else None
    if found is None:
        found = VisitRequest(patient_id=patient_id, appointment=appt, checkin_id=checkin_id)
        db.session.add(found)
    found.kind, found.note = kind, note
    return Requested(found, replaced)


def open_counted():
    """The count of open requests, as a statement (read with the other badges, tracker/nav.py)."""
    return select(func.count()).select_from(VisitRequest).where(VisitRequest.status == "open")


def open_count() -> int:
    return db.session.scalar(open_counted()) or 0


def requests(status: str = "open", limit: int = 200) -> list[VisitRequest]:
    return list(db.session.scalars(select(VisitRequest).where(VisitRequest.status == status)
                                   .order_by(VisitRequest.created_at.desc()).limit(limit)))


def mark_done(item: VisitRequest, user) -> None:
    item.status, item.handled_at, item.handled_by_id = "done", utcnow(), user.id


# --- progress in plain words -------------------------------------------------------------------

@dataclass(frozen=True)
class Point:
    when: datetime
    value: float
    where: str  # "before treatment", "at your visit", "in your check-in"


@dataclass(frozen=True)
class Progress:
    """One measure of the patient's current course, told without codes."""
    what: str          # "Average pain over the past week"
    scale: str         # "0 is no pain, 10 the worst pain you can imagine"
    maximum: float
    points: list[Point]
    sentence: str      # "Pain on the day: 8 on 01 Dec (before treatment), then 4 on ..."


WHERE = {"intake": "before treatment", "manual": "before treatment",
         engine.CHECKIN: "in your check-in", "reevaluation": "at your visit",
         "session": "at your visit"}
NO_EARLIER = "We have no answer from before treatment to compare with."


def day_text(when: datetime) -> str:
    """A reading's day as the chart labels its dot: "04 Dec"."""
    return date_text(clock.local_date(when), year=False)


def _where(reading: engine.Reading, outcome: engine.Outcome) -> str:
    if reading is outcome.baseline and reading.source == "session":
        return "at your first visit, before treatment"
    return WHERE.get(reading.source, "at your visit")


def _sentence(what: str, outcome: engine.Outcome, shown: list[engine.Reading],
              unit: str) -> str:
    """What the chart shows, in words: the measure, the two answers compared (value, day and
    where), by how much they differ and what that means (outcome_rule.PLAIN_LABELS, the same
    rule and category as the clinician's letter). The course's baseline against its latest
    value (engine.outcome) where the course has a baseline; without one, the first answer the
    chart shows against the latest, by the same rule, said as such."""
    start, now = outcome.baseline, outcome.latest
    change = outcome.change
    if start is None and now is not None and shown and shown[0] is not now:
        start, change = shown[0], engine.compare(shown[0], now)
    if start is None or now is None or change is None:
        return "We need one more answer before we can show a change."
    told = (f"{what}: {engine.number_text(start.value)} on {day_text(start.taken_at)} "
            f"({_where(start, outcome)}), then {engine.number_text(now.value)} on "
            f"{day_text(now.taken_at)} ({_where(now, outcome)})")
    difference = round(abs(now.value - start.value), 1)
    if difference:
        amount = engine.number_text(difference)
        if unit == "days":
            told += f", {amount} day{'s' if difference != 1 else ''} " \
                    f"{'more' if now.value > start.value else 'fewer'}"
        else:
            told += f", {amount} point{'s' if difference != 1 else ''} " \
                    f"{'higher' if now.value > start.value else 'lower'}"
    meaning = outcome_rule.PLAIN_LABELS.get(change.category, "")
    told = f"{told}. {meaning}".strip()
    return f"{told} {NO_EARLIER}" if outcome.baseline is None else told


def progress(patient: Patient) -> list[Progress]:
    """The patient's active (else latest) course, measure by measure, by the same engine as
    the treatment summary (reports/summary.build), named and scaled as the registry tells a
    patient (Instrument.plain_name, plain_scale): no codes or abbreviations. Each chart shows
    the readings its sentence compares, oldest first."""
    plan = db.session.scalars(select(TreatmentPlan).where(
        TreatmentPlan.patient_id == patient.id, TreatmentPlan.status != "draft")
        .order_by((TreatmentPlan.status == "active").desc(), TreatmentPlan.start_on.desc())
        .limit(1)).first()
    if plan is None:
        return []
    built = summary.build(patient, plan)
    result = []
    for outcome in built.outcomes:
        found = outcome.registered
        if found is None or not found.plain or not found.plain_scale:
            continue
        rows = sorted((r for r in built.readings if (r.instrument, r.time_frame) ==
                       (outcome.instrument, outcome.time_frame)
                       and (r is outcome.baseline
                            or r.taken_at >= (outcome.baseline or r).taken_at)
                       and (r.source != "intake" or r is outcome.baseline)),
                      key=lambda r: r.taken_at)
        points = [Point(r.taken_at, r.value, _where(r, outcome)) for r in rows]
        # The registry's plain name reads after "Your" in a sentence; as a heading it stands
        # alone ("Days you took medicine...", never "Your days you took medicine...").
        what = found.plain_name[:1].upper() + found.plain_name[1:]
        result.append(Progress(what, found.plain_scale, found.maximum, points,
                               _sentence(what, outcome, rows, found.unit_text)))
    return result
