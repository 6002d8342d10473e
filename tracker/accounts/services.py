"""Account operations: first-run setup, login with throttling, user administration."""
from dataclasses import dataclass

from sqlalchemy import func, select

from ..audit.trail import record
from ..extensions import db
from . import login_throttle, sessions
from .models import User
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


def create_user(email: str, password: str, **profile) -> User:
    """Add a user; the caller commits."""
    user = User(email=normalize_email(email), password_hash=hash_password(password),
                **{k: v for k, v in profile.items() if k in PROFILE_FIELDS})
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, data: dict) -> None:
    for key in PROFILE_FIELDS + ("active",):
        if key in data:
            setattr(user, key, data[key])
    if "email" in data:
        user.email = normalize_email(data["email"])
    if not user.active:
        sessions.end_all(user)


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    sessions.end_all(user)
    login_throttle.reset(user.email)  # as the reset page says: the account can log in again
    record("password_reset", "User", user.id)


@dataclass
class LoginResult:
    user: User | None = None
    throttled: bool = False
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
    if user is None:
        burn_time(password)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        login_throttle.failed(email)
        record("login_failed", "User", user.id if user else "", user_email=normalize_email(email))
        db.session.commit()
        return LoginResult()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    login_throttle.succeeded(email)
    sessions.start(user)
    record("login", "User", user.id, user=user)
    db.session.commit()
    return LoginResult(user=user)
