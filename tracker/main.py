"""The dashboard a user lands on after login."""
from flask import Blueprint, render_template
from flask_login import current_user

from . import panels
from .patients.services import count_active
from .permissions import require

bp = Blueprint("main", __name__)


@bp.route("/healthz")
def healthz():
    """A bare route for load balancers, and the baseline the benchmark compares pages with."""
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.route("/")
@require("patients.view")
def dashboard():
    return render_template("dashboard.html", patient_count=count_active(),
                           panels=panels.for_dashboard(current_user))
