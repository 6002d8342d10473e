"""Reading and changing the clinic settings row."""
from flask import current_app, g, has_request_context
from sqlalchemy import select

from ..extensions import db
from .models import ClinicSettings


def get_settings() -> ClinicSettings:
    """The settings row; until an admin saves one, unsaved defaults (no write on a GET).
    Read once per request: a page asks for the zone, letterhead and timeouts many times."""
    if has_request_context():
        row = g.get("clinic_settings")  # one lookup: every date on a page comes here
        if row is None:
            row = g.clinic_settings = _load()
        return row
    return _load()


_ROW = select(ClinicSettings).limit(1)  # built once: every page reads it


def the_row_id():
    """The settings row's id as a scalar subquery, for a statement that reads the row along
    with something else (the login lookup, accounts/sessions.py)."""
    return select(ClinicSettings.id).limit(1).scalar_subquery()


def remember(row: ClinicSettings | None) -> None:
    """This request's settings row, read by another statement (None: none saved yet)."""
    if row is not None and has_request_context():
        g.clinic_settings = row


def _load() -> ClinicSettings:
    row = db.session.execute(_ROW).scalar_one_or_none()
    if row is None:
        from ..clinical.safety import DEFAULT_CONSENT_TEXT
        row = ClinicSettings(name="Acupuncture Clinic", address="", phone="", email="",
                             time_zone=current_app.config["CLINIC_TIME_ZONE"],
                             consent_text=DEFAULT_CONSENT_TEXT, consent_version=1,
                             idle_timeout_minutes=current_app.config["IDLE_TIMEOUT_MINUTES"],
                             intake_link_days=current_app.config["INTAKE_LINK_DAYS"],
                             baseline_window_days=30, require_two_factor=False,
                             mail_from="", smtp_host="", smtp_port=587, smtp_tls="starttls",
                             smtp_username="", smtp_password_sealed="", reminder_hours=24)
    return row


def update(row: ClinicSettings, data: dict) -> None:
    """Apply validated form data; a changed consent text gets a new version number."""
    db.session.add(row)
    if data.get("consent_text") is not None and data["consent_text"] != row.consent_text:
        row.consent_version = (row.consent_version or 0) + 1
    window_changed = data.get("baseline_window_days") not in (None, row.baseline_window_days)
    for key in ("name", "address", "phone", "email", "time_zone", "date_style", "consent_text",
                "idle_timeout_minutes", "intake_link_days", "baseline_window_days",
                "require_two_factor", "mail_from", "smtp_host", "smtp_port", "smtp_tls",
                "smtp_username", "reminder_hours"):
        if key in data and not (data[key] is None and key in ("smtp_port", "reminder_hours")):
            setattr(row, key, data[key])
    set_smtp_password(row, data.get("smtp_password") or "",
                      clear=bool(data.get("smtp_password_clear")))
    if window_changed:
        # Every plan's dashboard row counted from the old baseline window: count them again
        # (the dashboard refills missing rows as it is read).
        from ..reports.plan_outcomes import forget_all
        forget_all()


def set_smtp_password(row: ClinicSettings, password: str, clear: bool = False) -> None:
    """Store a new SMTP password encrypted (tracker/sealing.py); empty keeps the current one.
    The audit trail records that it changed, never the value (the column is skipped)."""
    if not password and not (clear and row.smtp_password_sealed):
        return
    from ..audit.trail import record
    from ..sealing import seal
    row.smtp_password_sealed = seal(password) if password else ""
    record("update", "ClinicSettings", row.id or "",
           changes={"smtp_password": ["", "changed" if password else "removed"]})
