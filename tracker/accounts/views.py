"""Login, logout and the one-time first-run setup page."""
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
from flask_login import current_user, login_required, login_user, logout_user

from ..audit.trail import record
from ..extensions import db
from ..security import safe_next
from . import services, sessions
from .forms import LoginForm, SetupForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data)
        if result.throttled:
            minutes = -(-result.retry_after // 60)  # whole minutes, rounded up
            form.password.errors.append(
                f"Too many failed attempts from this device. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}, or ask an administrator to reset your "
                "password.")
        elif result.user is None:
            form.password.errors.append("That email and password do not match an active account.")
        elif result.needs_code:  # two-factor login: the code comes next, on its own page
            from .account_views import await_code
            return await_code(result.user, request.args.get("next"))
        else:
            session.clear()  # a fresh session (and CSRF secret) at every login
            login_user(result.user)
            session.permanent = True
            return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end(current_user.login_token)
    record("logout", "User", current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if services.any_user_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k in services.PROFILE_FIELDS}
        user = services.create_first_admin(form.email.data, form.password.data, **data)
        if user is None:  # another setup, posted at the same moment, created the administrator
            flash("The clinic has just been set up: log in with your account.", "info")
            return redirect(url_for("auth.login"))
        sessions.start(user)
        record("setup", "User", user.id, user=user)
        db.session.commit()
        session.clear()
        login_user(user)
        session.permanent = True
        flash("Welcome. Your administrator account is ready: add your colleagues next.", "success")
        return redirect(url_for("users.index"))
    return render_template("auth/setup.html", form=form), 200 if not form.errors else 400
