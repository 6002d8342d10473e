"""Week views, appointment pages and actions, closure days, working hours, card and .ics."""
from contextlib import suppress
from datetime import date, datetime, time, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import clock, panels, submissions
from ..accounts.models import User
from ..extensions import db
from ..forms import EmptyForm
from ..patients.models import Patient
from ..patients.services import practitioners
from ..permissions import can, own_diary_id, own_practitioner_id, require, treats_patients
from ..plans.models import WEEKDAYS
from ..security import attachment, public_host, query_int
from ..settings.services import get_settings
from ..templating import date_text, datetime_text
from . import calendar, recurrence, services
from . import week as weeks
from .forms import (
    ActionForm,
    AppointmentForm,
    ClosureForm,
    HoursForm,
    RescheduleForm,
)
from .models import Appointment, ClosureDay

bp = Blueprint("schedule", __name__, url_prefix="/schedule")


@bp.app_template_filter("local_dt")
def local_dt(value: datetime | None, fmt: str | None = None) -> str:
    """An appointment's time with its weekday in the clinic's date style (`fmt`: a time or a
    machine value)."""
    if not value:
        return ""
    return clock.local(value).strftime(fmt) if fmt else datetime_text(value, weekday=True)


@bp.app_template_filter("weekday_name")
def weekday_name(value: int) -> str:
    return WEEKDAYS[int(value)] if 0 <= int(value) < 7 else ""


@bp.app_context_processor
def schedule_helpers():
    # Helpers only: the dashboard's panels get their data from the view (tracker/panels.py).
    return {"session_label": services.session_label, "is_reeval": services.is_reeval,
            "one_week": timedelta(days=7), "one_day": timedelta(days=1)}


def parse_day(arg: str | None) -> date:
    """The day asked for in a link; today for anything unreadable or absurd."""
    today = clock.today()
    try:
        day = date.fromisoformat((arg or "")[:10])
    except ValueError:
        day = today
    if abs(day.year - today.year) > 50:  # keeps week arithmetic far from date.min / date.max
        day = today
    return day


def parse_time(arg: str | None) -> time | None:
    """A wall-clock 'HH:MM' from a link; None for anything else."""
    if not arg or len(arg) != 5:
        return None
    try:
        return time.fromisoformat(arg)
    except ValueError:
        return None


def _monday(arg: str | None) -> date:
    """The Monday of the week asked for; today's week for anything unreadable or absurd."""
    return weeks.week_start(parse_day(arg))


@bp.route("/")
@require("schedule.view")
def index():
    if own_diary_id(current_user) is not None:
        return redirect(url_for(".week", practitioner=current_user.id))
    return redirect(url_for(".clinic"))


@bp.route("/week")
@require("schedule.view")
def week():
    staff = practitioners()
    wanted = query_int("practitioner") or (
        own_practitioner_id(current_user))
    chosen = next((u for u in staff if u.id == wanted), staff[0] if staff else None)
    monday = _monday(request.args.get("start"))
    tz = clock.zone()
    cards = weeks.cards(monday, tz, chosen.id) if chosen else []
    hours = services.working_hours(chosen.id) if chosen else services.DEFAULT_HOURS
    closed = services.closures(monday, monday + timedelta(days=6))
    return render_template(
        "schedule/week.html", staff=staff, chosen=chosen, monday=monday,
        days=[monday + timedelta(days=i) for i in range(7)], tz=tz,
        rows=weeks.grid(cards, monday, hours, closed=closed), count=len(cards),
        closed=closed, today=clock.today())


@bp.route("/clinic")
@require("schedule.view")
def clinic():
    monday = _monday(request.args.get("start"))
    tz = clock.zone()
    cards = weeks.cards(monday, tz)
    staff = practitioners()
    closed = services.closures(monday, monday + timedelta(days=6))
    return render_template(
        "schedule/clinic.html", staff=staff, monday=monday, tz=tz,
        cells=weeks.by_practitioner(cards, monday, [u.id for u in staff], closed),
        days=[monday + timedelta(days=i) for i in range(7)], count=len(cards),
        closed=closed, today=clock.today())


# The page shows the patient, the plan and the practitioner: read with the appointment, in one
# statement built once.
_PAGE_READ = (select(Appointment).where(Appointment.id == bindparam("id"))
              .options(joinedload(Appointment.patient), joinedload(Appointment.plan),
                       joinedload(Appointment.practitioner)))


@bp.route("/appointments/<int:appointment_id>")
@require("schedule.view")
def appointment(appointment_id: int):
    appt = db.session.scalars(_PAGE_READ, {"id": appointment_id}).one_or_none()
    if appt is None:
        abort(404)
    return _appointment_page(appt, ActionForm())


def _appointment_page(appt: Appointment, form: ActionForm, code: int = 200):
    day = clock.local_date(appt.start_utc)
    return render_template(
        "schedule/appointment.html", a=appt, form=form, tz=clock.zone(),
        progress=services.progress(appt.plan) if appt.plan else None,
        reeval=services.is_reeval(appt), label=services.session_label(appt),
        on_the_day=day <= clock.today(),
        closed=services.closures(day, day).get(day),
        replaced_by=services.replacement(appt),
        panels=panels.for_appointment(appt, current_user)), code


@bp.route("/appointments/<int:appointment_id>/action", methods=["GET", "POST"])
@require("schedule.manage")
def action(appointment_id: int):
    appt = db.get_or_404(Appointment, appointment_id)
    if request.method == "GET":  # the address a refused action left in the bar: its page
        return redirect(url_for(".appointment", appointment_id=appt.id))
    form = ActionForm()
    if not form.validate_on_submit():
        return _appointment_page(appt, form, 400)
    problem = services.action_problem(appt, form.action.data, form.reason.data or "")
    if problem:
        form.action.errors = [problem]
        return _appointment_page(appt, form, 400)
    services.act(appt, form.action.data, form.reason.data or "")
    db.session.commit()
    flash(f"{services.ACTIONS[form.action.data]}: {appt.patient.full_name}, "
          f"{local_dt(appt.start_utc)}.", "success")
    return redirect(url_for(".appointment", appointment_id=appt.id))


def _slot_problem(form, practitioner_id: int, patient_id: int, exclude: set[int]):
    """Check the requested slot; explain a clash beside the time with the next free slot."""
    tz = clock.zone()
    start = recurrence.to_utc(form.day.data, form.start.data, tz)
    slot = services.check(practitioner_id, patient_id, [start], form.minutes.data, exclude)[0]
    if slot.ok or form.book_anyway.data:
        return start, None
    form.book_anyway.label.text = slot.override  # names what was found: clash, hours, closure
    offer = (f" Next free slot: {local_dt(slot.alternative)}." if slot.alternative
             else " No free slot in the next four weeks.")
    form.start.errors = [*form.start.errors, " ".join(slot.problems) + offer]
    return start, slot


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@require("schedule.manage")
def reschedule(appointment_id: int):
    appt = db.get_or_404(Appointment, appointment_id)
    if appt.status != "scheduled":
        flash("Only a scheduled appointment can be rescheduled.", "error")
        return redirect(url_for(".appointment", appointment_id=appt.id))
    form = RescheduleForm()
    slot = None
    if request.method == "GET":
        local = clock.local(appt.start_utc)
        form.day.data, form.start.data, form.minutes.data = local.date(), local.time(), \
            appt.minutes
        form.reason.data = appt.reason  # the visit's note goes with it unless changed here
    elif form.validate_on_submit():
        start, slot = _slot_problem(form, appt.practitioner_id, appt.patient_id, {appt.id})
        if slot is None and (done := submissions.claim()) is not None:
            return done  # sent twice: where the first one moved it
        if slot is None:
            submissions.lock_row(Appointment, appt.id)  # two tabs moving it take turns
            if appt.status != "scheduled":
                flash("This appointment was moved or changed by someone else meanwhile.",
                      "warning")
                return redirect(url_for(".appointment", appointment_id=appt.id))
            new = services.reschedule(appt, start, form.minutes.data,
                                      form.reason.data or "" if "reason" in request.form
                                      else None)  # no field sent: the note stays
            db.session.flush()
            if (done := submissions.commit(url_for(".appointment", appointment_id=new.id))
                    ) is not None:
                return done
            flash(f"Rescheduled to {local_dt(new.start_utc)}.", "success")
            return redirect(url_for(".appointment", appointment_id=new.id))
    return render_template("schedule/slot_form.html", form=form, a=appt, patient=appt.patient,
                           slot=slot, title="Reschedule appointment"
                           ), 400 if form.errors or slot else 200


@bp.route("/patients/<int:patient_id>/appointments/new", methods=["GET", "POST"])
@require("schedule.manage")
def new_appointment(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    plans = services.active_plans(patient.id)
    form = AppointmentForm()
    form.set_choices(practitioners(), plans)
    slot = None
    if request.method == "GET":
        form.practitioner_id.data = (patient.primary_practitioner_id
                                     or own_practitioner_id(current_user))
        form.day.data = clock.today() + timedelta(days=1)
        # A patient in a course: the visit is one of its sessions unless one-off is chosen.
        form.plan_id.data = plans[0].id if plans else 0
        _prefill(form)
    elif form.validate_on_submit():
        start, slot = _slot_problem(form, form.practitioner_id.data, patient.id, set())
        if slot is None and (done := submissions.claim()) is not None:
            return done  # sent twice: the appointment the first one booked
        if slot is None:
            plan = next((p for p in plans if p.id == form.plan_id.data), None)
            appt = services.book(patient.id, form.practitioner_id.data, start, form.minutes.data,
                                 plan, form.reason.data or "")
            db.session.flush()
            if (done := submissions.commit(url_for(".appointment", appointment_id=appt.id))
                    ) is not None:
                return done
            flash(f"Booked {local_dt(appt.start_utc)}.", "success")
            return redirect(url_for(".appointment", appointment_id=appt.id))
    return render_template("schedule/slot_form.html", form=form, a=None, patient=patient,
                           slot=slot, title="Book an appointment"
                           ), 400 if form.errors or slot else 200


def _prefill(form: AppointmentForm) -> None:
    """A free slot's link (day view) fills in the practitioner, date, time and length; a value
    that does not read is left as the form's default, and the booking is checked as ever."""
    wanted = query_int("practitioner")
    if any(choice.value == wanted for choice in form.practitioner_id.choices):
        form.practitioner_id.data = wanted
    with suppress(ValueError):  # unreadable: the form's own default stays
        form.day.data = date.fromisoformat(request.args.get("day", ""))
    form.start.data = parse_time(request.args.get("start")) or form.start.data
    form.minutes.data = query_int("minutes", form.minutes.data, minimum=10, maximum=240)


@bp.route("/patients/<int:patient_id>/card")
@require("schedule.view")
def card(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    return render_template("schedule/card.html", patient=patient, settings=get_settings(),
                           appts=services.upcoming_for_patient(patient.id, 30))


@bp.route("/patients/<int:patient_id>/appointments.ics")
@require("schedule.view")
def ics(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    body = calendar.ics(services.calendar_entries(patient.id), get_settings(), public_host())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": attachment("appointments.ics")})


@bp.route("/closures", methods=["GET", "POST"])
@require("settings.manage")
def closures():
    form = ClosureForm()
    if form.validate_on_submit():
        try:
            booked = services.close_day(form.day.data, form.reason.data or "")
            db.session.commit()
        except (services.AlreadyClosed, IntegrityError):  # also when closed at the same moment
            db.session.rollback()
            form.day.errors = ["That day is already marked closed."]
        else:
            flash(f"Closed on {date_text(form.day.data, weekday=True)}. New plans skip this day."
                  + (f" {len(booked)} appointments are already booked that day: move or "
                     f"cancel them." if booked else ""), "warning" if booked else "success")
            return redirect(url_for(".closures"))
    days = services.closure_days(clock.today() - timedelta(days=30))
    return render_template("schedule/closures.html", form=form, days=days,
                           delete_form=EmptyForm()), 400 if form.errors else 200


@bp.route("/closures/<int:closure_id>/delete", methods=["POST"])
@require("settings.manage")
def delete_closure(closure_id: int):
    row = db.get_or_404(ClosureDay, closure_id)
    if EmptyForm().validate_on_submit():
        services.reopen_day(row.id)
        db.session.commit()
        flash("Closure day removed.", "success")
    return redirect(url_for(".closures"))


@bp.route("/hours/<int:user_id>", methods=["GET", "POST"])
@require("schedule.view")
def hours(user_id: int):
    user = db.get_or_404(User, user_id)
    if not treats_patients(user) or not (user.id == current_user.id
                                        or can(current_user, "schedule.manage")):
        abort(403 if treats_patients(user) else 404)
    form = HoursForm()
    if request.method == "GET":
        current = services.working_hours(user.id)
        for i, entry in enumerate(form.days):
            spans = current.get(i, [])
            entry.starts.data, entry.ends.data = spans[0] if spans else (None, None)
    elif form.validate_on_submit():
        services.set_working_hours(user.id, {
            i: [(e.starts.data, e.ends.data)] for i, e in enumerate(form.days)
            if e.starts.data})
        db.session.commit()
        flash(f"Working hours saved for {user.display_name}.", "success")
        return redirect(url_for(".week", practitioner=user.id))
    return render_template("schedule/hours.html", form=form, user=user,
                           weekdays=WEEKDAYS), 400 if form.errors else 200


from . import day_views  # noqa: E402,F401  (the day view and agenda register on this blueprint)
