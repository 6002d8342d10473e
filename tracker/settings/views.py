"""Clinic settings page."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..forms import EmptyForm
from ..permissions import require
from ..schedule import services as schedule
from . import logo
from .forms import LogoForm, SettingsForm
from .services import get_settings, update

bp = Blueprint("settings", __name__, url_prefix="/settings")
bp.add_app_template_global(logo.data_uri, "clinic_logo")  # the letterhead of every letter


@bp.route("/", methods=["GET", "POST"])
@require("settings.manage")
def edit():
    row = get_settings()
    form = SettingsForm(obj=row)
    if form.validate_on_submit():
        before = row.time_zone
        update(row, form.data)
        moved = schedule.time_zone_moves(before, row.time_zone)
        db.session.commit()
        flash("Clinic settings saved.", "success")
        if moved:
            flash(moved, "warning")
        return redirect(url_for(".edit"))
    if form.errors and form.smtp_password.data:
        # A password field is never filled back in: say it was not kept, beside it.
        form.smtp_password.errors.append("The new password was not saved because of the "
                                         "problems on this page: enter it again.")
    return _page(form), 200 if not form.errors else 400


def _page(form: SettingsForm, logo_form: LogoForm | None = None) -> str:
    return render_template("settings/form.html", form=form,
                           version=get_settings().consent_version,
                           logo_form=logo_form or LogoForm(), logo=logo.current(),
                           logo_uri=logo.data_uri(), remove_form=EmptyForm())


@bp.route("/logo", methods=["POST"])
@require("settings.manage")
def logo_upload():
    request.max_content_length = logo.MAX_REQUEST_BYTES  # too large is said beside the field
    form = LogoForm()
    if form.validate_on_submit():
        try:
            logo.save(form.logo.data.read(logo.MAX_UPLOAD_BYTES + 1))
        except logo.LogoError as e:
            form.logo.errors.append(str(e))
        else:
            db.session.commit()
            flash("Logo saved: it now heads summaries and referral letters.", "success")
            return redirect(url_for(".edit") + "#logo-settings")
    return _page(SettingsForm(obj=get_settings(), formdata=None), form), 400


@bp.route("/logo/remove", methods=["POST"])
@require("settings.manage")
def logo_remove():
    if EmptyForm().validate_on_submit():
        logo.remove()
        db.session.commit()
        flash("Logo removed.", "success")
    return redirect(url_for(".edit") + "#logo-settings")
