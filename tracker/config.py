"""Default configuration; instance/config.py and environment variables override it."""
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

INSECURE_KEYS = {"", "dev", "change-me", "changeme", "secret"}


class Defaults:
    # hide_parameters: a database error's message (logged with a 500) shows its SQL, never the
    # values bound to it, which are patients' details.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # Database time limits, in seconds (0 turns one off; engine_options below applies them).
    # CONNECT: waiting for a new connection (PostgreSQL connect_timeout). POOL: a request waiting
    # for a free connection of the pool. STATEMENT: the longest one statement of a web request
    # may run before it is cancelled (PostgreSQL statement_timeout; SQLite interrupts it). LOCK:
    # waiting for another writer's lock (SQLite busy_timeout, PostgreSQL lock_timeout). A request
    # past a limit answers 503 with the form as typed, instead of hanging; flask commands
    # (migrations, restore, rebuild-outcomes) run without the statement and lock limits.
    DATABASE_CONNECT_TIMEOUT = 5
    DATABASE_POOL_TIMEOUT = 10
    DATABASE_STATEMENT_TIMEOUT = 15
    DATABASE_LOCK_TIMEOUT = 10
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "tracker_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    # The server-side login session (not the cookie) enforces idle and absolute limits.
    IDLE_TIMEOUT_MINUTES = 15
    SESSION_ABSOLUTE_HOURS = 12
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    # The cookie is given the login's whole lifetime when it is set; re-signing and re-sending it
    # on every response would move only the cookie's expiry, never the server's limits.
    SESSION_REFRESH_EACH_REQUEST = False
    # Tokens are bound to the session, which the server already limits; an hourly expiry would
    # only throw away a slow typist's form.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (Werkzeug's
    # ProxyFix). 0 trusts no such header: the client address is the TCP peer. Behind one nginx
    # that sets them (deploy/nginx.conf), 1. Throttles, login sessions and the audit trail all
    # read the address this gives. More than the real number lets clients forge their address.
    TRUSTED_PROXY_HOPS = 0
    # Failed logins (tracker/accounts/login_throttle.py), counted in the database over
    # LOGIN_THROTTLE_MINUTES: after LOGIN_MAX_FAILURES_PER_ACCOUNT failures for one account from
    # one client, that client waits 1 minute before its next try for that account, then 2, 4, 8,
    # at most LOGIN_THROTTLE_MINUTES; other clients, and the right password from them, are not
    # refused. Past the same number of failures for an account from all clients together, every
    # password check for it is slowed by LOGIN_SLOWDOWN_SECONDS per further failure, at most
    # LOGIN_SLOWDOWN_MAX_SECONDS. LOGIN_MAX_FAILURES_PER_IP failures from one client, whatever the
    # accounts, pause that client. A successful login or a password reset clears the account's.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_THROTTLE_MINUTES = 15
    LOGIN_SLOWDOWN_SECONDS = 0.5
    LOGIN_SLOWDOWN_MAX_SECONDS = 3.0
    # OWASP: argon2id with 19 MiB memory, 2 iterations, 1 lane is the minimum; we go above it.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 2
    INTAKE_LINK_DAYS = 14
    # Wrong intake links from one address before it is paused (counted in the database).
    INTAKE_THROTTLE_LIMIT = 20
    INTAKE_THROTTLE_MINUTES = 15
    CLINIC_TIME_ZONE = "Europe/London"
    PATIENTS_PER_PAGE = 25
    # The largest request body read: 1 MB, far above any form here (a full session record is a
    # few kB); a bigger one is refused with a 413 before it is read.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Where patients reach the app, e.g. https://clinic.example.org: share links and calendar
    # UIDs are built from it, never from the request's Host header. Required in production; in
    # development, empty means the request's own host.
    PUBLIC_BASE_URL = ""
    # One JSON line per request on the `tracker.request` logger (tracker/logs.py), at this level.
    LOG_REQUESTS = True
    LOG_LEVEL = "INFO"
    # `flask maintenance` (tracker/maintenance.py, daily from cron): login sessions that are over
    # are deleted after this many days unused; never-submitted intake drafts after this many days
    # untouched with every link closed.
    LOGIN_RETENTION_DAYS = 30
    DRAFT_RETENTION_DAYS = 90
    # Messages to patients (tracker/messages, README "Messages to patients"). SECRETS_KEY seals
    # the SMTP password and queued message bodies; empty derives the key from SECRET_KEY.
    SECRETS_KEY = ""
    MAIL_BACKEND = ""  # smtp, console or file; empty: smtp when the settings name a host
    MAIL_FILE_DIR = ""  # the file backend's folder (default instance/mail)
    SMS_BACKEND = "file"  # or "package.module:Class", a gateway with send(to, text, message_id)
    SMS_FILE = ""  # the file gateway's file (default instance/sms-outbox.jsonl)
    SMTP_TIMEOUT_SECONDS = 20
    # A failed attempt waits BACKOFF_SECONDS, doubled each time, at most BACKOFF_CAP; the
    # message fails for good after MAX_ATTEMPTS (about seven hours with these).
    MESSAGE_BACKOFF_SECONDS = 60
    MESSAGE_BACKOFF_CAP = 3600
    MESSAGE_MAX_ATTEMPTS = 12
    ENV = "development"  # TRACKER_ENV=production turns on the start-up checks


def database_url(instance_path: str) -> str:
    """TRACKER_DATABASE_URL, else a SQLite file in instance/."""
    url = os.environ.get("TRACKER_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(Path(instance_path) / "tracker.sqlite")


def engine_options(config, command: bool = False) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with the DATABASE_*_TIMEOUT limits for this database's driver.
    `command`: a flask command, which gets no statement or lock limit."""
    def seconds(name: str) -> float:
        value = float(config.get(name) or 0)
        if value < 0:
            raise RuntimeError(f"{name} must be 0 (off) or a number of seconds, not {value}")
        return value

    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    connect = seconds("DATABASE_CONNECT_TIMEOUT")
    statement = 0 if command else seconds("DATABASE_STATEMENT_TIMEOUT")
    lock = 0 if command else seconds("DATABASE_LOCK_TIMEOUT")
    args = dict(options.get("connect_args") or {})
    if url.startswith("sqlite"):
        # sqlite3's timeout is its busy timeout; a command waits as long as it must (1 day).
        args.setdefault("timeout", lock or 86400)
    elif url.startswith("postgresql"):
        if connect:
            args.setdefault("connect_timeout", max(2, round(connect)))
        limits = [f"-c {name}={round(value * 1000)}" for name, value in (
            ("statement_timeout", statement), ("lock_timeout", lock)) if value]
        if limits:
            args["options"] = " ".join(filter(None, [args.get("options"), *limits]))
    if seconds("DATABASE_POOL_TIMEOUT") and not url.startswith("sqlite:///:memory:"):
        options.setdefault("pool_timeout", seconds("DATABASE_POOL_TIMEOUT"))
    options["connect_args"] = args
    return options


def instance_secret_key(instance_path: str) -> str:
    """Read instance/secret_key, creating it with a random key on first run."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def check_production(config) -> None:
    """Refuse to start a production app with a guessable key, debug on or insecure cookies."""
    if config.get("ENV") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    problems = []
    if key.lower() in INSECURE_KEYS or len(key) < 32:
        problems.append("SECRET_KEY is missing, a default value or shorter than 32 characters")
    if config.get("DEBUG"):
        problems.append("DEBUG is on")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE is off")
    base = urlsplit(config.get("PUBLIC_BASE_URL") or "")
    if base.scheme != "https" or not base.hostname or base.path not in ("", "/"):
        problems.append("PUBLIC_BASE_URL is not set to the https:// address patients use "
                        "(scheme and host only)")
    if problems:
        raise RuntimeError("Refusing to start in production: " + "; ".join(problems))
