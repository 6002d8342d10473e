"""A form sent after the login expired is held, not lost.

A practitioner who presses "Sign and lock" after the idle limit (needles stay in for 20-30
minutes; the limit is 15 by default) would land on the login page with their typing gone. The
login's unauthorized handler (accounts/views.signed_out) instead holds the posted fields here,
keyed to the user whose expired login sent them and to a one-time id, and sends the browser to
the login page with that id. Once the same user has signed in (password, then the code if they
use two-factor login), `take` hands the fields back exactly once and the browser posts them to
the original address with a fresh CSRF token: the view runs as usual (its checks, version
conflicts, audit entries). Another user signing in on that browser gets nothing.

Held only when the post passed the CSRF check and came with a login cookie the server knows
(so a stranger cannot fill someone's queue); never a file upload or a logout. Health data: in
the database, not the cookie; the row is deleted when handed back, and `flask maintenance`
deletes any left after HOLD."""
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from ..audit.trail import record
from ..extensions import db
from ..security import safe_next, token_hash
from ..timeutil import utcnow
from .models import HeldSubmission, LoginSession, User

HOLD = timedelta(minutes=30)
ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what secrets.token_urlsafe gives
NOT_HELD = frozenset({"auth.logout", "auth.login"})


def user_of_login(login_token: str | None) -> User | None:
    """The active user whose (possibly expired) login this cookie token was, if the server
    knows it."""
    if not login_token:
        return None
    row = db.session.execute(select(LoginSession).where(
        LoginSession.token_hash == token_hash(login_token))).scalar_one_or_none()
    return row.user if row is not None and row.user.active else None


def hold(user: User, path: str, fields: list[tuple[str, str]]) -> str | None:
    """Keep a posted form for `user` and return its one-time id; the caller commits. None
    when the target is not a same-site path (it always is: it is the request's own path)."""
    if safe_next(path, "") != path:
        return None
    prune()
    one_time = secrets.token_urlsafe(24)
    row = HeldSubmission(token_hash=token_hash(one_time), user_id=user.id, path=path,
                         fields=[[name, value] for name, value in fields])
    db.session.add(row)
    db.session.flush()
    record("submission_held", "HeldSubmission", row.id, changes={"path": path}, user=user)
    return one_time


def _live(one_time: str):
    return select(HeldSubmission).where(HeldSubmission.token_hash == token_hash(one_time),
                                        HeldSubmission.created_at >= utcnow() - HOLD)


def waiting(one_time: str | None) -> bool:
    """Whether a held form with this id is still kept (the login page says so)."""
    if not one_time or not ID.fullmatch(one_time):
        return False
    return db.session.execute(_live(one_time).with_only_columns(
        HeldSubmission.id)).first() is not None


def take(one_time: str | None, user) -> HeldSubmission | None:
    """The held form with this id if it belongs to `user` and has not expired, deleted from the
    store (once only); None otherwise, and someone else's stays for them. The caller commits."""
    if not one_time or not ID.fullmatch(one_time):
        return None
    row = db.session.execute(_live(one_time).where(
        HeldSubmission.user_id == user.id)).scalar_one_or_none()
    if row is None:
        return None
    db.session.delete(row)
    record("submission_resumed", "HeldSubmission", row.id, changes={"path": row.path},
           user=user)
    return row


def prune() -> int:
    """Delete held forms older than HOLD (the sender did not sign in again in time)."""
    return db.session.execute(delete(HeldSubmission).where(
        HeldSubmission.created_at < utcnow() - HOLD)).rowcount or 0
