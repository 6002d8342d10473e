"""Scheduling rules: plan appointments, clashes with the next free slot, regeneration, actions,
progress against the plan. Callers commit; nothing here needs a request."""
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.orm import joinedload

from ..clinical.outcomes import rate
from ..clock import (  # the clinic clock (tracker/clock.py)
    day_bounds,
    local,
    local_date,
    now,
    today,
    zone,
)
from ..extensions import db
from ..plans.models import TreatmentPlan
from ..timeutil import as_utc
from . import recurrence
from .models import BOOKED, CANCELLED, STATUSES, Appointment, ClosureDay, WorkingHours

# When a practitioner has not set working hours: weekdays 08:00-18:00.
DEFAULT_HOURS = {d: [(time(8, 0), time(18, 0))] for d in range(5)}
ACTIONS = {
    "check_in": "Checked in", "attended": "Attended", "cancelled_patient": "Cancelled by patient",
    "cancelled_clinic": "Cancelled by clinic", "late_cancel": "Late cancellation",
    "no_show": "No-show", "scheduled": "Back to scheduled",
}
ON_THE_DAY = {"check_in", "attended", "no_show"}  # only once the day has come


# Read on every diary page: built once, plain rows (no ORM objects for a few values).
_HOURS = select(WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends).where(
    WorkingHours.practitioner_id == bindparam("practitioner_id"))
_CLOSURES = select(ClosureDay.day, ClosureDay.reason).where(
    ClosureDay.day >= bindparam("start"), ClosureDay.day <= bindparam("end"))


def working_hours(practitioner_id: int) -> dict[int, list[tuple[time, time]]]:
    rows = db.session.execute(_HOURS, {"practitioner_id": practitioner_id}).all()
    if not rows:
        return DEFAULT_HOURS
    hours: dict[int, list[tuple[time, time]]] = {}
    for weekday, starts, ends in rows:
        hours.setdefault(weekday, []).append((starts, ends))
    return hours


def set_working_hours(practitioner_id: int, spans: dict[int, list[tuple[time, time]]]) -> None:
    db.session.execute(delete(WorkingHours).where(WorkingHours.practitioner_id == practitioner_id))
    for weekday, day_spans in spans.items():
        for starts, ends in day_spans:
            db.session.add(WorkingHours(practitioner_id=practitioner_id, weekday=weekday,
                                        starts=starts, ends=ends))


def closures(start: date, end: date) -> dict[date, str]:
    return dict(db.session.execute(_CLOSURES, {"start": start, "end": end}).all())


class AlreadyClosed(Exception):
    """That day is already marked closed."""


def close_day(day: date, reason: str) -> list[Appointment]:
    """Mark the clinic closed on a day: courses booked from now on skip it and a booking on it
    is flagged. Appointments already booked stay (a person moves or cancels them): returns the
    open ones, so the user is told."""
    if db.session.scalar(select(ClosureDay.id).where(ClosureDay.day == day)) is not None:
        raise AlreadyClosed(day)
    db.session.add(ClosureDay(day=day, reason=reason))
    db.session.flush()
    return [a for a in day_appointments(day) if a.is_open]


def reopen_day(closure_id: int) -> None:
    """Remove a closure day: bookings on it are allowed again."""
    row = db.session.get(ClosureDay, closure_id)
    if row is None:
        raise LookupError(f"no closure day {closure_id}")
    db.session.delete(row)
    db.session.flush()


def closure_days(since: date) -> list[ClosureDay]:
    return list(db.session.scalars(select(ClosureDay).where(ClosureDay.day >= since)
                                   .order_by(ClosureDay.day)))


def busy(practitioner_id: int, patient_id: int | None, start: datetime, end: datetime,
         exclude: set[int] = frozenset(), with_patients: bool = True) -> list[Appointment]:
    """Booked appointments of the practitioner (or the patient) touching [start, end); with
    their patients, whom a clash names (`with_patients`)."""
    who = Appointment.practitioner_id == practitioner_id
    if patient_id:
        who = or_(who, Appointment.patient_id == patient_id)
    stmt = (select(Appointment).options(*([joinedload(Appointment.patient)] if with_patients
                                          else []))
            .where(who, Appointment.status.in_(BOOKED),
                   Appointment.starts_at < end, Appointment.starts_at > start - timedelta(hours=8))
            .order_by(Appointment.starts_at))
    rows = db.session.execute(stmt).scalars().all()
    return [a for a in rows if a.id not in exclude and a.end_utc > start]


@dataclass
class Slot:
    """A proposed start with what stands in its way and the next free slot offered instead."""

    start: datetime
    minutes: int
    problems: list[str] = field(default_factory=list)
    alternative: datetime | None = None
    kinds: set[str] = field(default_factory=set)  # of OVERRIDES: what the problems are

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def override(self) -> str:
        """The words of the box that books it all the same, naming what was found."""
        found = [words for kind, words in OVERRIDES.items() if kind in self.kinds]
        if not found:
            return "Book anyway"
        listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
        return f"Book anyway, even though {listed}"


# What a slot's problem is, as the override names it, in the order it is listed.
OVERRIDES = {"clash": "it clashes", "closed": "the clinic is closed that day",
             "hours": "it is outside the practitioner's working hours"}


def check(practitioner_id: int, patient_id: int | None, starts: list[datetime], minutes: int,
          exclude: set[int] = frozenset()) -> list[Slot]:
    """Clashes and working-hours problems for each start, each offered the next free slot.
    Starts in the same batch count as busy for each other. Queries do not grow with the list."""
    if not starts:
        return []
    tz = zone()
    hours = working_hours(practitioner_id)
    window_end = max(starts) + timedelta(days=30)
    taken = busy(practitioner_id, patient_id, min(starts), window_end, exclude)
    spans = [(a.start_utc, a.end_utc, a) for a in taken]
    closed = closures(recurrence.local(min(starts), tz).date(), window_end.date())
    slots: list[Slot] = []
    booked: list[recurrence.Span] = []
    for start in starts:
        slot = Slot(start, minutes)
        span = (start, start + timedelta(minutes=minutes))
        for b_start, b_end, appt in spans:
            if recurrence.overlaps(span, (b_start, b_end)):
                who = ("the practitioner" if appt.practitioner_id == practitioner_id
                       else "the patient")
                slot.kinds.add("clash")
                slot.problems.append(
                    f"Clashes with {who}'s appointment with {appt.patient.full_name} at "
                    f"{recurrence.local(b_start, tz):%H:%M}.")
        if any(recurrence.overlaps(span, b) for b in booked):
            slot.kinds.add("clash")
            slot.problems.append("Clashes with another session in this booking.")
        if recurrence.local(start, tz).date() in closed:
            slot.kinds.add("closed")
            slot.problems.append(f"The clinic is closed that day "
                                 f"({closed[recurrence.local(start, tz).date()] or 'closure'}).")
        if not recurrence.within_hours(start, minutes, tz, hours):
            slot.kinds.add("hours")
            slot.problems.append("Outside the practitioner's working hours.")
        if slot.problems:
            slot.alternative = recurrence.next_free(
                start, minutes, tz, hours, [(s, e) for s, e, _ in spans] + booked, closed)
        booked.append((slot.alternative or start, (slot.alternative or start)
                       + timedelta(minutes=minutes)) if slot.problems else span)
        slots.append(slot)
    return slots


SLOT_STEP = 30  # minutes between the starts a day view offers (the week grid's rows)


def free_starts(practitioner_id: int, day: date, minutes: int, step: int = SLOT_STEP,
                after: datetime | None = None, *,
                hours: dict[int, list[tuple[time, time]]] | None = None,
                closed: dict[date, str] | None = None) -> list[datetime]:
    """The starts (UTC) on a clinic day, from `after` on, where a `minutes` appointment fits
    the practitioner's working hours, off closure days and clear of their booked appointments:
    the next-free-slot search a clashing booking is offered (recurrence.next_free) walked along
    the day, so a start shown free is one `check` accepts for the practitioner. A caller that
    has read the practitioner's `hours` and the day's `closed` already passes them."""
    tz = zone()
    begin, end = day_bounds(day, tz)
    hours = working_hours(practitioner_id) if hours is None else hours
    taken = [(a.start_utc, a.end_utc)
             for a in busy(practitioner_id, None, begin, end, with_patients=False)]
    closed = closures(day, day) if closed is None else closed
    found: list[datetime] = []
    cursor = max(begin, after) if after else begin
    while cursor < end:
        start = recurrence.next_free(cursor, minutes, tz, hours, taken, closed, step=step, days=0)
        if start is None or local_date(start, tz) != day:
            break
        found.append(start)
        cursor = start + timedelta(minutes=step)
    return found


# --- Plans and their appointments ---------------------------------------------------------

_PLAN_APPOINTMENTS = (select(Appointment).where(Appointment.plan_id == bindparam("plan_id"))
                      .order_by(Appointment.starts_at, Appointment.id))  # built once


def plan_appointments(plan_id: int) -> list[Appointment]:
    return list(db.session.scalars(_PLAN_APPOINTMENTS, {"plan_id": plan_id}))


def appointments_by_plan(plan_ids: list[int]) -> dict[int, list[Appointment]]:
    """Every appointment of these plans in one query, in time order, keyed by plan."""
    found: dict[int, list[Appointment]] = {plan_id: [] for plan_id in plan_ids}
    if plan_ids:
        for appt in db.session.scalars(select(Appointment).where(
                Appointment.plan_id.in_(plan_ids)).order_by(Appointment.starts_at,
                                                            Appointment.id)):
            found[appt.plan_id].append(appt)
    return found


def replaceable(appointments: list[Appointment], when: datetime) -> list[Appointment]:
    """The plan's appointments regeneration may replace: scheduled and not yet started."""
    return [a for a in appointments if a.status == "scheduled" and a.start_utc >= when]


def proposed_starts(plan: TreatmentPlan, when: datetime | None = None) -> tuple[list[datetime],
                                                                                list[Appointment]]:
    """The starts the plan's rule gives from now on, and the appointments they would replace.
    Held sessions (attended, or past and still scheduled) count towards the plan's length."""
    when = when or now()
    existing = plan_appointments(plan.id) if plan.id else []
    replace = replaceable(existing, when)
    held = sum(1 for a in existing if a.status in BOOKED and a not in replace)
    count = None
    if plan.sessions_planned:
        count = plan.sessions_planned - held
        if count <= 0:
            return [], replace
    tz = zone()
    first = max(plan.start_on, recurrence.local(when, tz).date())
    closed = closures(first, plan.end_on or first + timedelta(days=recurrence.MAX_OCCURRENCES * 7))
    starts = recurrence.occurrences(plan.start_on, plan.weekdays, plan.start_time, tz, count=count,
                                    until=plan.end_on, interval_weeks=plan.interval_weeks,
                                    closures=closed, not_before=when)
    return starts, replace


def preview(plan: TreatmentPlan, when: datetime | None = None) -> tuple[list[Slot],
                                                                       list[Appointment]]:
    starts, replace = proposed_starts(plan, when)
    slots = check(plan.practitioner_id, plan.patient_id, starts, plan.minutes,
                  exclude={a.id for a in replace})
    return slots, replace


def apply_schedule(plan: TreatmentPlan, slots: list[Slot], replace: list[Appointment],
                   choices: dict[int, str]) -> list[Appointment]:
    """Replace the plan's future unattended appointments with the proposed slots. A slot with a
    problem needs a choice: 'next' (the offered free slot), 'keep' (book anyway, knowingly) or
    'skip'. Past and attended appointments are never touched."""
    for appt in replace:
        db.session.delete(appt)
    db.session.flush()
    created = []
    for i, slot in enumerate(slots):
        start = slot.start
        if not slot.ok:
            choice = choices.get(i)
            if choice == "skip" or (choice == "next" and slot.alternative is None):
                continue
            if choice == "next":
                start = slot.alternative
            elif choice != "keep":
                raise ValueError(f"slot {i} needs a choice")
        appt = Appointment(patient_id=plan.patient_id, practitioner_id=plan.practitioner_id,
                           plan_id=plan.id, starts_at=start, minutes=plan.minutes,
                           status="scheduled")
        db.session.add(appt)
        created.append(appt)
    plan.schedule_pending = False
    db.session.flush()
    renumber(plan)
    return created


def renumber(plan: TreatmentPlan) -> None:
    """Booked sessions are numbered 1..n in time order; cancelled and no-shows have no number."""
    n = 0
    for appt in plan_appointments(plan.id):
        if appt.status in BOOKED:
            n += 1
            if appt.number != n:
                appt.number = n
        elif appt.number is not None:
            appt.number = None


def remove_future(plan: TreatmentPlan) -> int:
    """On hold, completed or discontinued: future unattended sessions are taken off the diary."""
    future = replaceable(plan_appointments(plan.id), now())
    from ..messages import notify  # messages build on the schedule's calendar
    notify.visits_withdrawn(plan, future)  # before they go: their calendar events are cancelled
    for appt in future:
        db.session.delete(appt)
    db.session.flush()
    renumber(plan)
    return len(future)


# A course's appointments that reached their date, in the clinic's words: the one declaration
# the plan page, the treatment summary (both versions), the patient page and the dashboard
# count and name them by. Cancellations with notice (by the patient or the clinic) are told
# apart from late ones: a late cancellation, like a no-show, is a visit the patient missed.
# (key, statuses, one, several); the words are the appointment statuses' own (models.STATUSES).
ATTENDANCE_CATEGORIES = (
    ("attended", ("attended",), "attended", "attended"),
    ("cancelled", tuple(s for s in CANCELLED if s != "late_cancel"), "cancelled with notice",
     "cancelled with notice"),
    ("late_cancel", ("late_cancel",), STATUSES["late_cancel"].lower(),
     STATUSES["late_cancel"].lower() + "s"),
    ("no_show", ("no_show",), STATUSES["no_show"].lower(), STATUSES["no_show"].lower() + "s"),
)
# The appointments the rate counts (its denominator): all but cancellations with notice.
COUNTED = tuple(s for key, statuses, _, _ in ATTENDANCE_CATEGORIES if key != "cancelled"
                for s in statuses)
# The attendance rate, as every page that shows one says it.
ATTENDANCE_RULE = ("attended ÷ (attended + no-shows + late cancellations); cancellations with "
                   "notice are not counted")


@dataclass(frozen=True)
class Attendance:
    """Appointments counted by ATTENDANCE_CATEGORIES, and the one attendance rule."""
    attended: int = 0
    cancelled: int = 0      # with notice, by the patient or the clinic
    late_cancel: int = 0
    no_show: int = 0

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> "Attendance":
        """From appointment status -> how many."""
        return cls(**{key: sum(int(counts.get(s) or 0) for s in statuses)
                      for key, statuses, _, _ in ATTENDANCE_CATEGORIES})

    @property
    def counted(self) -> int:
        """The rate's denominator: attended, missed without notice or cancelled late."""
        return self.attended + self.no_show + self.late_cancel

    @property
    def rate(self) -> float | None:
        return rate(self.attended, self.counted)

    @property
    def no_show_rate(self) -> float | None:
        return rate(self.no_show, self.counted)

    rule = ATTENDANCE_RULE

    def items(self) -> list[tuple[int, str]]:
        """(how many, words) for every category, zeros too: "1 late cancellation"."""
        out = []
        for key, _, one, several in ATTENDANCE_CATEGORIES:
            n = getattr(self, key)
            out.append((n, one if n == 1 else several))
        return out

    @property
    def missed(self) -> list[str]:
        """The categories other than attended that happened: ["1 late cancellation", ...]."""
        return [f"{n} {words}" for n, words in self.items()[1:] if n]


@dataclass
class Progress:
    planned: int
    booked: int
    attended: int
    upcoming: int
    cancelled: int  # every cancellation, with notice or late (the appointment page's "so far")
    no_show: int
    next_appointment: Appointment | None
    next_reeval: Appointment | None
    ending_soon: bool
    attendance: Attendance = field(default_factory=Attendance)

    @property
    def to_book(self) -> int:
        return max(0, self.planned - self.booked)


def progress(plan: TreatmentPlan, appointments: list[Appointment] | None = None) -> Progress:
    appts = plan_appointments(plan.id) if appointments is None else appointments
    when = now()
    counts = Counter(a.status for a in appts)
    upcoming = [a for a in appts if a.status == "scheduled" and a.end_utc > when]
    booked = counts["scheduled"] + counts["attended"]
    reevals = [a for a in upcoming if is_reeval(a, plan)]
    ending = plan.status == "active" and (
        (plan.sessions_planned is not None and len(upcoming) <= 2)
        or (plan.end_on is not None and plan.end_on <= today() + timedelta(days=14)))
    return Progress(planned=plan.sessions_planned or booked, booked=booked,
                    attended=counts["attended"], upcoming=len(upcoming),
                    cancelled=sum(counts[s] for s in CANCELLED), no_show=counts["no_show"],
                    next_appointment=upcoming[0] if upcoming else None,
                    next_reeval=reevals[0] if reevals else None, ending_soon=ending,
                    attendance=Attendance.of(counts))


def reeval_at(number: int | None, every: int | None, status: str,
              planned: int | None = None) -> bool:
    """A booked plan session whose number falls on the plan's re-evaluation rhythm, or the
    course's last planned session (the discharge visit collects the outcome set too)."""
    return bool(number and status in BOOKED and (
        (every and number % every == 0) or (planned and number == planned)))


def label_for(number: int | None, planned: int | None) -> str:
    """'Session 4 of 10' (or 'Session 4' for a plan with an end date)."""
    if not number:
        return ""
    return f"Session {number} of {planned}" if planned else f"Session {number}"


def is_reeval(appt: Appointment, plan: TreatmentPlan | None = None) -> bool:
    plan = plan or appt.plan
    return bool(plan) and reeval_at(appt.number, plan.reeval_every, appt.status,
                                    plan.sessions_planned)


def session_label(appt: Appointment) -> str:
    return label_for(appt.number, appt.plan.sessions_planned) if appt.plan else ""


# --- Single appointments --------------------------------------------------------------------

def book(patient_id: int, practitioner_id: int, start: datetime, minutes: int,
         plan: TreatmentPlan | None = None, reason: str = "",
         rescheduled_from: Appointment | None = None) -> Appointment:
    appt = Appointment(patient_id=patient_id, practitioner_id=practitioner_id,
                       plan_id=plan.id if plan else None, starts_at=start, minutes=minutes,
                       reason=reason, status="scheduled",
                       rescheduled_from_id=rescheduled_from.id if rescheduled_from else None)
    db.session.add(appt)
    db.session.flush()
    if plan:
        renumber(plan)
    if rescheduled_from is None:
        _tell_patient(appt, "booked")
    return appt


def _tell_patient(appt: Appointment, kind: str) -> None:
    """Queue the patient's confirmation in this transaction (messages/outbox.py)."""
    from ..messages import notify  # messages build on the schedule's calendar
    notify.appointment_changed(appt, kind)


def active_plans(patient_id: int) -> list[TreatmentPlan]:
    """The plans an appointment booked by hand may belong to, the most recent first (the
    booking form's default: a visit for a patient in a course is one of its sessions, numbered
    by `renumber` as `book` adds it)."""
    return list(db.session.scalars(select(TreatmentPlan).where(
        TreatmentPlan.patient_id == patient_id, TreatmentPlan.status == "active")
        .order_by(TreatmentPlan.start_on.desc(), TreatmentPlan.id.desc())))


def replacement(appt: Appointment) -> Appointment | None:
    """The appointment that took a rescheduled one's place."""
    if appt.status != "rescheduled":  # reschedule() marks the row it replaces: no query
        return None
    return db.session.scalars(select(Appointment).where(
        Appointment.rescheduled_from_id == appt.id)).one_or_none()


def reschedule(appt: Appointment, start: datetime, minutes: int,
               reason: str | None = None) -> Appointment:
    """The old row stays as 'rescheduled' (history); a new row takes its place and number, and
    its note: the visit's reason goes with it unless a `reason` is given ('' clears it)."""
    note = appt.reason if reason is None else reason.strip()
    appt.status = "rescheduled"
    appt.reason = note or appt.reason
    db.session.flush()
    new = book(appt.patient_id, appt.practitioner_id, start, minutes, appt.plan,
               reason=note, rescheduled_from=appt)
    _tell_patient(new, "moved")
    return new


def action_problem(appt: Appointment, action: str, reason: str) -> str:
    """Why this action cannot be taken now, or '' when it can."""
    if action not in ACTIONS:
        return "Choose one of the actions offered."
    if appt.status == "rescheduled":
        return "This appointment was rescheduled; act on the new one."
    if action in ON_THE_DAY and local_date(appt.start_utc) > today():
        return f"{ACTIONS[action]} can only be recorded on or after the day of the appointment."
    if action == "scheduled" and appt.status == "scheduled":
        return "The appointment is already scheduled."
    if action == "scheduled" and appt.status in CANCELLED:
        # Its time may have been given away since: restoring must not double-book silently.
        taken = busy(appt.practitioner_id, appt.patient_id, appt.start_utc, appt.end_utc,
                     {appt.id})
        if taken:
            return (f"That time is now taken ({taken[0].patient.full_name}). Book a new "
                    f"appointment instead.")
    return ""


def act(appt: Appointment, action: str, reason: str = "") -> None:
    """Check in, attended, cancel, late cancel, no-show, or back to scheduled. No-show is only
    ever set here, by a person. A reason is optional (the action says who cancelled): one given
    replaces the visit's note, none leaves the note as it was."""
    restored = action == "scheduled" and appt.status in CANCELLED
    if action == "check_in":
        appt.checked_in_at = now()
    else:
        appt.status = action
        if reason.strip():
            appt.reason = reason.strip()
        if action == "scheduled":
            appt.checked_in_at = None
            appt.restores = (appt.restores or 0) + int(restored)
    db.session.flush()
    if appt.plan:
        renumber(appt.plan)
    if action in CANCELLED:
        _tell_patient(appt, "cancelled")
    elif restored:  # back on the patient's calendar: confirmed again (and reminded again)
        _tell_patient(appt, "booked")


# --- A day's appointments (the week grids and today's list are in week.py) ------------------

def _between(first: date, after: date, practitioner_id: int | None) -> list[Appointment]:
    """Appointments from the start of `first` to the start of `after`, clinic time."""
    tz = zone()
    start = recurrence.to_utc(first, time(0, 0), tz)
    end = recurrence.to_utc(after, time(0, 0), tz)
    stmt = (select(Appointment)
            .options(joinedload(Appointment.patient), joinedload(Appointment.plan),
                     joinedload(Appointment.practitioner))
            .where(and_(Appointment.starts_at >= start, Appointment.starts_at < end),
                   Appointment.status != "rescheduled")
            .order_by(Appointment.starts_at, Appointment.id))
    if practitioner_id:
        stmt = stmt.where(Appointment.practitioner_id == practitioner_id)
    return list(db.session.execute(stmt).unique().scalars())


def day_appointments(day: date, practitioner_id: int | None = None) -> list[Appointment]:
    return _between(day, day + timedelta(days=1), practitioner_id)


def upcoming_for_patient(patient_id: int, limit: int = 20) -> list[Appointment]:
    return list(db.session.execute(
        select(Appointment).options(joinedload(Appointment.practitioner),
                                    joinedload(Appointment.plan))
        .where(Appointment.patient_id == patient_id, Appointment.status == "scheduled",
               Appointment.starts_at >= now() - timedelta(hours=1))
        .order_by(Appointment.starts_at).limit(limit)).scalars())


@dataclass(frozen=True)
class CalendarEntry:
    """One event of the patient's calendar file: a visit keeps the UID of the first booking in
    its chain of moves, and each move or cancellation raises SEQUENCE, so a phone calendar that
    imported an earlier file updates or cancels the event instead of keeping the old time."""
    appointment: Appointment
    uid_id: int
    sequence: int
    cancelled: bool


def calendar_entries(patient_id: int, limit: int = 100) -> list[CalendarEntry]:
    every = {a.id: a for a in db.session.scalars(
        select(Appointment).options(joinedload(Appointment.practitioner))
        .where(Appointment.patient_id == patient_id))}
    moved_on = {a.rescheduled_from_id for a in every.values() if a.rescheduled_from_id}
    entries = []
    for appt in sorted(every.values(), key=lambda a: as_utc(a.starts_at)):  # new rows: aware
        latest = appt.id not in moved_on  # the end of its chain of moves
        upcoming = as_utc(appt.starts_at) >= now() - timedelta(hours=1)
        if not latest or not upcoming or appt.status not in ("scheduled", *CANCELLED):
            continue
        root, depth = appt, 0
        while root.rescheduled_from_id in every and depth < 50:
            root, depth = every[root.rescheduled_from_id], depth + 1
        cancelled = appt.status != "scheduled"
        # Each restore lifts it past the cancellation before it (cancel, restore, cancel ...).
        entries.append(CalendarEntry(appt, root.id, depth + 2 * (appt.restores or 0)
                                     + int(cancelled), cancelled))
    return entries[:limit]


def reevals_due(practitioner_id: int | None, days: int = 7) -> list[Appointment]:
    """Booked plan sessions in the coming days that fall on a re-evaluation."""
    start = now() - timedelta(hours=12)
    stmt = (select(Appointment).join(TreatmentPlan, Appointment.plan_id == TreatmentPlan.id)
            .options(joinedload(Appointment.patient), joinedload(Appointment.plan))
            .where(Appointment.status == "scheduled", Appointment.starts_at >= start,
                   Appointment.starts_at < start + timedelta(days=days),
                   Appointment.number.is_not(None), TreatmentPlan.reeval_every > 0,
                   Appointment.number % TreatmentPlan.reeval_every == 0)
            .order_by(Appointment.starts_at).limit(30))
    if practitioner_id:
        stmt = stmt.where(Appointment.practitioner_id == practitioner_id)
    return list(db.session.execute(stmt).scalars())


def time_zone_moves(before: str, after: str) -> str:
    """What a change of the clinic's time zone does to the diary, said once as it is saved:
    appointments are stored as moments, so each booked one now shows at another clock time."""
    if before == after:
        return ""
    count, first = db.session.execute(select(func.count(), func.min(Appointment.starts_at)).where(
        Appointment.status == "scheduled", Appointment.starts_at >= now())).one()
    if not count:
        return ""
    was, shown = local(first, ZoneInfo(before)), local(first, ZoneInfo(after))
    return (f"The time zone is now {after}. Booked appointments ({count}) keep their moment in "
            f"time, so the clock times shown change: the next one, {was:%d %b %H:%M} in "
            f"{before}, now shows as {shown:%d %b %H:%M}. If they were booked for clock times "
            f"in the new zone, move them in the schedule.")
