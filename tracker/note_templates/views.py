"""Settings: the clinic's note templates, kept by those who manage the clinic's settings."""
from flask import Blueprint, flash, redirect, render_template, url_for

from ..extensions import db
from ..forms import EmptyForm
from ..permissions import require
from . import services
from .forms import NoteTemplateForm
from .models import SECTIONS, NoteTemplate

bp = Blueprint("note_templates", __name__, url_prefix="/settings/note-templates")


@bp.route("/", methods=["GET", "POST"])
@require("settings.manage")
def index():
    """The list, and the form that adds one."""
    form = NoteTemplateForm()
    if form.validate_on_submit():
        row = services.save(None, form.data)
        db.session.commit()
        flash(f"Note template “{row.label}” added to {row.section_label}.", "success")
        return redirect(url_for(".index"))
    return render_template("note_templates/index.html", form=form, sections=SECTIONS,
                           rows=services.all_templates(), delete_form=EmptyForm()
                           ), 400 if form.errors else 200


@bp.route("/<int:template_id>", methods=["GET", "POST"])
@require("settings.manage")
def edit(template_id: int):
    row = db.get_or_404(NoteTemplate, template_id)
    form = NoteTemplateForm(obj=row)
    if form.validate_on_submit():
        services.save(row, form.data)
        db.session.commit()
        flash(f"Note template “{row.label}” saved.", "success")
        return redirect(url_for(".index"))
    return render_template("note_templates/edit.html", form=form, row=row
                           ), 400 if form.errors else 200


@bp.route("/<int:template_id>/delete", methods=["POST"])
@require("settings.manage")
def delete(template_id: int):
    row = db.get_or_404(NoteTemplate, template_id)
    if EmptyForm().validate_on_submit():
        label = row.label
        services.delete(row)
        db.session.commit()
        flash(f"Note template “{label}” removed. Notes that used it keep their text.", "success")
    return redirect(url_for(".index"))
