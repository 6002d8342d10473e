"""Login, logout and the one-time first-run setup page."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.utils import login_url
from sqlalchemy.exc import SQLAlchemyError

from ..audit.trail import record
from ..extensions import db, login_manager
from ..security import safe_next
from . import held, services, sessions
from .forms import LoginForm, SetupForm

bp = Blueprint("auth", __name__)


def signed_out():
    """Flask-Login's answer to a request without a valid login. A page's fetch (autosave,
    "stay signed in") gets 401 JSON it can tell apart from a saved draft, not the login page
    with a 200. A form posted after the login expired is held (accounts/held.py) and sent on
    once the same person signs in again. Anything else goes to the login page and back."""
    if request.headers.get("X-Requested-With") == "fetch":
        return jsonify(saved=False, signed_out=True, login=url_for("auth.login")), 401
    if request.method == "POST" and (one_time := _hold_post()):
        return redirect(url_for("auth.login", resume=one_time))
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(safe_next(login_url(login_manager.login_view, request.url),
                              url_for("auth.login")))


def _hold_post() -> str | None:
    if request.endpoint in held.NOT_HELD or any(f.filename for f in request.files.values()):
        return None
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not g.get("csrf_valid"):
        return None  # only a post that passed the CSRF check is kept
    user = held.user_of_login(session.get("_user_id"))
    if user is None:
        return None
    query = request.query_string.decode("utf-8", "replace")
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    try:
        one_time = held.hold(user, request.path + (f"?{query}" if query else ""), fields)
        db.session.commit()
    except SQLAlchemyError:  # the database refused: the plain login page, as before
        db.session.rollback()
        current_app.logger.warning("a form posted after the login expired was not held")
        return None
    return one_time


@bp.route("/login", methods=["GET", "POST"])
def login():
    resume = request.args.get("resume", "")
    # After a held form (signed_out): where it is sent on, once this is its sender.
    after = url_for("auth.resume", one_time=resume) if held.ID.fullmatch(resume) else None
    if current_user.is_authenticated:
        return redirect(after or url_for("main.dashboard"))
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
            return await_code(result.user, after or request.args.get("next"))
        else:
            session.clear()  # a fresh session (and CSRF secret) at every login
            login_user(result.user)
            session.permanent = True
            return redirect(safe_next(after or request.args.get("next"),
                                      url_for("main.dashboard")))
    return render_template("auth/login.html", form=form, held=held.waiting(resume),
                           hold_minutes=int(held.HOLD.total_seconds() // 60)
                           ), 200 if not form.errors else 400


@bp.route("/login/resume/<one_time>")
@login_required
def resume(one_time: str):
    """Hand a held form back to its sender, once: the page posts it to where it was going, with
    this login's CSRF token (keepalive.js sends it at once; without JavaScript, one button)."""
    row = held.take(one_time, current_user)
    if row is None:
        flash("That form is no longer kept: it was sent already, or it waited more than "
              f"{int(held.HOLD.total_seconds() // 60)} minutes. Open the page again to see "
              "what was saved.", "warning")
        return redirect(url_for("main.dashboard"))
    path, fields = row.path, row.fields
    db.session.commit()
    return render_template("auth/resume.html", path=path, fields=fields)


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
