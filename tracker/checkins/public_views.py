"""The patient's side of a weekly check-in, reached only through its private link.

The same link rules as the intake (tracker/links.py): /c/<token> swaps the token for a
short-lived signed cookie and the patient continues on /checkin, a URL without the token; every
request checks the link again; unknown tokens count against the client's address. An answered
link is read-only (it shows what was sent, and never writes again); an expired or switched-off
link answers the same on every page. These views check the CSRF token themselves (the blueprint
is exempt from the global check) so that a stale token shows the form again with the answers."""
from flask import Blueprint, g, redirect, render_template, request, url_for

from .. import links
from ..audit.trail import record
from ..extensions import csrf, db
from ..settings.services import get_settings
from . import services
from .forms import CheckinForm
from .models import Checkin

bp = Blueprint("checkin_public", __name__)
csrf.exempt(bp)
# Short-lived: a check-in takes a minute; the patient's own page is reached within the hour.
LINK = links.LinkCookie("checkin_link", "checkin-link", "CHECKIN_SESSION_HOURS", 2)
bp.after_request(LINK.renew)


def unavailable(reason: str, status: int):
    # Never name the patient here: the visitor may not be them.
    return render_template("checkins/public/unavailable.html", reason=reason,
                           clinic=get_settings()), status


def _as_patient(checkin: Checkin) -> None:
    g.audit_actor = f"patient (check-in link {checkin.id})"


@bp.route("/c/<token>")
def start(token: str):
    checkin = links.open_row(token, services.find, unavailable)
    if not isinstance(checkin, Checkin):
        return checkin
    _as_patient(checkin)
    state = checkin.state()
    if state in ("revoked", "expired"):
        return unavailable(state, 410)
    cookie = LINK.read()
    LINK.keep(checkin.id, cookie[1] if cookie and cookie[0] == checkin.id
              else links.session_key())
    record("open", "Checkin", checkin.id, patient_id=checkin.patient_id)
    db.session.commit()
    return redirect(url_for(".answer"))


def current() -> Checkin | tuple:
    """The check-in this browser's cookie is on while its link is live (answered included),
    or the page to show instead. Renews the cookie."""
    cookie = LINK.read()
    checkin = db.session.get(Checkin, cookie[0]) if cookie else None
    if checkin is None:
        return unavailable("session", 403)
    _as_patient(checkin)
    state = checkin.state()
    if state in ("revoked", "expired"):
        return unavailable(state, 410)
    LINK.keep(*cookie)
    return checkin


def _form_page(checkin: Checkin, form: CheckinForm, **extra):
    return render_template("checkins/public/answer.html", form=form, checkin=checkin,
                           clinic=get_settings(), patient=checkin.patient,
                           own_page=_own_page(checkin), **extra)


def _own_page(checkin: Checkin) -> bool:
    from ..portal.services import has_page
    return has_page(checkin.patient_id)


@bp.route("/checkin", methods=["GET", "POST"])
def answer():
    checkin = current()
    if not isinstance(checkin, Checkin):
        return checkin
    if checkin.state() == "answered":  # read-only: shows what was sent, writes nothing
        record("view", "Checkin", checkin.id, patient_id=checkin.patient_id)
        db.session.commit()
        return render_template("checkins/public/answered.html", checkin=checkin,
                               answers=services.sent(checkin), clinic=get_settings(),
                               own_page=_own_page(checkin)), \
            409 if request.method == "POST" else 200
    form = CheckinForm(measures=services.asked(checkin))
    if request.method == "GET":
        return _form_page(checkin, form)
    valid = form.validate()
    if form.meta.csrf and form.csrf_token.errors:
        for field in form:
            field.errors = []
        return _form_page(checkin, form, csrf_expired=True), 400
    if not valid:
        return _form_page(checkin, form), 400
    try:
        services.answer(checkin, form.answers())
    except services.NotOpen:
        db.session.rollback()
        return redirect(url_for(".answer"))
    db.session.commit()
    return redirect(url_for(".answer"))
