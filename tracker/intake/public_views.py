"""The patient's side of the intake: reached only through a private link, no account.

The token is used once per browser: /i/<token> checks it and swaps it for a short-lived signed
cookie (HttpOnly, Secure, SameSite=Lax) bound to the link, and the patient continues on
/intake/<step>, a URL without the token, so it is in no later request line or Referer. Every
request checks the link again. Revoked, expired and sent links answer the same on every page,
by token or by cookie, and nothing is written through them; the one exception is the patient's
own page typed in this browser while the link was live, which is kept (nothing typed is lost).
A page shows only answers typed in this browser session (or all, on a clinician's link):
reception sees each link it creates, so holding a link must not be enough to read answers.

These views check the CSRF token themselves (the blueprint is exempt from the global check) so
that an expired token re-shows the step with the patient's answers instead of an error page."""
from functools import partial

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from .. import clock, links
from ..audit.trail import record
from ..clinical import instruments, safety
from ..extensions import csrf, db
from ..security import token_hash
from ..settings.services import get_settings
from . import answering, body_map, conditional, forms, readback, services, steps, urgent
from .models import IntakeInvitation

bp = Blueprint("intake_public", __name__)
# Said beside an answer that does not fit with answers given on another device, which this
# browser is not shown: the message must not repeat them.
HIDDEN_CHECK = ("Please check this answer: together with answers given on another device (not "
                "shown here) it does not fit. Change it here, or on the device that gave them.")
csrf.exempt(bp)
COOKIE = "intake_link"
# How long the cookie lasts after the patient's last page (each page renews it); the link's own
# expiry and revocation are checked on every request whatever the cookie says.
SESSION_HOURS = 12
LINK = links.LinkCookie(COOKIE, "intake-link", "INTAKE_SESSION_HOURS", SESSION_HOURS)
# Answers given on the same link in another browser are kept and sent, never shown here
# (services.visible_draft); the patient is told so, on the step and before sending.
KEPT_ELSEWHERE = ("Some answers on this page were given on another device. They are kept, "
                  "though not shown here for your privacy; only what you type here changes them.")
SENT_ELSEWHERE = ("Answers given on another device are included when you send, though not "
                  "shown here for your privacy.")
SHOWN_ELSEWHERE = "Answered on another device: kept and sent (not shown here)"


def _unavailable(reason: str, status: int):
    # Never name the patient here: the visitor may not be them.
    return render_template("intake/public/unavailable.html", reason=reason,
                           clinic=get_settings()), status


def _closed(state: str, invitation: IntakeInvitation | None = None, by: str | None = None):
    """What a revoked, expired or sent link answers on every page (None while it is live). A
    sent intake's page repeats the help its answers call for (urgent.py), to the browser
    session that typed them (services.visible_draft) only."""
    if state in ("revoked", "expired"):
        return _unavailable(state, 410)
    if state == "submitted":
        help_now = (urgent.from_draft(services.visible_draft(invitation, by))
                    if invitation is not None and by else [])
        return render_template("intake/public/done.html", clinic=get_settings(),
                               help_now=help_now)
    return None


bp.after_request(LINK.renew)


@bp.app_context_processor
def _intake_facts():
    """What every page about the intake says of it (the link's message too): one declaration
    in steps.py of the time it takes and its number of steps."""
    return {"intake_estimate": steps.TIME_ESTIMATE, "intake_pages": steps.PAGES,
            "intake_review_title": steps.REVIEW_TITLE, "help_messages": urgent.MESSAGES}


def _resolve(token: str) -> IntakeInvitation | tuple:
    invitation = links.open_row(token, services.find, _unavailable)
    if not isinstance(invitation, IntakeInvitation):
        return invitation
    g.audit_actor = f"patient (intake link {invitation.id})"
    return invitation


@bp.route("/i/<token>")
def start(token: str):
    return _open(token, None)


@bp.route("/i/<token>/<path:rest>", methods=["GET", "POST"])
def legacy(token: str, rest: str):
    """Links and pages from before the token-free URLs: checked like the link and never written
    through; a live one continues on the token-free URL (a POST keeps its body: 307)."""
    return _open(token, rest)


def _open(token: str, rest: str | None):
    invitation = _resolve(token)
    if not isinstance(invitation, IntakeInvitation):
        return invitation
    closed = _closed(invitation.state())
    if closed is not None:
        return closed
    cookie = LINK.read()
    # The same browser opening its link again keeps its session (and sees what it typed).
    key = cookie[1] if cookie and cookie[0] == invitation.id else links.session_key()
    LINK.keep(invitation.id, key)
    record("open", "IntakeInvitation", invitation.id, patient_id=invitation.patient_id)
    db.session.commit()
    code = rest if rest in steps.BY_CODE else invitation.intake.current_step
    return redirect(url_for(".step", code=code), 307 if request.method == "POST" else 302)


def _session() -> tuple[IntakeInvitation, str] | tuple:
    """The link this browser is on (from its cookie) and its session hash, or a page saying to
    open the link again."""
    cookie = LINK.read()
    invitation = db.session.get(IntakeInvitation, cookie[0]) if cookie else None
    if invitation is None:
        return _unavailable("session", 403)
    g.audit_actor = f"patient (intake link {invitation.id})"
    g.intake_link = cookie
    return invitation, token_hash(cookie[1])[:32]


@bp.route("/intake/done")
def done():
    found = _session()
    if not isinstance(found[0], IntakeInvitation):
        return found
    invitation = found[0]
    state = invitation.state()
    if state not in ("revoked", "expired", "submitted"):
        return redirect(url_for(".step", code=invitation.intake.current_step))
    return _closed(state, invitation, found[1])


@bp.route("/intake/<code>", methods=["GET", "POST"])
def step(code: str):
    found = _session()
    if not isinstance(found[0], IntakeInvitation):
        return found
    invitation, by = found
    intake, state = invitation.intake, invitation.state()
    if state == "expired":
        g.intake_link = None  # not renewed: the cookie lapses SESSION_HOURS after the expiry
    if state in ("revoked", "submitted") or (state == "expired" and request.method != "POST"):
        return _closed(state, invitation, by)
    if code not in steps.BY_CODE:
        return redirect(url_for(".step", code=intake.current_step))
    position = steps.index(code)
    reached = int((intake.draft or {}).get("_reached", 0))
    if request.method == "GET":
        if position > reached:  # no skipping ahead past unanswered steps
            return redirect(url_for(".step", code=steps.CODES[reached]))
        form = _shown(invitation, by, code)
        if services.hidden_answers(invitation, by, code):
            flash(KEPT_ELSEWHERE, "info")
        page = _page(invitation, code, form)
        # A link page shows clinical answers: each read is in the audit trail, as the link.
        record("view", "Intake", intake.id, patient_id=intake.patient_id,
               changes={"step": code})
        db.session.commit()
        return page

    form = steps.build(code, intake.draft, formdata=request.form)
    valid = form.validate()
    if form.meta.csrf and form.csrf_token.errors:
        # Expired or missing token (a long pause, a lost cookie): keep everything, ask again.
        for field in form:
            field.errors = []
        return _page(invitation, code, form, csrf_expired=True), 400
    if g.get("db_unavailable"):  # the database refused this post (failures.py): as typed
        return _page(invitation, code, form, not_saved=g.db_unavailable), 503
    posted = answering.post_step(intake, code, request.form.to_dict(flat=False),
                                 action=request.form.get("action", "next"), valid=valid,
                                 expired=state == "expired", by=by,
                                 sees_all=services.sees_all(invitation))
    db.session.commit()
    if posted.outcome == "expired":
        return _unavailable("expired_saved", 410)
    if posted.outcome == "stay":  # a medicine row to type into
        form.medications.append_entry()
        for field in form:
            field.errors = []
        return _page(invitation, code, form, focus=form.medications[-1].form.name.id)
    if posted.outcome == "invalid":
        return _page(invitation, code, form), 400
    return redirect(url_for(".step", code=posted.code))


@bp.route("/intake/review", methods=["GET", "POST"])
def review():
    """Every answer, step by step, with a "Change" link to each; the only page that sends."""
    found = _session()
    if not isinstance(found[0], IntakeInvitation):
        return found
    invitation, by = found
    intake, state = invitation.intake, invitation.state()
    if state in ("revoked", "submitted", "expired"):
        return _closed(state, invitation, by)
    reached = int((intake.draft or {}).get("_reached", 0))
    if reached < len(steps.CODES):  # not every step answered yet: no review, no sending
        return redirect(url_for(".step", code=steps.CODES[reached]))
    form = forms.SendForm()
    if request.method == "GET":
        page = _review_page(invitation, by, form)
        record("view", "Intake", intake.id, patient_id=intake.patient_id,
               changes={"step": steps.REVIEW})
        db.session.commit()
        return page
    if not form.validate():  # an expired token: the answers are all saved, ask again
        return _review_page(invitation, by, forms.SendForm(formdata=None),
                            csrf_expired=True), 400
    posted = answering.send(intake)
    db.session.commit()
    if posted.outcome == "incomplete":
        # A step that became invalid (e.g. red flags now apply): show it, with its answers
        # only if this session may see them.
        shown = posted.form
        if (posted.code not in services.visible_draft(invitation, by)
                or services.hidden_answers(invitation, by, posted.code)):
            shown = _shown(invitation, by, posted.code)
            # The messages were written from every answer, hidden ones too ("your least pain
            # (3) is higher than..."): here each says only that the answer needs a look.
            for name, errors in posted.form.errors.items():
                if name in shown._fields and all(isinstance(e, str) for e in errors):
                    shown[name].errors = [HIDDEN_CHECK]
        return _page(invitation, posted.code, shown, incomplete=True), 400
    if posted.outcome in ("submitted", "already"):
        return redirect(url_for(".done"))
    return redirect(url_for(".step", code=posted.code))


def _review_page(invitation: IntakeInvitation, by: str, form, **extra):
    draft = invitation.intake.draft or {}
    visible = services.visible_draft(invitation, by)
    sections, told = [], False
    for step_ in steps.STEPS:
        checked = steps.checked(step_.code, draft)
        shown = _shown(invitation, by, step_.code) if step_.code in visible else None
        rows = readback.rows(step_.code, shown) if shown else None
        hidden = services.hidden_answers(invitation, by, step_.code)
        if hidden and not told:
            told = True
            flash(SENT_ELSEWHERE, "info")
        if rows and hidden:  # a step answered on two devices: the other's answers unshown
            rows = _rows_kept_elsewhere(shown, rows, hidden)
        sections.append({"step": step_, "needs_attention": not checked.valid,
                         "rows": rows,
                         "regions": shown.regions.data if step_.code == "pain" and shown
                         else None})
    return render_template(
        "intake/public/check.html", form=form, sections=sections, steps=steps.STEPS,
        reached=len(steps.CODES), clinic=get_settings(),
        body_map=partial(body_map.render, patient=True), help_now=urgent.from_draft(visible),
        soft_breaks=readback.soft_breaks, **extra)


def _rows_kept_elsewhere(form, rows: list, hidden: set[str]) -> list:
    """Review rows with each answer given on another device said to be kept, not shown (a
    medicine list keeps this device's rows and says the others are kept)."""
    labels = {form[name].label.text: form[name].type for name in
              {n.split("-")[0] for n in hidden} if name in form._fields}
    result = []
    for label, value in rows:
        if value is not None and label in labels:
            value = (f"{value}\n{SHOWN_ELSEWHERE}" if value and labels[label] == "FieldList"
                     else SHOWN_ELSEWHERE)
        result.append((label, value))
    return result


@bp.route("/intake/<code>/save", methods=["POST"])
def save(code: str):
    """The open step's answers as the patient types (intake.js): kept as the step's draft on
    the server, never on the device, without moving the intake on. JSON, for a script."""
    found = _session()
    if not isinstance(found[0], IntakeInvitation):
        return {"saved": False, "reason": "session"}, 403
    invitation, by = found
    intake, state = invitation.intake, invitation.state()
    if state in ("revoked", "submitted"):
        return {"saved": False, "reason": state}, 410
    if code not in steps.BY_CODE:
        return {"saved": False, "reason": "step"}, 404
    reached = int((intake.draft or {}).get("_reached", 0))
    if steps.index(code) > reached:  # only steps the patient may open
        return {"saved": False, "reason": "step"}, 409
    if not forms.SendForm(formdata=request.form).validate():
        return {"saved": False, "reason": "csrf"}, 400
    if g.get("db_unavailable"):  # the database refused this request (failures.py)
        return {"saved": False, "reason": "database"}, 503
    answers = request.form.to_dict(flat=False)
    answers.pop("action", None)
    resume_at = intake.current_step  # a save landing after "Save and continue" moves nothing
    try:
        services.save_draft(intake, code, answers, reached, by=by,
                            sees_all=services.sees_all(invitation))
        intake.current_step = resume_at
    except services.DraftTooLarge:
        db.session.rollback()
        return {"saved": False, "reason": "too_large"}, 413
    db.session.commit()
    if state == "expired":  # kept for the clinic, but this link goes no further
        g.intake_link = None
        return {"saved": True, "reason": "expired"}, 410
    return {"saved": True}


def _shown(invitation: IntakeInvitation, by: str, code: str):
    """A step's form as this browser session may see it (services.visible_draft)."""
    form = steps.build(code, services.visible_draft(invitation, by),
                       defaults=_defaults(invitation, code))
    if code == "safety":
        # Whether the red-flag questions appear follows the pain step; where that step was typed
        # in another browser (and is not shown here) they are asked anyway, so their showing
        # tells a link holder nothing about what was answered there.
        draft = invitation.intake.draft or {}
        form.asks_red_flags = steps.asks_red_flags(draft) or (
            "pain" in draft and "pain" not in services.visible_draft(invitation, by)) or bool(
            services.hidden_answers(invitation, by, "pain"))
    return form


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


def _page(invitation, code, form, **extra):
    position = steps.index(code)
    draft = invitation.intake.draft or {}
    return render_template(
        "intake/public/step.html", form=form, step=steps.BY_CODE[code], steps=steps.STEPS,
        position=position, reached=int(draft.get("_reached", 0)),
        clinic=get_settings(), patient=invitation.intake.patient, instruments=instruments,
        body_map=partial(body_map.render, patient=True), body_picker=body_map.picker,
        show_when=conditional.show_when, safety_fields=forms.safety_fields,
        red_flag_fields=forms.red_flag_fields, red_flag_heading=safety.RED_FLAG_PATIENT_HEADING,
        help_now=urgent.from_form(code, form), help_when=urgent.show_when, **extra)
