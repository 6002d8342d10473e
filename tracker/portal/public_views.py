"""The patient's own page, reached from their check-in link (the same cookie, the same checks:
checkins/public_views.current) and only if the clinic switched it on for them. Upcoming visits
with the calendar file (schedule's one .ics), the next check-in, progress in plain words, and
a request to cancel or move a visit that waits for reception."""
from flask import Blueprint, Response, flash, redirect, render_template, url_for

from .. import clock
from ..audit.trail import record
from ..checkins import services as checkins
from ..checkins.models import Checkin
from ..checkins.public_views import LINK, current, unavailable
from ..extensions import db
from ..forms import choices
from ..reports import chart
from ..schedule import calendar
from ..schedule import services as schedule
from ..security import attachment, public_host
from ..settings.services import get_settings
from ..templating import datetime_text
from . import services
from .forms import CHOOSE, RequestForm

bp = Blueprint("portal_public", __name__, url_prefix="/me")
bp.after_request(LINK.renew)


def _link() -> Checkin | tuple:
    checkin = current()
    if not isinstance(checkin, Checkin):
        return checkin
    if not services.has_page(checkin.patient_id):
        return unavailable("no_page", 403)
    return checkin


def _page(checkin: Checkin, form: RequestForm):
    patient = checkin.patient
    upcoming = services.upcoming(patient.id)
    form.appointment.choices = _visit_choices(upcoming)
    progress = services.progress(patient)
    charts = [chart.progress_chart(
        [(services.day_text(p.when), p.value) for p in item.points],
        item.maximum, item.what, chart_id=f"progress-{i}") for i, item in enumerate(progress)]
    return render_template("portal/me.html", patient=patient, clinic=get_settings(),
                           upcoming=upcoming, requested=services.open_requests_by_appointment(
                               patient.id), next_checkin=checkins.next_due(patient.id),
                           progress=list(zip(progress, charts, strict=True)), form=form,
                           checkin=checkin, today=clock.today())


def _visit_label(appt) -> str:
    return datetime_text(appt.start_utc, weekday=True)


def _visit_choices(upcoming) -> list:
    """"Choose a visit" first, then the patient's booked visits."""
    return choices([CHOOSE, *((e.appointment.id, _visit_label(e.appointment))
                              for e in upcoming)])


@bp.route("")
def me():
    checkin = _link()
    if not isinstance(checkin, Checkin):
        return checkin
    page = _page(checkin, RequestForm())
    record("view", "PatientPage", checkin.patient_id, patient_id=checkin.patient_id)
    db.session.commit()
    return page


@bp.route("/appointments.ics")
def ics():
    checkin = _link()
    if not isinstance(checkin, Checkin):
        return checkin
    body = calendar.ics(schedule.calendar_entries(checkin.patient_id), get_settings(),
                        public_host())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": attachment("appointments.ics")})


@bp.route("/request", methods=["POST"])
def ask():
    checkin = _link()
    if not isinstance(checkin, Checkin):
        return checkin
    form = RequestForm()
    form.appointment.choices = _visit_choices(services.upcoming(checkin.patient_id))
    if not form.validate():
        return _page(checkin, form), 400
    try:
        done = services.request_change(checkin.patient_id, form.appointment.data,
                                       form.kind.data, form.note.data, checkin.id)
    except services.RequestProblem as problem:
        form.appointment.errors = [str(problem)]
        return _page(checkin, form), 400
    when = _visit_label(done.request.appointment)
    db.session.commit()
    flash(" ".join(filter(None, (f"Thank you: reception has your request for {when} and will "
                                 f"contact you to confirm.", done.replaced_text))), "success")
    return redirect(url_for(".me"))
