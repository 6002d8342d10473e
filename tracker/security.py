"""Response headers and request ids applied to every response; how bearer tokens are stored;
the helpers every view uses for user-supplied targets, query integers, public URLs and download
names."""
import hashlib
import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import Flask, abort, current_app, request, url_for

MAX_INT = 2**31 - 1  # what an INTEGER column holds (ids in paths are bounded the same way)

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def token_hash(token: str) -> str:
    """What the database keeps of a login or intake-link token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def safe_next(target: str | None, fallback: str) -> str:
    """`target` if it is a same-site relative path (from ?next=), else `fallback`: never an open
    redirect, and never a header broken by a control character."""
    if (not target or len(target) > 2000 or not target.startswith("/")
            or target.startswith("//") or "\\" in target
            or any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return fallback
    parts = urlsplit(target)
    return fallback if parts.scheme or parts.netloc else target


def query_int(name: str, default: int | None = None, *, minimum: int = 1,
              maximum: int = MAX_INT) -> int | None:
    """An integer from the query string, bounded like a path id: missing is `default`, anything
    not a whole number from `minimum` to `maximum` is a 404 (never a database error)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 12:
        abort(404)
    value = int(raw)
    if not minimum <= value <= maximum:
        abort(404)
    return value


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for people outside (share links): PUBLIC_BASE_URL, never the Host header,
    which anyone can set; the request's own host only when no base is configured (development,
    where production refuses to start without one)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base.rstrip("/") + url_for(endpoint, **values)


def public_host() -> str:
    """The host name of PUBLIC_BASE_URL (calendar UIDs), else the request's in development."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return urlsplit(base).hostname or "clinic-tracker"
    return request.host.split(":")[0] or "clinic-tracker"


def attachment(filename: str) -> str:
    """A Content-Disposition for a download: an ASCII `filename` and, when the name is not plain
    ASCII, RFC 5987's `filename*=UTF-8''...` (what send_file does), so no name breaks the header."""
    filename = "".join(c for c in filename if unicodedata.category(c)[0] != "C") or "download"
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    simple = re.sub(r'[^A-Za-z0-9._ -]', "_", simple).strip()
    if not simple or simple.startswith("."):  # nothing left of the name but its extension
        simple = "download" + simple
    header = f'attachment; filename="{simple}"'
    if simple != filename:
        header += "; filename*=UTF-8''" + quote(filename, safe="")
    return header


def private_files(app: Flask) -> None:
    """Whatever this process creates is its own (umask 077): the SQLite database and the -wal and
    -shm files SQLite gives the database's mode, backups, the secret key. Called before the first
    connection; an existing instance folder is made 0700 and an existing SQLite file set 0600."""
    os.umask(os.umask(0o077) | 0o077)
    _tighten(Path(app.instance_path), 0o700)
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or ""
    if url.startswith("sqlite:///") and "?" not in url and not url.endswith(":memory:"):
        database = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm", "-journal"):
            _tighten(Path(database + suffix), 0o600)


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.exists() and path.stat().st_mode & 0o777 & ~mode:
            path.chmod(mode)
    except OSError:  # not ours to change (a shared folder): leave it as the owner set it
        pass


def init_app(app: Flask) -> None:
    # The request id (g.request_id) is set and returned by tracker/logs.py.
    @app.after_request
    def _headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # same-origin, not no-referrer: Flask-WTF checks the Referer on HTTPS form posts.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static":
            # Pages carry patient data: never keep them in a shared or back-button cache.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
