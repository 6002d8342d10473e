"""A plan's weekly check-in, for staff: what it asks and on which day, the answers so far, and
a link to show or send by hand. Parse, call, redirect."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import clock
from ..audit.trail import record
from ..extensions import db
from ..forms import EmptyForm
from ..permissions import require
from ..plans.models import TreatmentPlan
from ..security import public_url
from . import services
from .forms import ScheduleForm

bp = Blueprint("checkins", __name__, url_prefix="/plans", cli_group="checkins")


def _page(plan: TreatmentPlan, form: ScheduleForm, link: str | None = None):
    return render_template("checkins/plan.html", plan=plan, patient=plan.patient, form=form,
                           schedule=services.schedule_of(plan.id), link=link,
                           history=services.history(plan.id), link_form=EmptyForm(),
                           weekdays=services.WEEKDAYS)


def _saved_form(plan: TreatmentPlan) -> ScheduleForm:
    """The settings as saved (else the defaults: today's weekday, every measure), never the
    posted data of another form on the page."""
    schedule = services.schedule_of(plan.id)
    return ScheduleForm(formdata=None, data={
        "weekday": schedule.weekday, "measures": schedule.measures, "active": schedule.active}
        if schedule else {"weekday": clock.today().weekday(),
                          "measures": services.default_measures(), "active": True})


@bp.route("/<int:plan_id>/checkin")
@require("clinical.view")
def page(plan_id: int):
    plan = db.get_or_404(TreatmentPlan, plan_id)
    response = _page(plan, _saved_form(plan))
    # The page shows the patient's answers: the read is in the audit trail.
    record("view", "TreatmentPlan", plan.id, patient_id=plan.patient_id,
           changes={"page": "checkin"})
    db.session.commit()
    return response


@bp.route("/<int:plan_id>/checkin", methods=["POST"])
@require("clinical.edit")
def save(plan_id: int):
    plan = db.get_or_404(TreatmentPlan, plan_id)
    form = ScheduleForm()
    if not form.validate():
        return _page(plan, form), 400
    services.set_schedule(plan, form.weekday.data, form.measures.data, form.active.data,
                          current_user)
    db.session.commit()
    flash(f"Weekly check-in {'on' if form.active.data else 'stopped'}: "
          f"{services.WEEKDAYS[form.weekday.data]}s.", "success")
    return redirect(url_for(".page", plan_id=plan.id))


@bp.route("/<int:plan_id>/checkin/link", methods=["POST"])
@require("clinical.edit")
def link(plan_id: int):
    """This week's link, shown once (the database keeps only its hash)."""
    plan = db.get_or_404(TreatmentPlan, plan_id)
    if not EmptyForm().validate():
        return redirect(url_for(".page", plan_id=plan.id))
    _, token = services.issue_link(plan, current_user)
    db.session.commit()
    return _page(plan, _saved_form(plan), link=public_url("checkin_public.start", token=token))


@bp.cli.command("queue")
def queue_command():
    """Open this week's check-ins that are due and queue their messages."""
    made = services.checkins_due(db.session, clock.now())
    db.session.commit()
    print(f"{len(made)} check-in{'s' if len(made) != 1 else ''} queued.")
