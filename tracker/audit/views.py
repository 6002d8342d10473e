"""Administrators browse the audit trail; there is no way to edit it."""
from flask import Blueprint, render_template, request
from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..permissions import require
from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@require("audit.view")
def index():
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    patient_id = request.args.get("patient_id", type=int)
    user_id = request.args.get("user_id", type=int)
    if patient_id:
        stmt = stmt.where(AuditEntry.patient_id == patient_id)
    if user_id:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    page = db.paginate(stmt, per_page=50, max_per_page=200)
    users = db.session.execute(select(User).order_by(User.display_name)).scalars()
    return render_template("audit/index.html", page=page, users=users,
                           patient_id=patient_id, user_id=user_id)
