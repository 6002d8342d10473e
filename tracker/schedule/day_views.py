"""The day view and the agenda (lists that fit a phone), and booking from a free slot.

The week grids stay in views.py; these pages read the same cards (week.py) and offer the starts
services.free_starts finds, each a link to the booking form with the slot filled in."""
from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import abort, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..patients import services as patients
from ..patients.models import Patient
from ..permissions import can, own_diary_id, own_practitioner_id, require
from ..security import query_int
from . import services
from . import week as weeks
from .forms import DEFAULT_MINUTES
from .views import bp, parse_day, parse_time

AGENDA_DAYS = 14
CHOOSE_LIMIT = 20  # patients listed when choosing who a free slot is for


def _minutes() -> int:
    return query_int("minutes", DEFAULT_MINUTES, minimum=10, maximum=240)


def _chosen(staff, wanted: int | None):
    return next((u for u in staff if u.id == wanted), staff[0] if staff else None)


@bp.route("/day")
@require("schedule.view")
def day():
    staff = patients.practitioners()
    chosen = _chosen(staff, query_int("practitioner") or own_practitioner_id(current_user))
    shown = parse_day(request.args.get("day"))
    minutes = _minutes()
    patient_id = query_int("patient")
    patient = db.get_or_404(Patient, patient_id) if patient_id else None
    tz = clock.zone()
    cards = weeks.cards(shown, tz, chosen.id, days=1) if chosen else []
    hours = services.working_hours(chosen.id) if chosen else {}
    closed = services.closures(shown, shown)
    free = []
    if chosen and can(current_user, "schedule.manage"):
        free = [clock.local(s, tz) for s in services.free_starts(
            chosen.id, shown, minutes, after=clock.now(), hours=hours, closed=closed)]
    # One list in time order: an appointment before a free start at the same minute.
    entries = sorted([(c.start.time(), 0, "appt", c) for c in cards]
                     + [(s.time(), 1, "free", s) for s in free], key=lambda e: e[:2])
    return render_template(
        "schedule/day.html", staff=staff, chosen=chosen, day=shown, tz=tz, minutes=minutes,
        entries=[(kind, item) for _, _, kind, item in entries], count=len(cards),
        free_count=len(free), patient=patient, closed=closed,
        spans=hours.get(shown.weekday(), []), today=clock.today(),
        book_url=_book_urls(chosen, minutes, patient) if chosen else None)


def _book_urls(practitioner, minutes: int, patient: Patient | None) -> Callable[[datetime], str]:
    """Each free start's booking link: built once with stand-ins for the day and the time, which
    each start fills in (a day offers a dozen starts; url_for each time cost more)."""
    slot = {"practitioner": practitioner.id, "day": "DAY", "start": "HH:MM", "minutes": minutes}
    if patient is not None:
        url = url_for(".new_appointment", patient_id=patient.id, **slot)
    else:
        url = url_for(".book_slot", **slot)
    head, rest = url.split("day=DAY", 1)
    middle, tail = rest.split("start=HH:MM", 1)
    return lambda start: f"{head}day={start.date().isoformat()}{middle}start={start:%H:%M}{tail}"


@bp.route("/agenda")
@require("schedule.view")
def agenda():
    staff = patients.practitioners()
    wanted = query_int("practitioner", minimum=0)  # 0: everyone
    if wanted is None:
        wanted = own_diary_id(current_user) or 0
    chosen = next((u for u in staff if u.id == wanted), None)
    first = parse_day(request.args.get("start"))
    tz = clock.zone()
    cards = weeks.cards(first, tz, chosen.id if chosen else None, days=AGENDA_DAYS)
    days: dict[date, list[weeks.Card]] = {}
    for card in cards:
        days.setdefault(card.start.date(), []).append(card)
    last = first + timedelta(days=AGENDA_DAYS - 1)
    return render_template(
        "schedule/agenda.html", staff=staff, chosen=chosen, first=first, last=last, tz=tz,
        days=days, count=len(cards), closed=services.closures(first, last),
        span=timedelta(days=AGENDA_DAYS), today=clock.today())


@bp.route("/book")
@require("schedule.manage")
def book_slot():
    """A free slot chosen on the day view: find the patient, then the booking form, filled in."""
    staff = patients.practitioners()
    practitioner = next((u for u in staff if u.id == query_int("practitioner")), None)
    shown = parse_day(request.args.get("day"))
    start = parse_time(request.args.get("start"))
    if practitioner is None or start is None:
        abort(404)
    minutes = _minutes()
    q = request.args.get("q", "")[:100]
    found = list(db.session.scalars(patients.search_query(q).limit(CHOOSE_LIMIT))) if q.strip() \
        else []
    return render_template("schedule/book_slot.html", practitioner=practitioner, day=shown,
                           start=start, minutes=minutes, q=q, found=found,
                           limit=CHOOSE_LIMIT)
