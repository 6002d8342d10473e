"""The feature panels on the patient page, the dashboard and the appointment page.

Each page has one list of panel functions; each takes what the page is about (the patient, the
appointment, or nothing for the dashboard) and the user, and returns its panel's data, or None
(or empty) when the user may not see it, without querying. The page's view calls the list and
passes the results to the template as `panels`; each feature's partial only draws its entry, so
no template runs a query of its own."""
from collections.abc import Callable
from typing import Any

from . import clock, courses
from .extensions import db
from .flags import services as flags
from .intake import progress as intake_progress
from .intake import services as intake
from .intake import triage
from .messages import notify
from .patients.models import Patient
from .permissions import can, own_diary_id
from .plans import services as plans
from .portal import services as portal
from .reports import summary
from .schedule import services as schedule
from .schedule import week
from .schedule.models import Appointment
from .sessions import services as sessions

# --- The patient page -------------------------------------------------------------------------

def intake_panel(patient: Patient, user) -> dict:
    """Links and intakes for everyone who sees the page; answers and flags only for clinicians."""
    clinical = can(user, "clinical.view")
    intakes = intake.intakes_for(patient.id)  # newest first
    invitations = intake.invitations_for(patient.id)
    return {"invitations": invitations, "intakes": intakes,
            "emailed": notify.intake_links_sent([i.id for i in invitations]),
            "progress": intake_progress.of(intakes[0] if intakes else None),
            "flags": flags.active_for(patient.id) if clinical else [], "clinical": clinical}


def plans_panel(patient: Patient, user) -> dict:
    """Assessments and plans with their progress (clinicians), and upcoming appointments."""
    data: dict = {"assessments": [], "plans": [], "upcoming": []}
    if can(user, "clinical.view"):  # the panel names no practitioner: read without them
        data["assessments"] = plans.assessments_for(patient.id, with_practitioner=False,
                                                    limit=5)
        data["plans"] = courses.progress_of(plans.plans_for(patient.id, with_practitioner=False))
    if can(user, "schedule.view"):
        data["upcoming"] = schedule.upcoming_for_patient(patient.id, 8)
    return data


def reports_panel(patient: Patient, user) -> dict:
    """Summary links for those who may print, with how the most recent course is going."""
    if not can(user, "summary.print"):
        return {"plans": [], "latest": None}
    items = summary.plans_of(patient.id)
    # At a glance, by the same rules as the letter (its headline only, not the whole letter).
    latest = {"plan": items[0], "headline": summary.headline_of(patient, items[0])} if items \
        else None
    return {"plans": items, "latest": latest}


def sessions_panel(patient: Patient, user) -> dict | None:
    """The newest sessions (clinicians only; reception never sees them)."""
    if not can(user, "clinical.view"):
        return None
    return {"page": sessions.timeline_page(patient.id, 1, 10, error_out=False)}


def portal_panel(patient: Patient, user) -> dict | None:
    """The patient's own page (opt-in), their next check-in, requests to cancel or move a visit
    and an address awaiting a clinician (portal/services.panel)."""
    return portal.panel(patient, user)


PATIENT_PANELS: list[tuple[str, Callable[[Patient, Any], Any]]] = [
    ("intake", intake_panel), ("plans", plans_panel), ("reports", reports_panel),
    ("sessions", sessions_panel), ("portal", portal_panel)]


def for_patient(patient: Patient, user) -> dict[str, Any]:
    return {name: panel(patient, user) for name, panel in PATIENT_PANELS}


# --- The dashboard ----------------------------------------------------------------------------

def _mine(user) -> int | None:
    """A practitioner's dashboard is about their own patients; everyone else's, the clinic's."""
    return own_diary_id(user)


def schedule_dashboard(user) -> dict | None:
    if not can(user, "schedule.view"):
        return None
    mine = _mine(user)
    today = week.cards(clock.today(), clock.zone(), mine, days=1)
    # Clinicians record a visit straight from the list: its record's state, one query.
    records = (sessions.states_by_appointment([c.id for c in today])
               if can(user, "clinical.edit") else None)
    return {"today": today, "reevals": schedule.reevals_due(mine), "mine": mine,
            "records": records}


def intake_dashboard(user) -> dict | None:
    """Intakes awaiting review in triage order (intake/triage.py), each with its flag group."""
    if not can(user, "clinical.view"):
        return None
    # Each with its group from the rank the statement orders by (no second query).
    waiting = db.session.execute(triage.awaiting_review(grouped=True).limit(8))
    return {"items": [(item, triage.RANKED[rank]) for item, rank in waiting],
            "rule": triage.ORDER_RULE}


def plans_dashboard(user) -> dict | None:
    if not can(user, "clinical.view"):
        return None
    return courses.plans_dashboard(clock.today(), clock.now(), _mine(user))


def sessions_dashboard(user) -> list:
    """The user's own session records left unsigned for more than a day."""
    return sessions.unsigned_overdue(user.id) if can(user, "clinical.edit") else []


DASHBOARD_PANELS: list[tuple[str, Callable[[Any], Any]]] = [
    ("schedule", schedule_dashboard), ("intake", intake_dashboard),
    ("plans", plans_dashboard), ("sessions", sessions_dashboard)]


def for_dashboard(user) -> dict[str, Any]:
    return {name: panel(user) for name, panel in DASHBOARD_PANELS}


# --- The appointment page ---------------------------------------------------------------------

def session_record(appointment: Appointment, user) -> dict | None:
    """The visit's session record, or whether one can be started yet (clinicians, for a visit
    that is scheduled or attended)."""
    if not (can(user, "clinical.edit") and appointment.status in ("scheduled", "attended")):
        return None
    record = sessions.for_appointment(appointment)
    return {"record": record,
            "can_start": record is None and sessions.can_start(appointment)}


APPOINTMENT_PANELS: list[tuple[str, Callable[[Appointment, Any], Any]]] = [
    ("session", session_record)]


def for_appointment(appointment: Appointment, user) -> dict[str, Any]:
    return {name: panel(appointment, user) for name, panel in APPOINTMENT_PANELS}
