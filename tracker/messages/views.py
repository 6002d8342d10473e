"""Staff pages: email an intake link (and send it again), and the log of what was sent."""
import segno
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..audit.trail import record
from ..extensions import db
from ..forms import EmptyForm
from ..intake import services as intake_services
from ..intake.models import IntakeInvitation
from ..patients.models import Patient
from ..permissions import can, require
from ..security import public_url, query_int
from ..settings.services import get_settings
from . import delivery, notify
from .forms import IntakeEmailForm
from .models import OutboundMessage

bp = Blueprint("messages", __name__)


@bp.app_template_global()
def intake_email_panel(invitation: IntakeInvitation, token: str | None = None,
                       form: IntakeEmailForm | None = None) -> dict:
    """The share page's "send by email" section: its form and what was sent."""
    if form is None:
        form = IntakeEmailForm(formdata=None, email=invitation.intake.patient.email,
                               token=token or "")
    sent = notify.intake_link_sent(invitation.id)
    return {"form": form, "sent": sent, "delivery": delivery.state(),
            "can_resend": any(m.body_sealed for m in sent)
            and invitation.state() in ("open", "started") and not _resend_refused(invitation)}


def _resend_refused(invitation: IntakeInvitation) -> bool:
    """A clinician's link opens every answer so far: only a clinician sends it again (sent to
    an address of someone else's choosing it would read them by another road)."""
    return intake_services.sees_all(invitation) and not can(current_user, "clinical.view")


@bp.app_template_global()
def smtp_password_stored() -> bool:
    """Whether the settings page says a password is stored (it never shows the password)."""
    return bool(get_settings().smtp_password_sealed)


@bp.route("/intake-links/<int:invitation_id>/email", methods=["POST"])
@require("intake.send")
def email_intake_link(invitation_id: int):
    invitation = db.get_or_404(IntakeInvitation, invitation_id)
    form = IntakeEmailForm()
    token = form.token.data or ""
    # Only the page that showed the link can send it first: the token must be this link's.
    fresh = bool(token) and intake_services.find(token) is invitation
    if token and not fresh:
        abort(400)
    if form.validate_on_submit():
        if invitation.state() not in ("open", "started"):
            form.email.errors.append("This link no longer opens the form: create a new link.")
        elif not fresh and _resend_refused(invitation):
            form.email.errors.append("Only a clinician can send this link again, because it "
                                     "shows the patient's answers so far.")
        else:
            sent = (notify.intake_link(invitation, token, form.email.data, current_user.id)
                    if fresh else notify.resend_intake_link(invitation, form.email.data,
                                                            current_user.id))
            if sent is None:
                form.email.errors.append("The link can no longer be sent again: create a new "
                                         "link (it continues the same intake).")
            else:
                db.session.commit()
                going = delivery.state()
                flash(delivery.queued_text("The intake link", form.email.data, going),
                      "success" if going.going_out else "warning")
                return redirect(url_for("intake.share", invitation_id=invitation.id))
    url = qr = None
    if fresh:
        url = public_url("intake_public.start", token=token)
        qr = segno.make(url, error="m").svg_inline(scale=5, border=2, title="Intake link QR code")
    return render_template("intake/share.html", invitation=invitation, url=url, qr=qr,
                           patient=invitation.intake.patient, form=EmptyForm(),
                           email_form=form, token=token), 400


@bp.route("/messages/")
@require("messages.view")
def log():
    """What was sent to whom and when: kind, channel, address, subject and status; never the
    body. Every read is in the audit trail."""
    patient_id = query_int("patient_id")
    stmt = select(OutboundMessage).order_by(OutboundMessage.id.desc())
    patient = None
    if patient_id:
        patient = db.get_or_404(Patient, patient_id)
        stmt = stmt.where(OutboundMessage.patient_id == patient_id)
    page = db.paginate(stmt, page=query_int("page", 1), per_page=50, max_per_page=200)
    html = render_template("messages/log.html", page=page, patient=patient,
                           delivery=delivery.state())
    # Recorded once the page is drawn: a commit first would expire and reload what it shows.
    record("view", "MessageLog", patient_id or "", patient_id=patient_id,
           changes={"page": page.page, "messages": [m.id for m in page.items]})
    db.session.commit()
    return html
