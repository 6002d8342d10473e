"""Private links for patients (the intake, weekly check-ins): one mechanism for both.

A link carries a 256-bit token from the OS generator; the database keeps only its SHA-256
(`security.token_hash`). The first request swaps the token for a short-lived signed cookie
(HttpOnly, Secure, SameSite=Lax) bound to the link, and the patient continues on URLs without
the token, so it is in no later request line or Referer. Every request checks the link again.
Unknown tokens count against the client's address, one budget for every kind of link, so a
guesser gains nothing by trying two kinds."""
import secrets

from flask import current_app, g, has_request_context, request
from itsdangerous import BadData, URLSafeTimedSerializer

from . import throttle
from .extensions import db
from .security import public_url, token_hash

TOKEN_BYTES = 32  # 256 bits; the link carries it, the database its hash


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def external_url(endpoint: str, **values) -> str:
    """A link's absolute URL for a message: PUBLIC_BASE_URL (security.public_url), also from a
    sender run outside any request."""
    if has_request_context():
        return public_url(endpoint, **values)
    base = (current_app.config.get("PUBLIC_BASE_URL") or "http://localhost").rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def session_key() -> str:
    """A random key naming one browser's session on a link (what it typed is tagged with it)."""
    return secrets.token_urlsafe(24)


def _throttle_key() -> str:
    return f"intake-ip:{request.remote_addr}"  # the name predates check-ins; kept for the rows


def blocked() -> bool:
    """Whether this client has tried too many unknown links lately."""
    config = current_app.config
    return throttle.blocked(_throttle_key(), config["INTAKE_THROTTLE_LIMIT"],
                            config["INTAKE_THROTTLE_MINUTES"])


def failed() -> None:
    """Count an unknown token against this client (the caller commits)."""
    throttle.fail(_throttle_key())


def open_row(token: str, find, unavailable):
    """The row behind a link's token, or the page to show instead: 429 while this client is
    paused for guessing, 404 for an unknown token (counted against the client, committed now
    so the count stands whatever the caller does next)."""
    if blocked():
        return unavailable("throttled", 429)
    row = find(token)
    if row is None:
        failed()
        db.session.commit()
        return unavailable("unknown", 404)
    return row


class LinkCookie:
    """The signed cookie a link's token is swapped for: (link id, session key). A view sets
    `g.<name>` to keep it (each page renews it) or to None to let it lapse."""

    def __init__(self, name: str, salt: str, hours_setting: str, default_hours: float):
        self.name, self.salt = name, salt
        self.hours_setting, self.default_hours = hours_setting, default_hours

    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.secret_key, salt=self.salt)

    def max_age(self) -> int:
        return int(current_app.config.get(self.hours_setting, self.default_hours) * 3600)

    def read(self) -> tuple[int, str] | None:
        try:
            data = self._signer().loads(request.cookies.get(self.name) or "",
                                        max_age=self.max_age())
            return int(data["i"]), str(data["k"])
        except (BadData, KeyError, TypeError, ValueError):
            return None

    def keep(self, link_id: int, key: str) -> None:
        setattr(g, self.name, (link_id, key))

    def renew(self, response):
        """after_request: (re)set the cookie for the link this request kept."""
        link = g.get(self.name)
        if link:
            response.set_cookie(
                self.name, self._signer().dumps({"i": link[0], "k": link[1]}),
                max_age=self.max_age(), secure=current_app.config.get("SESSION_COOKIE_SECURE",
                                                                      True),
                httponly=True, samesite="Lax", path="/")
        return response
