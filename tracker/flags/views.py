"""Safety flag pages: a clinician raises, edits or dismisses a flag at any visit (resolving is
`intake.resolve_flag`, which predates these)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..forms import EmptyForm
from ..patients.models import Patient
from ..permissions import require
from ..security import safe_next
from . import services
from .forms import FlagForm
from .models import SafetyFlag

bp = Blueprint("flags", __name__)


def _back(patient_id: int) -> str:
    return safe_next(request.args.get("next"),
                     url_for("patients.detail", patient_id=patient_id))


@bp.route("/patients/<int:patient_id>/flags/new", methods=["GET", "POST"])
@require("clinical.edit")
def new(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    form = FlagForm()
    if form.validate_on_submit():
        flag = services.raise_flag(patient.id, current_user, form.flag_data())
        db.session.commit()
        flash(f"Safety flag raised: {flag.label}.", "success")
        return redirect(_back(patient.id))
    return render_template("flags/form.html", form=form, patient=patient, flag=None,
                           back=_back(patient.id)), 400 if form.errors else 200


@bp.route("/flags/<int:flag_id>/edit", methods=["GET", "POST"])
@require("clinical.edit")
def edit(flag_id: int):
    flag = db.get_or_404(SafetyFlag, flag_id)
    if not flag.active:
        abort(404)
    form = FlagForm(obj=flag)
    form.set_source(flag.source)
    if request.method == "GET" and flag.weeks is not None:
        form.weeks.data = flag.weeks_at(clock.today())  # counted on to today
    if form.validate_on_submit():
        services.edit(flag, form.flag_data())
        db.session.commit()
        flash("Safety flag updated.", "success")
        return redirect(_back(flag.patient_id))
    patient = db.session.get(Patient, flag.patient_id)
    return render_template("flags/form.html", form=form, patient=patient, flag=flag,
                           back=_back(flag.patient_id)), 400 if form.errors else 200


@bp.route("/flags/<int:flag_id>/dismiss-match", methods=["POST"])
@require("clinical.edit")
def dismiss_match(flag_id: int):
    flag = db.get_or_404(SafetyFlag, flag_id)
    note = (request.form.get("note") or "").strip()[:500]
    if EmptyForm().validate_on_submit() and flag.active and flag.matched:
        services.dismiss_match(flag, current_user, note or "not this medicine")
        db.session.commit()
        flash("Medicine match dismissed.", "success")
    return redirect(_back(flag.patient_id))
