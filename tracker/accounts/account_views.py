"""A staff member's own account: password change, two-factor login (enrol, confirm, turn off),
and the second step of a two-factor login (the code after the password)."""
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user

from .. import throttle
from ..audit.trail import record
from ..extensions import db
from ..security import safe_next
from . import services, sessions, two_factor
from .forms import CodeForm, EnrolForm, PasswordChangeForm, TwoFactorOffForm
from .models import User
from .passwords import verify_password

bp = Blueprint("account", __name__)

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300  # the code must follow the password within five minutes
MAX_WRONG = 5  # wrong codes (or current passwords) per account per throttle window

# Pages a signed-in user who must still set up two-factor login may reach.
GATE_OPEN = {"static", "auth.logout", "auth.login", "auth.setup", "main.healthz"}


@bp.before_app_request
def two_factor_gate():
    """When the clinic requires two-factor login, a user who logged in with a password alone
    reaches only their account page (to set it up) and logout."""
    endpoint = request.endpoint or ""
    if endpoint in GATE_OPEN or endpoint.startswith(("account.", "intake_public.")):
        return None
    if current_user.is_authenticated and two_factor.required(current_user):
        flash("The clinic requires two-factor login: set it up to continue.", "info")
        return redirect(url_for("account.index"))
    return None


def _minutes() -> int:
    return current_app.config["LOGIN_THROTTLE_MINUTES"]


def _too_many(key: str) -> bool:
    return throttle.failures(key, _minutes()) >= MAX_WRONG


def _current_password(form, failed_event: str) -> bool:
    """The signed-in user's current password in `form.current`, asked before changing what
    protects the account: wrong ones are counted per account (the login's throttle rules),
    audited, and answered beside the field."""
    user = current_user
    key = f"password-change:{user.id}"
    if _too_many(key):
        form.current.errors.append(f"Too many wrong passwords. Try again in {_minutes()} minutes.")
        return False
    if not verify_password(user.password_hash, form.current.data):
        throttle.fail(key)
        record(failed_event, "User", user.id)
        db.session.commit()
        form.current.errors.append("That is not your current password.")
        return False
    throttle.clear(key)
    return True


def _index(password_form=None, off_form=None, codes_form=None, status=200):
    user = current_user
    password_form = password_form or PasswordChangeForm(formdata=None)
    off_form = off_form or TwoFactorOffForm(formdata=None, prefix="off")
    codes_form = codes_form or TwoFactorOffForm(formdata=None, prefix="codes")
    return render_template("account/index.html", form=password_form, off_form=off_form,
                           codes_form=codes_form,
                           user=user, required=two_factor.required(user),
                           enforced=_clinic_requires(),
                           codes_left=two_factor.recovery_codes_left(user)
                           if user.two_factor_on else 0), status


def _clinic_requires() -> bool:
    from ..settings.services import get_settings
    return bool(get_settings().require_two_factor)


@bp.route("/account/")
@login_required
def index():
    return _index()


@bp.route("/account/password", methods=["POST"])
@login_required
def password():
    user = current_user
    form = PasswordChangeForm()
    form.account_words = (user.email, user.display_name)
    if form.validate_on_submit() and _current_password(form, "password_change_failed"):
        services.change_password(user, form.password.data)
        db.session.commit()
        flash("Password changed. You are logged out on your other devices.", "success")
        return redirect(url_for(".index"))
    return _index(password_form=form, status=400)


@bp.route("/account/two-factor", methods=["POST"])
@login_required
def two_factor_start():
    user = current_user
    if user.two_factor_on:
        return redirect(url_for(".index"))
    from flask_wtf import FlaskForm
    if not FlaskForm().validate_on_submit():  # the CSRF token alone
        return redirect(url_for(".index"))
    two_factor.start_enrolment(user)
    db.session.commit()
    return redirect(url_for(".two_factor_confirm"))


@bp.route("/account/two-factor/confirm", methods=["GET", "POST"])
@login_required
def two_factor_confirm():
    user = current_user
    secret = two_factor.secret_of(user)
    if user.two_factor_on or not secret:
        return redirect(url_for(".index"))
    form = EnrolForm()
    if form.validate_on_submit():
        codes = two_factor.confirm_enrolment(user, form.code.data)
        if codes:
            db.session.commit()
            return render_template("account/recovery_codes.html", codes=codes)
        db.session.rollback()
        form.code.errors.append("That code does not match. Check the app shows this account, "
                                "that your phone's clock is right, and enter the newest code.")
    from ..settings.services import get_settings
    uri = two_factor.provisioning_uri(user, issuer=get_settings().name or two_factor.ISSUER)
    return render_template("account/two_factor.html", form=form, qr=two_factor.qr_svg(uri),
                           secret=two_factor.grouped_secret(secret),
                           ), 200 if not form.errors else 400


@bp.route("/account/two-factor/off", methods=["POST"])
@login_required
def two_factor_off():
    user = current_user
    form = TwoFactorOffForm(prefix="off")
    if not user.two_factor_on:
        return redirect(url_for(".index"))
    if _clinic_requires():
        flash("The clinic requires two-factor login; an administrator can reset it if you have "
              "lost your phone.", "error")
        return redirect(url_for(".index"))
    if form.validate_on_submit() and _current_password(form, "two_factor_off_failed"):
        two_factor.turn_off(user)
        db.session.commit()
        flash("Two-factor login is off for your account.", "success")
        return redirect(url_for(".index"))
    return _index(off_form=form, status=400)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def recovery_codes():
    """Ten new recovery codes (the old ones stop working), after the current password."""
    user = current_user
    form = TwoFactorOffForm(prefix="codes")
    if not user.two_factor_on:
        return redirect(url_for(".index"))
    if form.validate_on_submit() and _current_password(form, "recovery_codes_failed"):
        codes = two_factor.new_recovery_codes(user)
        record("recovery_codes_renewed", "User", user.id)
        db.session.commit()
        return render_template("account/recovery_codes.html", codes=codes)
    return _index(codes_form=form, status=400)


# --- the warning before the idle logout (keepalive.js) ------------------------------------

@bp.route("/account/idle")
def idle():
    """Seconds before this browser's login ends for inactivity, read without counting as
    activity (so another tab's typing is seen, and asking does not keep anyone signed in)."""
    return jsonify(seconds_left=sessions.seconds_left(session.get("_user_id")))


@bp.route("/account/keep-alive", methods=["POST"])
@login_required
def keep_alive():
    """"Stay signed in": the idle time starts again."""
    sessions.touch(current_user.login_token)
    db.session.commit()
    return jsonify(seconds_left=sessions.seconds_left(current_user.login_token))


# --- the second step of a two-factor login ---------------------------------------------------

def await_code(user: User, next_url: str | None):
    """Called by the login view once the password is right: remember who is half-way (in the
    signed session cookie, for five minutes) and ask for the code."""
    session.clear()
    session[PENDING_KEY] = {"user_id": user.id, "at": int(time.time()),
                            "next": safe_next(next_url, "")}
    return redirect(url_for("account.login_code"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user_id"))
    if user is None or not user.active or not user.two_factor_on:
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash("Log in with your email and password first.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    key = f"login-code:{user.id}"
    if form.validate_on_submit():
        if _too_many(key):
            form.code.errors.append(f"Too many wrong codes. Wait {_minutes()} minutes, or ask "
                                    "an administrator to reset your two-factor login.")
        elif two_factor.verify_totp(user, form.code.data) or two_factor.use_recovery_code(
                user, form.code.data):
            throttle.clear(key)
            sessions.start(user)
            record("login", "User", user.id, user=user)
            db.session.commit()
            next_url = session[PENDING_KEY].get("next") or url_for("main.dashboard")
            session.clear()  # a fresh session (and CSRF secret) at every login
            login_user(user)
            session.permanent = True
            left = two_factor.recovery_codes_left(user)
            if left < two_factor.RECOVERY_CODES and not form.code.data.strip().isdigit():
                flash(f"You used a recovery code; {left} left. Your account page gives you new "
                      "ones.", "info")
            return redirect(safe_next(next_url, url_for("main.dashboard")))
        else:
            throttle.fail(key)
            record("login_code_failed", "User", user.id, user=user)
            db.session.commit()
            form.code.errors.append("That code is not right. Enter the newest code from your "
                                    "app, or a recovery code.")
    return render_template("auth/code.html", form=form), 200 if not form.errors else 400
