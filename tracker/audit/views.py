"""Administrators browse the audit trail; there is no way to edit it.

Times are shown on the clinic's wall clock (the `localdt` filter, like every other page) and the
date filters are clinic days, turned into UTC instants by tracker/clock.py: a day is [its start,
the next day's start), 23 or 25 hours on a daylight-saving change."""
from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from .. import clock
from ..accounts.models import User
from ..extensions import db
from ..paging import paginate
from ..patients.models import Patient
from ..permissions import require
from ..security import query_int
from ..templating import id_url
from . import labels
from .forms import AuditDatesForm
from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")


# What a row shows, as plain rows (read-only: no entity loaded per entry), with the patient's
# name from the same statement (no statement per row, none for the page's names).
_ROWS = (select(AuditEntry.at, AuditEntry.user_email, AuditEntry.action, AuditEntry.entity,
                AuditEntry.entity_id, AuditEntry.patient_id, AuditEntry.changes, AuditEntry.ip,
                (Patient.given_name + " " + Patient.family_name).label("patient_name"))
         .outerjoin(Patient, Patient.id == AuditEntry.patient_id)
         .order_by(AuditEntry.id.desc()))
_USERS = select(User.id, User.display_name).order_by(User.display_name)


@bp.route("/")
@require("audit.view")
def index():
    patient_id = query_int("patient_id")
    user_id = query_int("user_id")
    dates = AuditDatesForm(request.args)
    invalid = bool(request.args.keys() & {"since", "until"}) and not dates.validate()
    where = []
    if patient_id:
        where.append(AuditEntry.patient_id == patient_id)
    if user_id:
        where.append(AuditEntry.user_id == user_id)
    if invalid:  # as the intake list: the errors, no rows that ignore what was asked
        return render_template("audit/index.html", page=None, users=db.session.execute(_USERS),
                               patient_id=patient_id, user_id=user_id, dates=dates,
                               zone=clock.zone().key), 400
    if dates.since.data or dates.until.data:
        tz = clock.zone()
        if dates.since.data:
            where.append(AuditEntry.at >= clock.day_start(dates.since.data, tz))
        if dates.until.data:
            where.append(AuditEntry.at < clock.day_bounds(dates.until.data, tz)[1])
    page = paginate(_ROWS.where(*where), page=query_int("page", 1), per_page=50, max_per_page=200,
                    rows=True, count=select(func.count()).select_from(AuditEntry).where(*where))
    return render_template(
        "audit/index.html", page=page, users=db.session.execute(_USERS), patient_id=patient_id,
        user_id=user_id, dates=dates, zone=clock.zone().key, label=labels.label,
        record_url=labels.record_urls(e.entity for e in page.items), shown=labels.value_text,
        patient_url=id_url("patients.detail", "patient_id"))
