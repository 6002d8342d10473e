"""Server-side login sessions: rotation at login, idle and absolute timeouts, real logout."""
import secrets
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..failures import UNAVAILABLE, is_unavailable, rollback
from ..security import token_hash
from ..settings import services as settings
from ..settings.models import ClinicSettings
from ..timeutil import as_utc, utcnow
from .models import LoginSession, User

# At most one write per login session a minute: reading pages writes nothing in between, so
# it keeps working when the database refuses writes (a full disk).
TOUCH_EVERY = timedelta(seconds=60)
KEEP = timedelta(days=30)  # far past the absolute lifetime: rows older than this only take room


def start(user: User) -> str:
    """Create a login session for the user and return its (unhashed) token. Logins long over
    are deleted here, so the table stays small without a cron job (the audit trail keeps every
    login)."""
    keep = max(KEEP, timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]))
    db.session.execute(delete(LoginSession).where(LoginSession.created_at < utcnow() - keep))
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=token_hash(token), user_id=user.id,
                                ip=request.remote_addr or ""))
    user.login_token = token
    return token


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.get_settings().idle_timeout_minutes)


# Every page asks this first: the session, its user and the clinic settings (every page reads
# them too) in one statement, built once (building it costs more Python than running it).
_BY_TOKEN = (select(LoginSession, ClinicSettings).options(joinedload(LoginSession.user))
             .outerjoin(ClinicSettings, ClinicSettings.id == settings.the_row_id())
             .where(LoginSession.token_hash == bindparam("token_hash")))


def resolve(token: str) -> User | None:
    """The user behind a session token, or None if it is ended, idle too long or too old."""
    found = db.session.execute(_BY_TOKEN, {"token_hash": token_hash(token)}).one_or_none()
    if found is None:
        return None
    row, clinic = found
    settings.remember(clinic)
    if row.ended_at is not None or not row.user.active:
        return None
    now = utcnow()
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    if now - as_utc(row.last_seen_at) > idle_limit() or now - as_utc(row.created_at) > absolute:
        row.ended_at = now
        db.session.commit()
        return None
    # A short limit (tests, a strict clinic) is refreshed more often than once a minute.
    if now - as_utc(row.last_seen_at) > min(TOUCH_EVERY, idle_limit() / 4):
        row.last_seen_at = now
        try:
            db.session.commit()
        except UNAVAILABLE as error:  # a refused refresh costs only idle time: keep reading
            if not is_unavailable(error):
                raise
            rollback()
            current_app.logger.warning("login session refresh not saved (database refused it)")
    row.user.login_token = token
    return row.user


def touch(token: str) -> None:
    """"Stay signed in": the idle time starts again now; the caller commits."""
    db.session.execute(update(LoginSession).where(LoginSession.token_hash == token_hash(token),
                                                  LoginSession.ended_at.is_(None))
                       .values(last_seen_at=utcnow()))


def seconds_left(token: str | None) -> int:
    """Seconds until this login ends for inactivity (or its absolute lifetime), 0 if it has;
    read without counting as activity (the page's warning asks it before showing)."""
    row = db.session.execute(
        select(LoginSession).where(LoginSession.token_hash == token_hash(token or ""))
    ).scalar_one_or_none()
    if row is None or row.ended_at is not None or not row.user.active:
        return 0
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    ends = min(as_utc(row.last_seen_at) + idle_limit(), as_utc(row.created_at) + absolute)
    return max(int((ends - utcnow()).total_seconds()), 0)


def end(token: str | None) -> None:
    if token:
        db.session.execute(update(LoginSession).where(LoginSession.token_hash == token_hash(token))
                           .values(ended_at=utcnow()))


def end_all(user: User, keep: str | None = None) -> None:
    """Used when a password is reset or changed, two-factor login turned on, or an account
    deactivated; `keep` is the token of a login to leave open (the user's own, on a change)."""
    stmt = update(LoginSession).where(LoginSession.user_id == user.id,
                                      LoginSession.ended_at.is_(None))
    if keep:
        stmt = stmt.where(LoginSession.token_hash != token_hash(keep))
    db.session.execute(stmt.values(ended_at=utcnow()))
