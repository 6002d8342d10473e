"""Staff users and their server-side login sessions."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

ROLES = {"admin": "Administrator", "practitioner": "Practitioner", "reception": "Reception"}


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __audited__ = True
    audit_skip = frozenset({"password_hash", "totp_secret", "totp_last_step"})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(60), default="")
    licence_number: Mapped[str] = mapped_column(String(60), default="")
    years_in_practice: Mapped[int | None]
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    default_needle: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Two-factor login (TOTP, accounts/two_factor.py): a secret set while enrolling, in use once
    # confirmed with a code (totp_enabled_at); the last accepted time step, so a code works once.
    totp_secret: Mapped[str | None] = mapped_column(String(255))  # sealed (tracker/sealing.py)
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    # Set by the login-session loader; Flask-Login stores it in the cookie instead of the user id,
    # so logging out (ending the session row) makes a copied cookie worthless.
    login_token = None  # not a column

    def get_id(self) -> str | None:
        return self.login_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def two_factor_on(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def signature_name(self) -> str:
        return f"{self.display_name}, {self.credentials}" if self.credentials else self.display_name

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginSession(db.Model):
    """One row per login; the cookie carries only a random token whose hash is stored here."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User] = db.relationship()


class ThrottleEvent(db.Model):
    """A failed attempt counted against a key ("login-email:...", "login-ip:...", "intake-ip:...").

    Kept in the database so every gunicorn worker sees the same count.
    """

    __tablename__ = "throttle_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecoveryCode(db.Model):
    """A one-time two-factor recovery code, stored as its SHA-256 (80 random bits each)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]


class HeldSubmission(db.Model):
    """A form posted after its sender's login had expired (accounts/held.py): kept here, never in
    the cookie, until the same person signs in again and sends it on; deleted when handed back,
    or by `flask maintenance` once held.HOLD has passed. Only the SHA-256 of its one-time id is
    stored."""

    __tablename__ = "held_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(2000))  # where it was posted, with its query
    fields: Mapped[list[list[str]]] = mapped_column(JSON)  # [name, value] pairs, in order
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FirstRun(db.Model):
    """At most one row (id 1, by its primary key and a check): the first-run setup inserts it in
    the transaction that creates the first administrator, so of concurrent setups one commits."""

    __tablename__ = "first_run"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
