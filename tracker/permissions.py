"""What each role may do: the one place the server decides access."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

# Reception runs the front desk: demographics, schedules and intake links, never clinical content.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "reception": frozenset({
        "patients.view", "patients.edit", "patients.archive",
        "intake.send", "schedule.view", "schedule.manage",
    }),
    "practitioner": frozenset({
        "patients.view", "patients.edit", "patients.archive",
        "intake.send", "schedule.view", "schedule.manage",
        "clinical.view", "clinical.edit", "summary.print", "outcomes.view", "export.patient",
    }),
}
ROLE_PERMISSIONS["admin"] = ROLE_PERMISSIONS["practitioner"] | {
    "users.manage", "settings.manage", "audit.view", "export.research",
}


def can(user, permission: str) -> bool:
    """True when the user's role grants the permission."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def require(permission: str):
    """View decorator: login required, then 403 unless the role grants the permission."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_permission = permission  # read by the security tests' role matrix
        return wrapped
    return decorator
