"""Two-factor login: TOTP codes (RFC 6238, pyotp) with one-time recovery codes.

Enrolling sets a secret on the user; it is used only once a code from the app is confirmed. A code
is accepted once (the last accepted time step is kept), one step of clock drift either way.
Recovery codes are 80 random bits each, shown once and stored as SHA-256 hashes. The secret is
stored sealed (tracker/sealing.py): a copy of the database alone cannot make codes."""
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, select

from ..audit.trail import record
from ..extensions import db
from ..sealing import Unreadable, seal, unseal
from ..security import token_hash
from ..timeutil import utcnow
from . import sessions
from .models import RecoveryCode, User

ISSUER = "Clinic tracker"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand


def start_enrolment(user: User) -> str:
    """A new secret for the user; not in use until confirmed. The caller commits."""
    secret = pyotp.random_base32()
    user.totp_secret = seal(secret)
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return secret


def secret_of(user: User) -> str | None:
    """The user's TOTP secret, or None when there is none or it was sealed under another key
    (the instance's key changed: an administrator resets the user's two-factor login)."""
    try:
        return unseal(user.totp_secret or "") or None
    except Unreadable:
        current_app.logger.error("two-factor secret of user %s is unreadable (key changed?)",
                                 user.id)
        return None


def provisioning_uri(user: User, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret_of(user)).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG (attributes only: the CSP allows no inline style)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2,
                                                 title="QR code for your authenticator app")


def grouped_secret(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def verify_totp(user: User, code: str, at: datetime | None = None) -> bool:
    """True for a current code not used before; records its time step so it cannot be replayed."""
    code = _normalize_code(code)
    secret = secret_of(user)
    if not secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now = at or utcnow()
    step_now = totp.timecode(now)
    for drift in (0, -1, 1):
        step = step_now + drift
        if secrets.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn two-factor on with a first code; returns the recovery codes to show once."""
    if user.totp_secret is None or user.totp_enabled_at is not None:
        return None
    if not verify_totp(user, code):
        return None
    user.totp_enabled_at = utcnow()
    codes = new_recovery_codes(user)
    # Logins made with the password alone end: from now on the account needs its second factor.
    sessions.end_all(user, keep=user.login_token)
    record("two_factor_enabled", "User", user.id)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))  # 16 x log2(31) > 79 bits
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=token_hash(raw)))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code (each works once)."""
    raw = _normalize_code(code)
    if len(raw) != 16:
        return False
    row = db.session.execute(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == token_hash(raw),
        RecoveryCode.used_at.is_(None))).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = utcnow()
    record("recovery_code_used", "User", user.id)
    return True


def recovery_codes_left(user: User) -> int:
    return len(db.session.execute(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def turn_off(user: User, event: str = "two_factor_disabled") -> None:
    """Remove the second factor (the user with their password, or an administrator's reset)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(event, "User", user.id)


def required(user: User) -> bool:
    """The clinic requires two-factor login and this user has not set it up yet."""
    from ..settings.services import get_settings
    return bool(get_settings().require_two_factor) and not user.two_factor_on
