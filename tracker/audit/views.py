"""Administrators browse the audit trail; there is no way to edit it."""
from flask import Blueprint, render_template
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..patients.models import Patient
from ..permissions import require
from ..security import query_int
from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@require("audit.view")
def index():
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    patient_id = query_int("patient_id")
    user_id = query_int("user_id")
    if patient_id:
        stmt = stmt.where(AuditEntry.patient_id == patient_id)
    if user_id:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    page = db.paginate(stmt, page=query_int("page", 1), per_page=50, max_per_page=200)
    users = db.session.execute(select(User).order_by(User.display_name)).scalars()
    ids = {e.patient_id for e in page.items if e.patient_id}
    names = dict(db.session.execute(
        select(Patient.id, Patient.family_name + ", " + Patient.given_name)
        .where(Patient.id.in_(ids))).all()) if ids else {}
    return render_template("audit/index.html", page=page, users=users, names=names,
                           patient_id=patient_id, user_id=user_id)
