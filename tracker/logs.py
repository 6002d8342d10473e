"""One structured log line per request, through the standard `logging` module.

Each request gets an id (`g.request_id`): returned as the `X-Request-ID` header, written into
every audit entry the request makes (`audit.trail.actor`) and into its log line, so a line, a
response and an audit row can be matched. Behind trusted proxies (TRUSTED_PROXY_HOPS > 0) an id
the proxy sent (nginx's `$request_id`) is kept when it is a plain token.

The line is JSON on the `tracker.request` logger: method, path, status, duration_ms, user_id,
request_id. No patient data: no query string (searches carry names), no body, no headers, and
intake-link tokens (or any other long random path segment) replaced by "…". Flask's handler on
the `tracker` logger writes it to stderr (gunicorn's error log); configure `logging` (or
gunicorn's `--log-config`) to send it elsewhere. LOG_REQUESTS = False turns the lines off.
Unhandled exceptions are logged with the same token-free path and the request id."""
import json
import logging
import re
import secrets
import time

from flask import Flask, g, request
from sqlalchemy import inspect

log = logging.getLogger("tracker.request")

HEADER = "X-Request-ID"
_INCOMING = re.compile(r"[A-Za-z0-9._-]{8,40}")  # what audit_entry.request_id holds
_LINK = re.compile(r"^/i/[^/]+")
_TOKENISH = re.compile(r"(?<=/)[A-Za-z0-9_-]{20,}(?=/|$)")


def loggable_path(path: str) -> str:
    """The request path with bearer tokens removed: `/i/<token>...` becomes `/i/…`, and any
    other segment long and random enough to be a token becomes `…`."""
    path = _LINK.sub("/i/…", path)
    return _TOKENISH.sub("…", path)[:300]


def _user_id():
    # The user Flask-Login already loaded for this request, if any: never a query just to log.
    # Their database id, never get_id() (that is the login session's token).
    # Read from the identity map's key: the user's attributes expire when the request commits,
    # and `id` or `is_authenticated` would then reload the row.
    state = inspect(g.get("_login_user"), raiseerr=False)  # None for the anonymous user
    return state.identity[0] if state is not None and state.identity else None


def init_app(app: Flask) -> None:
    if log.level == logging.NOTSET:
        log.setLevel(app.config.get("LOG_LEVEL") or logging.INFO)
    app.logger  # noqa: B018  (Flask gives the `tracker` logger its stderr handler if it has none)

    def log_exception(exc_info) -> None:
        # Flask's own line names request.path, which may hold a link token; this one does not,
        # and carries the request id. (Database errors show no bound values: hide_parameters.)
        app.logger.error("Exception on %s [%s] request_id=%s", loggable_path(request.path),
                         request.method, g.get("request_id", ""), exc_info=exc_info)

    app.log_exception = log_exception

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        incoming = request.headers.get(HEADER, "")
        if app.config.get("TRUSTED_PROXY_HOPS") and _INCOMING.fullmatch(incoming):
            g.request_id = incoming
        else:
            g.request_id = secrets.token_hex(8)

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id") or secrets.token_hex(8)
        response.headers[HEADER] = request_id
        if app.config.get("LOG_REQUESTS", True) and log.isEnabledFor(logging.INFO):
            started = g.get("request_started")
            fields = {
                "method": request.method,
                "path": loggable_path(request.path),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)
                if started else None,
                "user_id": _user_id(),
                "request_id": request_id,
            }
            log.info(json.dumps(fields, ensure_ascii=False), extra={"request_fields": fields})
        return response
