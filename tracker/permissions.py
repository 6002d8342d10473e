"""What each role may do: the one place the server decides access."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

# Treats patients: can be a patient's or an appointment's practitioner, keeps a diary and working
# hours, and is the practitioner by default on the plans and appointments they create.
TREATS_PATIENTS = "patients.treat"
# Oversees the clinic: pages that show one diary or the whole clinic's open on the whole clinic.
OVERSEES_CLINIC = "clinic.oversee"

# Reception runs the front desk: demographics, schedules and intake links, never clinical content.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "reception": frozenset({
        "patients.view", "patients.edit", "patients.archive",
        "intake.send", "schedule.view", "schedule.manage", "messages.view",
    }),
    "practitioner": frozenset({
        "patients.view", "patients.edit", "patients.archive",
        "intake.send", "schedule.view", "schedule.manage", "messages.view", TREATS_PATIENTS,
        "clinical.view", "clinical.edit", "summary.print", "outcomes.view", "export.patient",
    }),
}
ROLE_PERMISSIONS["admin"] = ROLE_PERMISSIONS["practitioner"] | {
    "users.manage", "settings.manage", "audit.view", "export.research", OVERSEES_CLINIC,
}


def role_can(role: str | None, permission: str) -> bool:
    """True when the role grants the permission (a role name, e.g. from a form or a staff row)."""
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())


def roles_with(permission: str) -> tuple[str, ...]:
    """The roles granting a permission, for filtering staff rows in SQL."""
    return tuple(sorted(role for role, grants in ROLE_PERMISSIONS.items() if permission in grants))


def can(user, permission: str) -> bool:
    """True when the signed-in, active user's role grants the permission."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return role_can(user.role, permission)


def treats_patients(user) -> bool:
    """Whether this staff member treats patients. By role alone (not whether they are signed in),
    so it answers for any staff row: an inactive practitioner's diary is still a diary."""
    return user is not None and role_can(getattr(user, "role", None), TREATS_PATIENTS)


def treating_staff():
    """SQL condition on User for the staff who treat patients (lists of practitioners)."""
    from .accounts.models import User  # accounts imports views that import this module
    return User.role.in_(roles_with(TREATS_PATIENTS))


def own_practitioner_id(user) -> int | None:
    """The user as the practitioner of what they create or the diary they open, if they treat
    patients; None for those who do not (reception picks a practitioner)."""
    return user.id if treats_patients(user) else None


def own_diary_id(user) -> int | None:
    """Whose appointments a page that shows either one diary or the whole clinic starts with: a
    practitioner's own; None (the whole clinic) for reception and for those who oversee it."""
    if role_can(getattr(user, "role", None), OVERSEES_CLINIC):
        return None
    return own_practitioner_id(user)


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
