"""Clinic settings page."""
from flask import Blueprint, flash, redirect, render_template, url_for

from ..extensions import db
from ..permissions import require
from .forms import SettingsForm
from .services import get_settings, update

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@require("settings.manage")
def edit():
    row = get_settings()
    form = SettingsForm(obj=row)
    if form.validate_on_submit():
        update(row, form.data)
        db.session.commit()
        flash("Clinic settings saved.", "success")
        return redirect(url_for(".edit"))
    return render_template("settings/form.html", form=form,
                           version=row.consent_version), 200 if not form.errors else 400
