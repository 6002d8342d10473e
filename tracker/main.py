"""The dashboard a user lands on after login."""
from flask import Blueprint, render_template
from flask_login import current_user

from . import nav, panels
from .extensions import db
from .patients.services import count_active
from .permissions import require

bp = Blueprint("main", __name__)


@bp.route("/healthz")
def healthz():
    """A bare route for load balancers, and the baseline the benchmark compares pages with."""
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.route("/readyz")
def readyz():
    """Readiness: 200 "ready" when the database answers within its time limits, takes writes and
    is at the migrations' head; else 503 "not ready: <cause>" (a load balancer stops sending
    requests until it recovers). Reads only, nothing from any patient."""
    from .failures import UNAVAILABLE, cause, is_unavailable
    problem = None
    try:
        problem = _database_problem()
    except UNAVAILABLE as error:
        if not is_unavailable(error):
            raise
        problem = cause(error)
    finally:
        db.session.remove()
    if problem:
        return f"not ready: {problem}\n", 503, {"Content-Type": "text/plain", "Retry-After": "10"}
    return "ready\n", 200, {"Content-Type": "text/plain"}


def _database_problem() -> str | None:
    import os
    import shutil

    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask import current_app
    from sqlalchemy import text

    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        current = set(MigrationContext.configure(conn).get_current_heads())
        if conn.dialect.name == "postgresql" and conn.execute(
                text("SHOW transaction_read_only")).scalar() == "on":
            return "the database is read-only"
    heads = current_app.extensions.setdefault("tracker_migration_heads", set(
        ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        .get_heads()))
    if current != heads:
        at = ", ".join(sorted(current)) or "no migration"
        return (f"the database schema is at {at}, this code needs {', '.join(sorted(heads))} "
                "(run flask db upgrade)")
    path = db.engine.url.database if db.engine.dialect.name == "sqlite" else None
    if path and path != ":memory:":
        if not os.access(path, os.W_OK):
            return "the database is read-only"
        if shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free < 1024 * 1024:
            return "the database's disk is full"
    return None


@bp.route("/")
@require("patients.view")
def dashboard():
    # The intake card's total is the navigation badge's count (read once for both).
    return render_template("dashboard.html", patient_count=count_active(),
                           panels=panels.for_dashboard(current_user),
                           intakes_waiting=nav.count("intakes"))
