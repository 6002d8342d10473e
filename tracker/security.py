"""Response headers and request ids applied to every response; how bearer tokens are stored."""
import hashlib
import secrets

from flask import Flask, g, request

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


def init_app(app: Flask) -> None:
    @app.before_request
    def _request_id():
        g.request_id = secrets.token_hex(8)

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
