"""Patient register pages."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import panels, submissions
from ..audit.trail import record
from ..extensions import db
from ..forms import EmptyForm
from ..intake import progress
from ..permissions import require
from ..security import query_int
from . import services
from .forms import PatientForm
from .models import Patient

bp = Blueprint("patients", __name__, url_prefix="/patients")


@bp.route("/")
@require("patients.view")
def index():
    q = request.args.get("q", "")
    sort = request.args.get("sort", "name")
    archived = request.args.get("archived") == "1"
    page = services.list_page(q, sort, archived, query_int("page", 1),
                              current_app.config["PATIENTS_PER_PAGE"])
    # Reception sees how far each intake got, never what it says (intake/progress.py).
    return render_template("patients/index.html", page=page, q=q, sort=sort, archived=archived,
                           intake_progress=progress.by_patient([p.id for p in page.items]))


def _form_page(form: PatientForm, patient: Patient | None):
    form.set_practitioners(services.practitioners())
    if form.validate_on_submit():
        if patient is None and (done := submissions.claim()) is not None:
            return done  # sent twice: the patient the first one registered
        data = form.data
        dupes = services.likely_duplicates(data["given_name"], data["family_name"],
                                           data["date_of_birth"], patient.id if patient else None)
        if dupes and not form.confirm_duplicate.data:
            form.confirm_duplicate.errors.append(
                "A patient with this name and date of birth is already registered. Open the "
                "existing record, or tick the box if this is a different person.")
            return render_template("patients/form.html", form=form, patient=patient,
                                   duplicates=dupes), 409
        is_new = patient is None
        patient = services.save(patient, data)
        db.session.flush()
        if (done := submissions.commit(url_for(".detail", patient_id=patient.id))) is not None:
            return done
        flash(f"{patient.full_name} {'registered' if is_new else 'saved'}.", "success")
        return redirect(url_for(".detail", patient_id=patient.id))
    return render_template("patients/form.html", form=form, patient=patient,
                           duplicates=[]), 200 if not form.errors else 400


@bp.route("/new", methods=["GET", "POST"])
@require("patients.edit")
def create():
    return _form_page(PatientForm(), None)


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@require("patients.edit")
def edit(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    form = PatientForm(obj=patient)
    if request.method == "GET":
        form.primary_practitioner_id.data = patient.primary_practitioner_id or 0
    return _form_page(form, patient)


@bp.route("/<int:patient_id>")
@require("patients.view")
def detail(patient_id: int):
    # The page names the primary practitioner: read with the patient, not a query of its own.
    patient = db.get_or_404(Patient, patient_id,
                            options=[joinedload(Patient.primary_practitioner)])
    page = render_template("patients/detail.html", patient=patient, archive_form=EmptyForm(),
                           panels=panels.for_patient(patient, current_user))
    # Recorded once the page is drawn: a commit first would expire and reload what it shows.
    record("view", "Patient", patient.id, patient_id=patient.id)
    db.session.commit()
    return page


@bp.route("/<int:patient_id>/archive", methods=["POST"])
@require("patients.archive")
def archive(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    if EmptyForm().validate_on_submit():
        if request.form.get("restore"):
            services.restore(patient)
            flash(f"{patient.full_name} restored to the register.", "success")
        else:
            services.archive(patient)
            flash(f"{patient.full_name} archived. The record is kept and can be restored.", "info")
        db.session.commit()
    return redirect(url_for(".detail", patient_id=patient.id))
