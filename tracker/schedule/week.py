"""The week grids (one practitioner, or the whole clinic) and the day list as light cards read
in two queries.

A clinic week holds hundreds of appointments; the grid shows a few columns of each, so it reads
those columns as plain rows, not ORM objects with their patient, plan and practitioner."""
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, select

from ..accounts.models import User
from ..extensions import db
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from . import recurrence
from .models import BOOKED, STATUSES, Appointment
from .services import DEFAULT_HOURS, label_for, reeval_at


@dataclass(slots=True)
class Card:
    id: int
    practitioner_id: int
    start: datetime  # clinic time
    minutes: int
    status: str
    who: str
    label: str  # "Session 4 of 10", or "" outside a plan
    reeval: bool
    practitioner: str
    checked_in: bool
    span: str = ""  # "09:00–09:45"

    def __post_init__(self):
        self.span = f"{self.start:%H:%M}–{self.start + timedelta(minutes=self.minutes):%H:%M}"

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# Every diary page reads these: built once, not per request.
_CARDS = (select(Appointment.id, Appointment.practitioner_id, Appointment.starts_at,
                 Appointment.minutes, Appointment.status, Appointment.number,
                 Appointment.patient_id, TreatmentPlan.id, TreatmentPlan.sessions_planned,
                 TreatmentPlan.reeval_every, User.display_name, Appointment.checked_in_at)
          .join(User, User.id == Appointment.practitioner_id)
          .outerjoin(TreatmentPlan, TreatmentPlan.id == Appointment.plan_id)
          .where(and_(Appointment.starts_at >= bindparam("start"),
                      Appointment.starts_at < bindparam("end")),
                 Appointment.status != "rescheduled")
          .order_by(Appointment.starts_at, Appointment.id))
_CARDS_OF = _CARDS.where(Appointment.practitioner_id == bindparam("practitioner_id"))
_NAMES = select(Patient.id, Patient.given_name, Patient.family_name).where(
    Patient.id.in_(bindparam("ids", expanding=True)))


def cards(first: date, tz: ZoneInfo, practitioner_id: int | None = None,
          days: int = 7) -> list[Card]:
    """Appointments from `first` 00:00 for `days` days, clinic time (a week, or today)."""
    params = {"start": recurrence.to_utc(first, time(0, 0), tz),
              "end": recurrence.to_utc(first + timedelta(days=days), time(0, 0), tz)}
    if practitioner_id:
        rows = db.session.execute(_CARDS_OF, {**params, "practitioner_id": practitioner_id}).all()
    else:
        rows = db.session.execute(_CARDS, params).all()
    # Names in a second query by id: joined, PostgreSQL hashes the whole register instead.
    names = {pid: f"{given} {family}" for pid, given, family in db.session.execute(
        _NAMES, {"ids": list({row[6] for row in rows})})} if rows else {}
    out = []
    for (id_, prac, starts_at, minutes, status, number, patient_id, plan_id, planned, every,
         prac_name, checked_in_at) in rows:
        in_plan = plan_id is not None
        out.append(Card(id_, prac, recurrence.local(starts_at, tz), minutes, status,
                        names.get(patient_id, ""), label_for(number, planned) if in_plan else "",
                        in_plan and reeval_at(number, every, status, planned), prac_name,
                        checked_in_at is not None))
    return out


@dataclass(slots=True)
class GridRow:
    at: time
    cells: list[list[Card]]
    busy: list[bool]  # an earlier appointment is still running in this slot
    # Each day's cards with the cell's classes, filled in last: the template prints a grid of
    # hundreds of cells, and a lookup there costs many times what it does here.
    slots: list[tuple[list[Card], str]] = field(default_factory=list)


def grid(week: list[Card], monday: date, hours: dict[int, list[tuple[time, time]]] | None = None,
         step: int = 30, closed: Collection[date] = ()) -> list[GridRow]:
    """Rows of `step` minutes covering working hours and every appointment of the week; the
    days in `closed` are marked in each row."""
    hours = hours or DEFAULT_HOURS
    first = min((s for spans in hours.values() for s, _ in spans), default=time(8, 0))
    last = max((e for spans in hours.values() for _, e in spans), default=time(18, 0))
    lo = min([first.hour * 60 + first.minute] + [c.start.hour * 60 + c.start.minute
                                                 for c in week])
    hi = max([last.hour * 60 + last.minute] + [
        min(24 * 60, c.start.hour * 60 + c.start.minute + c.minutes) for c in week])
    lo -= lo % step
    rows = [GridRow(time(m // 60, m % 60), [[] for _ in range(7)], [False] * 7)
            for m in range(lo, hi, step)]
    for card in week:
        day = (card.start.date() - monday).days
        if not 0 <= day < 7 or not rows:
            continue
        minute = card.start.hour * 60 + card.start.minute
        index = min(len(rows) - 1, max(0, (minute - lo) // step))
        rows[index].cells[day].append(card)
        if card.status in BOOKED:
            for later in rows[index + 1:]:
                if later.at.hour * 60 + later.at.minute < minute + card.minutes:
                    later.busy[day] = True
    shut = [" is-closed" if monday + timedelta(days=i) in closed else "" for i in range(7)]
    for row in rows:
        row.slots = [(cell, ("running" if busy else "") + shut_day)
                     for cell, busy, shut_day in zip(row.cells, row.busy, shut, strict=True)]
    return rows


def by_practitioner(week: list[Card], monday: date, practitioner_ids: list[int],
                    closed: Collection[date] = ()) -> dict[int, list[tuple[list[Card], str]]]:
    """The clinic-wide grid: for each practitioner, the seven days' cards, each day with its
    cell's classes (made here, not per cell in the template)."""
    shut = ["is-closed" if monday + timedelta(days=i) in closed else "" for i in range(7)]
    rows = {pid: [([], css) for css in shut] for pid in practitioner_ids}
    for card in week:
        day = (card.start.date() - monday).days
        if card.practitioner_id in rows and 0 <= day < 7:
            rows[card.practitioner_id][day][0].append(card)
    return rows
