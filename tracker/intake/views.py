"""Staff side of the intake: send links, review submitted intakes, reopen them."""
import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..audit.trail import record
from ..clinical import body_regions, conditions, instruments, safety
from ..extensions import db
from ..flags import services as flag_services
from ..flags.models import SafetyFlag
from ..forms import EmptyForm
from ..paging import paginate
from ..patients.models import Patient
from ..patients.services import practitioners
from ..permissions import require
from ..security import public_url, query_int, safe_next
from ..settings.services import get_settings
from . import body_map, progress, services, triage
from .models import Intake, IntakeInvitation
from .triage_form import TriageFilterForm

bp = Blueprint("intake", __name__)
SHOWN_LINKS = "intake_links_to_show"


@bp.app_template_filter("intake_progress")
def intake_progress(code: str) -> str:
    """A patient's intake progress code as its word ('In progress')."""
    return progress.LABELS.get(code, "")


@bp.app_template_filter("triage_label")
def triage_label(group: str) -> str:
    """An intake's triage group ('red', 'safety') as its words."""
    return triage.GROUPS.get(group, "")


@bp.route("/patients/<int:patient_id>/intake-links", methods=["POST"])
@require("intake.send")
def create_link(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    if patient.archived_at or not EmptyForm().validate_on_submit():
        abort(400)
    invitation, token = services.create_invitation(patient, current_user,
                                                   get_settings().intake_link_days)
    db.session.commit()
    # The token is never stored; it rides in the signed session just long enough to be shown.
    session[SHOWN_LINKS] = {str(invitation.id): token}
    return redirect(url_for(".share", invitation_id=invitation.id))


@bp.route("/intake-links/<int:invitation_id>")
@require("intake.send")
def share(invitation_id: int):
    invitation = db.get_or_404(IntakeInvitation, invitation_id)
    token = (session.pop(SHOWN_LINKS, None) or {}).get(str(invitation_id))
    url = qr = None
    older = []
    if token:
        url = public_url("intake_public.start", token=token)
        qr = segno.make(url, error="m").svg_inline(scale=5, border=2, title="Intake link QR code")
        # Said once, as the new link is shown: the earlier ones still open the same form.
        older = [i for i in services.invitations_for(invitation.patient_id)
                 if i.id != invitation.id and i.state() in ("open", "started")]
    return render_template("intake/share.html", invitation=invitation, url=url, qr=qr,
                           patient=invitation.intake.patient, form=EmptyForm(), token=token,
                           older=older)


@bp.route("/intake-links/<int:invitation_id>/revoke", methods=["POST"])
@require("intake.send")
def revoke(invitation_id: int):
    invitation = db.get_or_404(IntakeInvitation, invitation_id)
    if EmptyForm().validate_on_submit() and not invitation.revoked_at:
        services.revoke(invitation, current_user)
        db.session.commit()
        flash("The link was revoked; it no longer opens the form.", "success")
    return redirect(url_for("patients.detail", patient_id=invitation.patient_id))


@bp.route("/intakes/<int:intake_id>/reopen", methods=["POST"])
@require("clinical.edit")  # a reopened intake's answers go back to the link pages: clinical
def reopen(intake_id: int):
    intake = db.get_or_404(Intake, intake_id)
    if EmptyForm().validate_on_submit() and intake.status != "draft":
        services.reopen(intake)
        db.session.commit()
        flash("The intake is open again: create a new link here for the patient to change it "
              "(a link a clinician creates shows the earlier answers).", "success")
    return redirect(url_for("patients.detail", patient_id=intake.patient_id))


@bp.route("/intakes/")
@require("clinical.view")
def index():
    form = TriageFilterForm(request.args)
    form.set_practitioners(practitioners())
    if request.args.keys() - {"page"} and not form.validate():
        return render_template("intake/index.html", form=form, page=None,
                               rule=triage.ORDER_RULE), 400
    # Each intake with its triage group from the statement that orders them by it.
    page = paginate(triage.awaiting_review(form.filters(), grouped=True),
                    page=query_int("page", 1), per_page=25, max_per_page=100, rows=True)
    return render_template("intake/index.html", form=form, page=page, rule=triage.ORDER_RULE,
                           rows=[(intake, triage.RANKED[rank]) for intake, rank in page.items])


# The patient and the reviewer come with the intake (two statements fewer).
_REVIEW_LOADS = (joinedload(Intake.patient), joinedload(Intake.reviewed_by))


@bp.route("/intakes/<int:intake_id>")
@require("clinical.view")
def review(intake_id: int):
    intake = db.session.get(Intake, intake_id, options=_REVIEW_LOADS) or abort(404)
    if intake.status == "draft" and not intake.submitted_at:
        abort(404)
    flags = flag_services.active_for(intake.patient_id)
    parts = services.parts(intake.id)
    page = render_template(
        "intake/review.html", intake=intake, patient=intake.patient,
        scores=services.scores(intake, parts.regions), flags=flags, form=EmptyForm(),
        parts=parts, regions=parts.regions,
        region_labels=[body_regions.label(code) for code in parts.regions],
        conditions=conditions, instruments=instruments, safety=safety,
        answers=parts.answers, body_map=body_map.render,
        changes=services.detail_changes(intake))
    # Recorded once the page is drawn: a commit first would expire and reload what it shows.
    record("view", "Intake", intake.id, patient_id=intake.patient_id)
    db.session.commit()
    return page


@bp.route("/intakes/<int:intake_id>/review", methods=["POST"])
@require("clinical.edit")
def mark_reviewed(intake_id: int):
    intake = db.get_or_404(Intake, intake_id)
    if EmptyForm().validate_on_submit() and intake.status == "submitted":
        services.mark_reviewed(intake, current_user)
        db.session.commit()
        flash(f"Intake for {intake.patient.full_name} marked as reviewed.", "success")
    return redirect(url_for(".index") if request.form.get("next") == "list"
                    else url_for("patients.detail", patient_id=intake.patient_id))


@bp.route("/intakes/<int:intake_id>/apply-details", methods=["POST"])
@require("clinical.edit")
def apply_details(intake_id: int):
    intake = db.get_or_404(Intake, intake_id)
    if EmptyForm().validate_on_submit() and intake.status != "draft":
        changed = services.apply_details(intake)
        db.session.commit()
        flash(f"Updated {changed} detail{'s' if changed != 1 else ''} in the register.",
              "success")
    return redirect(url_for(".review", intake_id=intake.id))


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@require("clinical.edit")
def resolve_flag(flag_id: int):
    flag = db.get_or_404(SafetyFlag, flag_id)
    note = (request.form.get("resolution") or "").strip()[:500]
    if EmptyForm().validate_on_submit() and flag.active:
        if not note:
            flash("Say why the flag no longer applies (for example “baby born March 2026”).",
                  "error")
        else:
            flag_services.resolve(flag, current_user, note)
            db.session.commit()
            flash("Flag resolved.", "success")
    return redirect(safe_next(request.args.get("next"),
                              url_for("patients.detail", patient_id=flag.patient_id)))
