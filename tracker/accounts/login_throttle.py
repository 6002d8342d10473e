"""Failed logins slow down per account and per client; the right password is never locked out.

Three counts, kept in the database (tracker/throttle.py) so every gunicorn worker sees them, each
over the last LOGIN_THROTTLE_MINUTES:

- one account from one client (`login-pair:`): after LOGIN_MAX_FAILURES_PER_ACCOUNT failures that
  client waits before its next try for that account, 1 minute, then 2, 4, 8, at most the window;
- one account from every client (`login-account:`): past the same number, each password check for
  the account is paused LOGIN_SLOWDOWN_SECONDS per further failure (at most
  LOGIN_SLOWDOWN_MAX_SECONDS), a slowdown that never refuses anyone;
- one client, whatever the account (`login-ip:`): after LOGIN_MAX_FAILURES_PER_IP it waits until
  older failures leave the window.

The client is `request.remote_addr`, which is the real client behind TRUSTED_PROXY_HOPS proxies
(ProxyFix, see create_app), so one guesser never locks out the clinic behind its proxy.
A successful login clears the account's count and this client's count for it; an administrator's
password reset clears every count for the account. A refused (throttled) attempt checks no
password and writes nothing but, once per window and key, one audit row.
"""
import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, select

from .. import throttle
from ..audit.trail import record
from ..extensions import db
from ..timeutil import as_utc, utcnow
from .models import ThrottleEvent


@dataclass
class Verdict:
    wait_seconds: int = 0  # > 0: refuse without checking the password, for this long
    refused_by: str = ""  # the key that refused (its audit row is written once per window)
    delay: float = 0.0  # seconds to pause before checking the password


def _account(email: str) -> str:
    # A digest keeps every key short whatever the email's length (the column holds 300).
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _client() -> str:
    return request.remote_addr or ""


def account_key(email: str) -> str:
    return f"login-account:{_account(email)}"


def pair_key(email: str, client: str | None = None) -> str:
    return f"login-pair:{_account(email)}|{_client() if client is None else client}"


def ip_key(client: str | None = None) -> str:
    return f"login-ip:{_client() if client is None else client}"


def _minutes() -> int:
    return current_app.config["LOGIN_THROTTLE_MINUTES"]


def _newest(key: str, skip: int = 0):
    """The (skip+1)-th newest failure for `key` inside the window, if any."""
    since = utcnow() - timedelta(minutes=_minutes())
    stmt = (select(ThrottleEvent.at).where(ThrottleEvent.key == key, ThrottleEvent.at >= since)
            .order_by(ThrottleEvent.at.desc()).offset(skip).limit(1))
    at = db.session.execute(stmt).scalar_one_or_none()
    return as_utc(at) if at is not None else None


def pair_wait(failures: int, limit: int) -> timedelta:
    """How long a client waits after its `failures`-th failure for one account."""
    if failures < limit:
        return timedelta(0)
    return timedelta(minutes=min(2 ** (failures - limit), _minutes()))


def check(email: str) -> Verdict:
    """Whether this client may try this account now, and how long to pause first."""
    cfg = current_app.config
    limit, minutes, now = cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"], _minutes(), utcnow()
    window = timedelta(minutes=minutes)
    waits = []  # (until when, key); a failure cleared meanwhile by another worker is None
    pair = throttle.failures(pair_key(email), minutes)
    if pair >= limit:
        newest = _newest(pair_key(email))
        waits.append((newest and newest + pair_wait(pair, limit), pair_key(email)))
    ip_limit = cfg["LOGIN_MAX_FAILURES_PER_IP"]
    if throttle.failures(ip_key(), minutes) >= ip_limit:
        # Free again when the ip_limit-th newest failure leaves the window.
        newest = _newest(ip_key(), ip_limit - 1)
        waits.append((newest and newest + window, ip_key()))
    waits = [(until - now, key) for until, key in waits if until and until > now]
    if waits:
        wait, key = max(waits)
        return Verdict(wait_seconds=max(1, round(wait.total_seconds())), refused_by=key)
    account = throttle.failures(account_key(email), minutes)
    delay = 0.0
    if account >= limit:
        delay = min(cfg["LOGIN_SLOWDOWN_MAX_SECONDS"],
                    cfg["LOGIN_SLOWDOWN_SECONDS"] * (account - limit + 1))
    return Verdict(delay=delay)


def pause(seconds: float) -> None:
    """The per-account slowdown (tests replace it to count instead of sleeping)."""
    if seconds > 0:
        time.sleep(seconds)


def refused(email: str, verdict: Verdict) -> None:
    """Audit a refused attempt once per window and key: a guesser's cheap, throttled requests
    cost no more than a read each. The caller commits."""
    marker = f"login-refused:{verdict.refused_by}"
    if throttle.failures(marker, _minutes()):
        return
    db.session.add(ThrottleEvent(key=marker))
    record("login_throttled", "User", user_email=email.strip().lower(),
           changes={"wait_seconds": verdict.wait_seconds})


def failed(email: str) -> None:
    """Count one failure for the account from this client, the account and the client."""
    throttle.fail(pair_key(email))
    db.session.add(ThrottleEvent(key=account_key(email)))
    db.session.add(ThrottleEvent(key=ip_key()))


def succeeded(email: str) -> None:
    """The right password: this client's failures for the account and the account's slowdown go
    (the client's count across accounts stays, and other clients' waits for this account too)."""
    throttle.clear(pair_key(email))
    throttle.clear(account_key(email))


def reset(email: str) -> None:
    """A new password from an administrator: every count and wait for the account goes."""
    throttle.clear(account_key(email))
    prefix = f"login-pair:{_account(email)}|"
    db.session.execute(delete(ThrottleEvent).where(
        ThrottleEvent.key.startswith(prefix, autoescape=True)))
    db.session.execute(delete(ThrottleEvent).where(
        ThrottleEvent.key.startswith(f"login-refused:{prefix}", autoescape=True)))
