"""Treatment summaries (page and PDF) and the clinic outcomes dashboard: parse, call, render."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select, true

from .. import clock, submissions
from ..audit.trail import record
from ..clinical import outcome_rule
from ..clinical import outcomes as engine
from ..extensions import db
from ..patients.models import Patient
from ..permissions import require
from ..plans.models import TreatmentPlan
from ..security import attachment
from ..settings import logo
from ..settings.models import ClinicLogo
from ..settings.services import get_settings
from . import chart, dashboard, pdf, services, summary
from .forms import MAX_ID, BaselineForm, DashboardForm, OtherScoreForm, SummaryForm

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _patient(patient_id: int) -> Patient:
    if patient_id > MAX_ID:
        abort(404)
    return db.get_or_404(Patient, patient_id)


# A letter's patient with the clinic's logo for its letterhead, in one statement (the logo
# table holds one row at most).
_PATIENT_AND_LOGO = select(Patient, ClinicLogo).outerjoin(ClinicLogo, true()).where(
    Patient.id == bindparam("patient_id")).limit(1)


def _letter_patient(patient_id: int) -> Patient:
    if patient_id > MAX_ID:
        abort(404)
    found = db.session.execute(_PATIENT_AND_LOGO, {"patient_id": patient_id}).first()
    if found is None:
        abort(404)
    logo.remember(found[1])
    return found[0]


def _summary_for(patient_id: int) -> summary.Summary:
    patient = _letter_patient(patient_id)
    form = SummaryForm(request.args)
    if not form.validate():
        abort(400)
    plan = db.get_or_404(TreatmentPlan, form.plan.data, options=summary.PLAN_SHOWN) \
        if form.plan.data else None
    try:
        return summary.build(patient, plan, form.start.data, form.end.data, form.version.data,
                             current_user)
    except summary.ScopeError:
        abort(404)


def _audit(action: str, s: summary.Summary) -> None:
    """Recorded once the letter is drawn (every caller's last step): nothing reads its rows
    again, so the commit leaves them as they are rather than expiring each one."""
    record(action, "Patient", s.patient.id, s.patient.id,
           {"plan_id": s.plan.id if s.plan else None, "from": s.start.isoformat(),
            "to": s.end.isoformat(), "version": s.version})
    session = db.session()
    session.expire_on_commit = False
    try:
        db.session.commit()
    finally:
        session.expire_on_commit = True


@bp.route("/patients/<int:patient_id>/summary")
@require("summary.print")
def summary_page(patient_id: int):
    s = _summary_for(patient_id)
    query = {k: v for k, v in request.args.items() if k in SummaryForm.FIELDS}
    other = "patient" if s.version == "clinical" else "clinical"
    page = render_template("reports/summary.html", s=s, chart=_chart(s), query=query,
                           other_query=query | {"version": other})
    # The page exists to be printed; opening it is the print event we can see (recorded once
    # drawn: a commit first would expire and reload everything it shows).
    _audit("summary_print", s)
    return page


@bp.route("/patients/<int:patient_id>/summary.pdf")
@require("summary.print")
def summary_pdf(patient_id: int):
    s = _summary_for(patient_id)
    body = pdf.render(render_template("reports/summary_pdf.html", s=s,
                                      chart=_chart(s, compact=True), pdf=True))
    _audit("summary_pdf_download", s)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(s.filename)})


def _referral_for(patient_id: int) -> tuple[summary.Summary, summary.Referral]:
    """The referral letter of a signed re-evaluation that decided to refer (?session=id), with
    the treatment summary of its plan up to that visit."""
    patient = _letter_patient(patient_id)
    session_id = request.args.get("session", type=int)
    found = summary.referral(patient, session_id) if session_id and session_id <= MAX_ID \
        else None
    if found is None:
        abort(404)
    plan = found.record.plan
    s = summary.build(patient, plan, practitioner=current_user)
    return s, found


@bp.route("/patients/<int:patient_id>/referral")
@require("summary.print")
def referral_page(patient_id: int):
    s, letter = _referral_for(patient_id)
    page = render_template("reports/referral.html", s=s, letter=letter, chart=_chart(s),
                           query={"session": letter.record.id})
    _audit("referral_print", s)
    return page


@bp.route("/patients/<int:patient_id>/referral.pdf")
@require("summary.print")
def referral_pdf(patient_id: int):
    s, letter = _referral_for(patient_id)
    body = pdf.render(render_template("reports/referral_pdf.html", s=s, letter=letter,
                                      chart=_chart(s, compact=True), pdf=True))
    _audit("referral_pdf_download", s)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(letter.filename(s))})


@bp.route("/patients/<int:patient_id>/scores/new", methods=["GET", "POST"])
@require("clinical.edit")
def new_score(patient_id: int):
    patient = _patient(patient_id)
    form = OtherScoreForm()
    if request.method == "GET":
        form.taken_on.data = clock.today()
    if form.validate_on_submit():
        if (done := submissions.claim()) is not None:
            return done  # sent twice: the first one recorded it
        services.record_other_score(patient.id, form.data, current_user.id)
        if (done := submissions.commit(url_for("patients.detail", patient_id=patient.id))
                ) is not None:
            return done
        flash(f"{form.name.data} total {form.score.data:g} recorded.", "success")
        return redirect(url_for("patients.detail", patient_id=patient.id))
    return render_template("reports/score_form.html", form=form, patient=patient), \
        400 if form.errors else 200


@bp.route("/patients/<int:patient_id>/baseline/new", methods=["GET", "POST"])
@require("clinical.edit")
def new_baseline(patient_id: int):
    patient = _patient(patient_id)
    form = BaselineForm()
    if request.method == "GET":
        form.taken_on.data = clock.today()
    if form.validate_on_submit():
        if (done := submissions.claim()) is not None:
            return done  # sent twice: the first one recorded them
        rows = services.record_baseline(patient.id, form.answers(), form.taken_on.data,
                                        current_user.id)
        plan_id = request.args.get("plan", type=int)  # back to the summary that asked for it
        after = (url_for("reports.summary_page", patient_id=patient.id, plan=plan_id)
                 if plan_id else url_for("patients.detail", patient_id=patient.id))
        if (done := submissions.commit(after)) is not None:
            return done
        flash(f"{len(rows)} baseline score{'s' if len(rows) != 1 else ''} recorded.", "success")
        return redirect(after)
    return render_template("reports/baseline_form.html", form=form, patient=patient,
                           window=get_settings().baseline_window_days), \
        400 if form.errors else 200


def _chart(s: summary.Summary, compact: bool = False):
    return chart.pain_chart(s.sessions, s.baseline_now, s.target, compact=compact,
                            checkins=[(after, r.value) for after, r in s.checkins])


@bp.route("/outcomes")
@require("outcomes.view")
def outcomes():
    form = DashboardForm(request.args)
    form.practitioner.choices = [("", "Everyone")] + [
        (str(u.id), u.display_name) for u in dashboard.practitioners()]
    if request.args and not form.validate():
        return render_template("reports/dashboard.html", form=form, d=None,
                               conditions=dashboard.conditions()), 400
    d = dashboard.compute(form.start.data, form.end.data, form.condition.data or "",
                          int(form.practitioner.data) if form.practitioner.data else None,
                          form.within.data)
    return render_template("reports/dashboard.html", form=form, d=d,
                           conditions=dashboard.conditions(), chart=dashboard.chart(d),
                           km_chart=dashboard.km_chart(d.evidence),
                           window=get_settings().baseline_window_days)


bp.add_app_template_filter(engine.percent_text, "pct")
bp.add_app_template_filter(engine.number_text, "num")
bp.add_app_template_filter(outcome_rule.outcome_change_text, "change")
bp.add_app_template_filter(engine.signed_text, "signed")
