"""Staff side of the patient's own page: switching it on for a patient (clinicians: it shows the
patient's progress), confirming a new address before check-in links go to it, and reception's
list of requests to cancel or move a visit. Parse, call, redirect."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import EmptyForm
from ..messages import hold
from ..patients.models import Patient
from ..permissions import require
from . import services
from .models import VisitRequest

bp = Blueprint("portal", __name__)


@bp.route("/patients/<int:patient_id>/own-page", methods=["POST"])
@require("clinical.edit")
def toggle(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    if EmptyForm().validate_on_submit():
        enabled = request.form.get("enabled") == "1"
        services.set_page(patient, enabled, current_user)
        db.session.commit()
        flash(f"{patient.full_name}'s own page is {'on' if enabled else 'off'}."
              + (" They reach it from their check-in link." if enabled else ""), "success")
    return redirect(url_for("patients.detail", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/contact/confirm", methods=["POST"])
@require("clinical.view")
def confirm_contact(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    if EmptyForm().validate_on_submit() and hold.pending(patient.id):
        released = hold.confirm(patient.id, current_user)
        db.session.commit()
        flash(f"{patient.full_name}'s address is confirmed: check-in messages go to it"
              + (f" ({released} waiting now go)." if released else "."), "success")
    return redirect(url_for("patients.detail", patient_id=patient.id) + "#own-page")


@bp.route("/requests")
@require("schedule.view")
def requests():
    return render_template("portal/requests.html", open=services.requests("open"),
                           done=services.requests("done", limit=30), form=EmptyForm())


@bp.route("/requests/<int:request_id>/done", methods=["POST"])
@require("schedule.manage")
def done(request_id: int):
    item = db.get_or_404(VisitRequest, request_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if item.status == "open":
        services.mark_done(item, current_user)
        db.session.commit()
        flash(f"Request from {item.patient.full_name} marked as dealt with.", "success")
    return redirect(url_for(".requests"))
