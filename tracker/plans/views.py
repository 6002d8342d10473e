"""Assessment and treatment-plan pages (clinical staff only)."""
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock, courses, submissions
from ..audit.trail import record
from ..clinical import acupoints, tcm
from ..extensions import db
from ..flags import services as flag_services
from ..forms import EmptyForm
from ..patients.models import Patient
from ..patients.services import practitioners
from ..permissions import own_practitioner_id, require
from ..reports import summary
from . import services
from .forms import AssessmentForm, PlanForm, StatusForm, confirm_form
from .models import MEASURES, STATUSES, Assessment, TreatmentPlan

bp = Blueprint("plans", __name__, url_prefix="/plans")


@bp.app_context_processor
def plan_helpers():
    # Vocabularies only: the patient page's plans panel comes from its view (tracker/panels.py).
    return {"tcm": tcm, "acupoints": acupoints, "MEASURES": MEASURES, "PLAN_STATUSES": STATUSES}


def _patient(patient_id: int) -> Patient:
    return db.get_or_404(Patient, patient_id)


# --- Assessments ----------------------------------------------------------------------------

def _assessment_page(form: AssessmentForm, patient: Patient, assessment: Assessment | None):
    if form.validate_on_submit():
        if assessment is None and (done := submissions.claim()) is not None:
            return done  # sent twice: the assessment the first one recorded
        assessment = services.save_assessment(assessment, patient.id, current_user.id, form.data)
        db.session.flush()
        if (done := submissions.commit(url_for(".assessment", assessment_id=assessment.id))
                ) is not None:
            return done
        flash("Assessment saved.", "success")
        return redirect(url_for(".assessment", assessment_id=assessment.id))
    return render_template("plans/assessment_form.html", form=form, patient=patient,
                           assessment=assessment), 400 if form.errors else 200


@bp.route("/patients/<int:patient_id>/assessments/new", methods=["GET", "POST"])
@require("clinical.edit")
def new_assessment(patient_id: int):
    form = AssessmentForm()
    if request.method == "GET":
        form.assessed_on.data = clock.today()
    return _assessment_page(form, _patient(patient_id), None)


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@require("clinical.edit")
def edit_assessment(assessment_id: int):
    assessment = db.get_or_404(Assessment, assessment_id)
    response = _assessment_page(AssessmentForm(obj=assessment), assessment.patient, assessment)
    if request.method == "GET":
        _audit_read("Assessment", assessment.id, assessment.patient_id, page="edit")
    return response


@bp.route("/assessments/<int:assessment_id>")
@require("clinical.view")
def assessment(assessment_id: int):
    item = db.get_or_404(Assessment, assessment_id)
    page = render_template("plans/assessment.html", a=item, patient=item.patient)
    _audit_read("Assessment", item.id, item.patient_id)
    return page


def _audit_read(entity: str, entity_id: int, patient_id: int, **changes) -> None:
    # Recorded once the page is drawn: a commit first would expire and reload what it shows.
    record("view", entity, entity_id, patient_id=patient_id, changes=changes or None)
    db.session.commit()


# --- Plans ----------------------------------------------------------------------------------

def _form_data(plan: TreatmentPlan) -> dict:
    data = {k: getattr(plan, k) for k in services.PLAN_FIELDS}
    data["practitioner_id"] = plan.practitioner_id
    data["assessment_id"] = plan.assessment_id or 0
    data["goals"] = [{"description": g.description, "measure": g.measure, "baseline": g.baseline,
                      "target": g.target, "target_on": g.target_on} for g in plan.goals]
    data["points"] = [{"point": p.code or p.location, "side": p.side} for p in plan.points]
    data["remedies"] = [{"kind": r.kind, "name": r.name, "dose": r.dose} for r in plan.remedies]
    return data


def _pad(form: PlanForm, extra: int = 0) -> None:
    """Blank rows to type into (no script needed): two goals, six points, one remedy spare."""
    for name, spare in (("goals", 2), ("points", 6), ("remedies", 1)):
        rows = getattr(form, name)
        filled = sum(1 for e in rows.entries if any(
            v for k, v in e.data.items() if k not in ("measure", "side", "kind")))
        while len(rows.entries) < min(rows.max_entries, filled + spare + extra):
            rows.append_entry()


def _plan_page(form: PlanForm, patient: Patient, plan: TreatmentPlan | None):
    form.set_choices(practitioners(), services.assessments_for(patient.id))
    if form.more_rows.data:
        _pad(form, extra=3)
        return render_template("plans/plan_form.html", form=form, patient=patient, plan=plan)
    if form.validate_on_submit():
        # Remedies against the patient's medicines and flags: confirmed, then stored.
        warnings = services.remedy_warnings(patient.id, form.plan_data().get("remedies", []),
                                            plan)
        pending = [w for w in warnings if w.rule not in request.form.getlist("confirm")]
        if pending:
            _pad(form)
            return render_template("plans/plan_form.html", form=form, patient=patient,
                                   plan=plan, pending=pending), 400
        if plan is None and (done := submissions.claim()) is not None:
            return done  # sent twice: the draft the first one made
        plan, changed = services.save_plan(plan, patient.id, form.practitioner_id.data,
                                           form.plan_data(), current_user.id)
        services.confirm_remedies(plan, warnings, current_user.id)
        db.session.flush()
        if (done := submissions.commit(url_for(".plan", plan_id=plan.id))) is not None:
            return done
        if plan.status == "active" and changed:
            flash("Plan saved. Its frequency or length changed: review and confirm the new "
                  "schedule (only future, unattended appointments change).", "info")
            return redirect(url_for(".schedule_plan", plan_id=plan.id))
        flash("Plan saved.", "success")
        return redirect(url_for(".plan", plan_id=plan.id))
    _pad(form)
    return render_template("plans/plan_form.html", form=form, patient=patient,
                           plan=plan), 400 if form.errors else 200


@bp.route("/patients/<int:patient_id>/new", methods=["GET", "POST"])
@require("clinical.edit")
def new_plan(patient_id: int):
    patient = _patient(patient_id)
    if request.method == "GET":
        data = services.prefill(patient.id, clock.today())
        data["practitioner_id"] = (own_practitioner_id(current_user)
                                   or patient.primary_practitioner_id)
        data["goals"] = services.baseline_goals(patient.id)
        form = PlanForm(data=data)
    else:
        form = PlanForm()
    return _plan_page(form, patient, None)


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@require("clinical.edit")
def edit_plan(plan_id: int):
    plan = db.get_or_404(TreatmentPlan, plan_id)
    if plan.status in ("completed", "discontinued"):
        flash("A completed or discontinued plan is kept as it was. Copy it to start a new one.",
              "info")
        return redirect(url_for(".plan", plan_id=plan.id))
    form = PlanForm(data=_form_data(plan)) if request.method == "GET" else PlanForm()
    response = _plan_page(form, plan.patient, plan)
    if request.method == "GET":
        _audit_read("TreatmentPlan", plan.id, plan.patient_id, page="edit")
    return response


@bp.route("/<int:plan_id>")
@require("clinical.view")
def plan(plan_id: int):
    item = services.for_page(plan_id) or abort(404)
    shown, at, version = services.shown(item), request.args.get("at", ""), None
    if at:
        try:
            day = datetime.strptime(at[:10], "%Y-%m-%d").date()  # noqa: DTZ007 (a date only)
            end_of_day = clock.day_bounds(day)[1]
        except (ValueError, OverflowError):
            flash("Give a date such as 2026-03-14.", "error")
            day, at = None, ""
        if day:
            version = services.version_at(item, end_of_day)
            shown = version.snapshot if version else None
    course = courses.course(item)
    confirmed, versions = services.history(item)
    # Goals start from the course's baseline (the outcome engine's, as the summary states it).
    goals = summary.with_starts(shown.get("goals") or [], summary.plan_goal_starts(item)) \
        if shown else []
    page = render_template(
        "plans/plan.html", plan=item, patient=item.patient, shown=shown, at=at, version=version,
        confirmed=confirmed, versions=versions, goals=goals,
        flags=flag_services.active_for(item.patient_id),
        appointments=course.appointments, progress=course.progress, off_time=course.off_time,
        status_form=StatusForm(), copy_form=EmptyForm(), tz=clock.zone())
    # A dated version is a read of what the plan said then: the audit names it.
    _audit_read("TreatmentPlan", item.id, item.patient_id,
                **({"version_at": at[:10], "version_id": version.id if version else None}
                   if at else {}))
    return page


@bp.route("/<int:plan_id>/schedule", methods=["GET", "POST"])
@require("clinical.edit")
def schedule_plan(plan_id: int):
    """Preview (GET) and confirm (POST) the appointments the plan's rule gives from now on."""
    item = db.get_or_404(TreatmentPlan, plan_id)
    try:
        proposal = courses.propose(item.id)
    except courses.NotBookable:
        abort(409)
    form = confirm_form(proposal.slots)
    if form.validate_on_submit():
        if (done := submissions.claim()) is not None:
            return done  # sent twice: the course the first one booked
        choices = {int(name.split("_")[1]): f.data for name, f in form._fields.items()
                   if name.startswith("choice_")}
        try:
            created = courses.book_course(item.id, current_user.id, choices, proposal)
        except courses.Changed:  # booked or changed by someone else since the preview
            db.session.rollback()
            flash("This plan's course was booked or changed by someone else while this "
                  "preview was open. Nothing was booked twice: check the course below.",
                  "warning")
            return redirect(url_for(".plan", plan_id=plan_id))
        if (done := submissions.commit(url_for(".plan", plan_id=item.id))) is not None:
            return done
        flash(f"Plan active: {len(created)} appointments booked.", "success")
        return redirect(url_for(".plan", plan_id=item.id))
    if form.errors and (done := submissions.replayed()) is not None:
        return done  # the twin booked while this one read the preview: the first result
    return render_template("plans/schedule_preview.html", plan=item, patient=item.patient,
                           flags=flag_services.active_for(item.patient_id),
                           slots=proposal.slots, replace=proposal.replace, form=form,
                           tz=clock.zone(), closed=proposal.closed()
                           ), 400 if form.errors else 200


@bp.route("/<int:plan_id>/status", methods=["POST"])
@require("clinical.edit")
def set_status(plan_id: int):
    item = db.get_or_404(TreatmentPlan, plan_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    change = courses.change_status(item.id, form.status.data, form.reason.data or "",
                                   current_user.id)
    if change.problem:
        flash(change.problem, "error")
        return redirect(url_for(".plan", plan_id=item.id) + "#status")
    if change.needs_booking:  # resuming: book the remaining sessions after review
        return redirect(url_for(".schedule_plan", plan_id=item.id))
    db.session.commit()
    flash(f"Plan {item.status_label.lower()}."
          + (f" {change.removed} future appointments removed from the diary."
             if change.removed else ""), "success")
    return redirect(url_for(".plan", plan_id=item.id))


@bp.route("/<int:plan_id>/copy", methods=["POST"])
@require("clinical.edit")
def copy(plan_id: int):
    source = db.get_or_404(TreatmentPlan, plan_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if (done := submissions.claim()) is not None:
        return done  # sent twice: the copy the first one made
    new = services.copy_plan(source, own_practitioner_id(current_user)
                             or source.practitioner_id, clock.today())
    db.session.flush()
    if (done := submissions.commit(url_for(".edit_plan", plan_id=new.id))) is not None:
        return done
    flash("A new draft copied from the previous plan. Check the dates and frequency.", "success")
    return redirect(url_for(".edit_plan", plan_id=new.id))


@bp.route("/points")
@require("clinical.view")
def points():
    q = request.args.get("q", "")[:60]
    return render_template("plans/points.html", q=q, results=acupoints.search(q, 60))

