"""Account operations: first-run setup, login with throttling, user administration."""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.trail import record
from ..extensions import db
from ..permissions import role_can
from . import login_throttle, sessions
from .models import FirstRun, User
from .passwords import burn_time, hash_password, needs_rehash, verify_password


def normalize_email(email: str) -> str:
    return email.strip().lower()


def any_user_exists() -> bool:
    return db.session.execute(select(User.id).limit(1)).first() is not None


def find_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalize_email(email))
    ).scalar_one_or_none()


def email_taken(email: str, except_id: int | None = None) -> bool:
    stmt = select(func.count()).select_from(User).where(User.email == normalize_email(email))
    if except_id:
        stmt = stmt.where(User.id != except_id)
    return db.session.execute(stmt).scalar_one() > 0


PROFILE_FIELDS = ("display_name", "credentials", "licence_number", "years_in_practice",
                  "role", "default_needle")
# What only someone who treats has: it prints after their name on notes and letters.
CLINICAL_PROFILE = {"credentials": "", "licence_number": "", "years_in_practice": None,
                    "default_needle": ""}


def _profile(data: dict, role: str | None) -> dict:
    """The profile fields to store: a role that does not treat (reception) keeps no clinical
    credentials, whatever the form sent."""
    kept = {k: v for k, v in data.items() if k in PROFILE_FIELDS}
    return kept if role_can(role, "clinical.view") else kept | CLINICAL_PROFILE


def create_user(email: str, password: str, **profile) -> User:
    """Add a user; the caller commits."""
    user = User(email=normalize_email(email), password_hash=hash_password(password),
                **_profile(profile, profile.get("role")))
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, data: dict) -> None:
    for key, value in _profile(data, data.get("role", user.role)).items():
        setattr(user, key, value)
    if "active" in data:
        user.active = data["active"]
    if "email" in data:
        user.email = normalize_email(data["email"])
    if not user.active:
        sessions.end_all(user)


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    sessions.end_all(user)
    login_throttle.reset(user.email)  # as the reset page says: the account can log in again
    record("password_reset", "User", user.id)


def change_password(user: User, password: str) -> None:
    """The user's own change: their other logins end, this one stays; the caller commits."""
    user.password_hash = hash_password(password)
    sessions.end_all(user, keep=user.login_token)
    record("password_changed", "User", user.id, user=user)


def create_first_admin(email: str, password: str, **profile) -> User | None:
    """The first-run administrator, or None when a concurrent setup got there first: the one
    first_run row (primary key 1) lets exactly one such transaction commit, on SQLite (writers
    queue) and PostgreSQL (the second insert waits for the first, then conflicts)."""
    try:
        user = create_user(email, password, role="admin", **profile)
        db.session.add(FirstRun(id=1, user_id=user.id))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return user


@dataclass
class LoginResult:
    user: User | None = None
    throttled: bool = False
    needs_code: bool = False  # the password was right; two-factor login asks for a code next
    retry_after: int = 0  # seconds, when throttled


def authenticate(email: str, password: str) -> LoginResult:
    """Check credentials; failures slow down per account and per client (login_throttle.py)."""
    verdict = login_throttle.check(email)
    if verdict.wait_seconds:
        login_throttle.refused(email, verdict)
        db.session.commit()
        return LoginResult(throttled=True, retry_after=verdict.wait_seconds)
    login_throttle.pause(verdict.delay)
    user = find_by_email(email)
    # Every failure costs one argon2 verification, so timing tells unknown, deactivated and
    # active accounts apart no more than the message does.
    if user is None:
        burn_time(password)
    matches = user is not None and verify_password(user.password_hash, password)
    if user is None or not user.active or not matches:
        login_throttle.failed(email)
        record("login_failed", "User", user.id if user else "", user_email=normalize_email(email))
        db.session.commit()
        return LoginResult()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    login_throttle.succeeded(email)
    if user.two_factor_on:
        # Not logged in yet: the login view asks for the code (account_views.login_code).
        record("login_password_ok", "User", user.id, user=user)
        db.session.commit()
        return LoginResult(user=user, needs_code=True)
    sessions.start(user)
    record("login", "User", user.id, user=user)
    db.session.commit()
    return LoginResult(user=user)
