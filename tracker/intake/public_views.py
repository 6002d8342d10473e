"""The patient's side of the intake: reached only through a private link, no account.

These views check the CSRF token themselves (the blueprint is exempt from the global check) so
that an expired token re-shows the step with the patient's answers instead of an error page."""
from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from .. import clock, throttle
from ..clinical import instruments
from ..extensions import csrf, db
from ..settings.services import get_settings
from . import answering, body_map, forms, services, steps
from .models import IntakeInvitation

bp = Blueprint("intake_public", __name__, url_prefix="/i")
csrf.exempt(bp)


def _unavailable(reason: str, status: int):
    # Never name the patient here: the visitor may not be them.
    return render_template("intake/public/unavailable.html", reason=reason,
                           clinic=get_settings()), status


def _resolve(token: str) -> IntakeInvitation | tuple:
    key = f"intake-ip:{request.remote_addr}"
    config = current_app.config
    if throttle.blocked(key, config["INTAKE_THROTTLE_LIMIT"], config["INTAKE_THROTTLE_MINUTES"]):
        return _unavailable("throttled", 429)
    invitation = services.find(token)
    if invitation is None:
        throttle.fail(key)
        db.session.commit()
        return _unavailable("unknown", 404)
    g.audit_actor = f"patient (intake link {invitation.id})"
    return invitation


@bp.route("/<token>")
def start(token: str):
    invitation = _resolve(token)
    if not isinstance(invitation, IntakeInvitation):
        return invitation
    state = invitation.state()
    if state in ("revoked", "expired"):
        return _unavailable(state, 410)
    if state == "submitted":
        return redirect(url_for(".done", token=token))
    return redirect(url_for(".step", token=token, code=invitation.intake.current_step))


@bp.route("/<token>/done")
def done(token: str):
    invitation = _resolve(token)
    if not isinstance(invitation, IntakeInvitation):
        return invitation
    if invitation.state() != "submitted":
        return redirect(url_for(".start", token=token))
    return render_template("intake/public/done.html", clinic=get_settings())


@bp.route("/<token>/<code>", methods=["GET", "POST"])
def step(token: str, code: str):
    invitation = _resolve(token)
    if not isinstance(invitation, IntakeInvitation):
        return invitation
    if code not in steps.BY_CODE:
        return redirect(url_for(".start", token=token))
    intake, state = invitation.intake, invitation.state()
    if state == "submitted":
        return redirect(url_for(".done", token=token))
    if state == "revoked":
        return _unavailable(state, 410)
    position = steps.index(code)
    reached = int((intake.draft or {}).get("_reached", 0))
    if request.method == "GET":
        if position > reached:  # no skipping ahead past unanswered steps
            return redirect(url_for(".step", token=token, code=steps.CODES[reached]))
        form = steps.build(code, intake.draft, defaults=_defaults(invitation, code))
        return _page(invitation, token, code, form)

    form = steps.build(code, intake.draft, formdata=request.form)
    valid = form.validate()
    if form.meta.csrf and form.csrf_token.errors:
        # Expired or missing token (a long pause, a lost cookie): keep everything, ask again.
        for field in form:
            field.errors = []
        return _page(invitation, token, code, form, csrf_expired=True), 400
    posted = answering.post_step(intake, code, request.form.to_dict(flat=False),
                                 action=request.form.get("action", "next"), valid=valid,
                                 expired=state == "expired")
    db.session.commit()
    if posted.outcome == "expired":
        return _unavailable("expired_saved", 410)
    if posted.outcome == "stay":  # a medicine row to type into
        form.medications.append_entry()
        for field in form:
            field.errors = []
        return _page(invitation, token, code, form, focus=form.medications[-1].form.name.id)
    if posted.outcome == "invalid":
        return _page(invitation, token, code, form), 400
    if posted.outcome == "incomplete":
        # A step that was skipped or became invalid (e.g. red flags now apply): show it.
        return _page(invitation, token, posted.code, posted.form, incomplete=True), 400
    if posted.outcome in ("submitted", "already"):
        return redirect(url_for(".done", token=token))
    return redirect(url_for(".step", token=token, code=posted.code))


def _defaults(invitation: IntakeInvitation, code: str) -> dict:
    """The register's details prefill 'About you' so the patient only confirms them."""
    if code != "about":
        if code == "consent":
            return {"consent_date": clock.today()}
        return {}
    p = invitation.intake.patient
    return {name: getattr(p, name) for name in (
        "given_name", "family_name", "date_of_birth", "phone", "email", "address",
        "emergency_contact_name", "emergency_contact_phone")} | {
        "family_doctor": p.referring_physician}


def _page(invitation, token, code, form, **extra):
    position = steps.index(code)
    draft = invitation.intake.draft or {}
    return render_template(
        "intake/public/step.html", form=form, step=steps.BY_CODE[code], steps=steps.STEPS,
        position=position, reached=int(draft.get("_reached", 0)), token=token,
        clinic=get_settings(), patient=invitation.intake.patient, instruments=instruments,
        body_map=body_map.render, safety_fields=forms.safety_fields,
        red_flag_fields=forms.red_flag_fields, **extra)
