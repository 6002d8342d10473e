"""Administrators add, edit and deactivate users and reset passwords."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import submissions
from ..extensions import db
from ..permissions import require, role_can
from . import services, two_factor
from .forms import PasswordResetForm, UserCreateForm, UserEditForm
from .models import User

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.route("/")
@require("users.manage")
def index():
    stmt = select(User).order_by(User.active.desc(), User.display_name)
    users = db.session.execute(stmt).scalars()
    return render_template("users/index.html", users=users)


@bp.route("/new", methods=["GET", "POST"])
@require("users.manage")
def create():
    form = UserCreateForm()
    if request.method == "POST" and (done := submissions.replayed()) is not None:
        return done  # sent twice and the first made it: its address now counts as taken
    if form.validate_on_submit():
        if (done := submissions.claim()) is not None:
            return done  # sent twice: the first one made the account
        data = {k: v for k, v in form.data.items() if k in services.PROFILE_FIELDS}
        user = services.create_user(form.email.data, form.password.data, **data)
        try:
            if (done := submissions.commit(url_for(".index"))) is not None:
                return done
        except submissions.Clash:  # the same address registered at the same moment
            form.email.errors.append("An account with this email address was created at the "
                                     "same moment. Check the staff list.")
            return render_template("users/form.html", form=form, user=None), 409
        flash(f"{user.display_name} can now log in as {user.role_label.lower()}.", "success")
        return redirect(url_for(".index"))
    if form.errors and (done := submissions.replayed()) is not None:
        # The twin committed while this one was validating (its address check then saw the
        # twin's new row): the first result, not an "address taken" error.
        return done
    return render_template("users/form.html", form=form, user=None), 200 if not form.errors else 400


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require("users.manage")
def edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.user_id = user.id
    if form.validate_on_submit():
        if user.id == current_user.id and (not form.active.data
                                           or not role_can(form.role.data, "users.manage")):
            form.role.errors.append("You cannot remove your own administrator access.")
        else:
            services.update_user(user, form.data)
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for(".index"))
    return render_template("users/form.html", form=form, user=user,
                           reset=PasswordResetForm()), 200 if not form.errors else 400


@bp.route("/<int:user_id>/password", methods=["POST"])
@require("users.manage")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    reset = PasswordResetForm()
    if reset.validate_on_submit():
        services.set_password(user, reset.password.data)
        db.session.commit()
        flash(f"Password changed; {user.display_name} is logged out everywhere.", "success")
        return redirect(url_for(".edit", user_id=user.id))
    form = UserEditForm(formdata=None, obj=user)
    return render_template("users/form.html", form=form, user=user, reset=reset), 400


@bp.route("/<int:user_id>/two-factor/reset", methods=["POST"])
@require("users.manage")
def reset_two_factor(user_id: int):
    """For a lost phone: the user logs in with their password and sets it up again (at once, if
    the clinic requires it). Their logins end, in case the phone was stolen with a session."""
    user = db.get_or_404(User, user_id)
    if FlaskForm().validate_on_submit() and user.totp_secret:
        two_factor.turn_off(user, event="two_factor_reset")
        services.sessions.end_all(user)
        db.session.commit()
        flash(f"Two-factor login removed for {user.display_name}; they are logged out and can "
              "set it up again after their password.", "success")
    return redirect(url_for(".edit", user_id=user.id))
