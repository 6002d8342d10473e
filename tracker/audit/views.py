"""Administrators browse the audit trail; there is no way to edit it."""
from flask import Blueprint, render_template
from sqlalchemy import func, select

from ..accounts.models import User
from ..extensions import db
from ..paging import paginate
from ..patients.models import Patient
from ..permissions import require
from ..security import query_int
from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")


# What a row shows, as plain rows (read-only: no entity loaded per entry), with the patient's
# name from the same statement.
_ROWS = (select(AuditEntry.at, AuditEntry.user_email, AuditEntry.action, AuditEntry.entity,
                AuditEntry.entity_id, AuditEntry.patient_id, AuditEntry.changes, AuditEntry.ip,
                (Patient.family_name + ", " + Patient.given_name).label("patient_name"))
         .outerjoin(Patient, Patient.id == AuditEntry.patient_id)
         .order_by(AuditEntry.id.desc()))
_USERS = select(User.id, User.display_name).order_by(User.display_name)


@bp.route("/")
@require("audit.view")
def index():
    patient_id = query_int("patient_id")
    user_id = query_int("user_id")
    where = []
    if patient_id:
        where.append(AuditEntry.patient_id == patient_id)
    if user_id:
        where.append(AuditEntry.user_id == user_id)
    page = paginate(_ROWS.where(*where), page=query_int("page", 1), per_page=50, max_per_page=200,
                    rows=True, count=select(func.count()).select_from(AuditEntry).where(*where))
    return render_template("audit/index.html", page=page, users=db.session.execute(_USERS),
                           patient_id=patient_id, user_id=user_id)
