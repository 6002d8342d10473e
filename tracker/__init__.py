"""Acupuncture clinic tracker: the application factory."""
from importlib import import_module
from pathlib import Path

from flask import Flask, redirect, request, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from . import config as config_module
from .extensions import built_here, csrf, db, login_manager, migrate

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def bundled(name: str) -> Path:
    """templates/ or migrations/: beside the package in a checkout, inside it in an installed
    wheel (setup.cfg maps the top-level folders to tracker/templates and tracker/migrations)."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else ROOT / name


TEMPLATES = bundled("templates")
MIGRATIONS = bundled("migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then environment, then test_config."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(TEMPLATES), static_folder="static")
    app.config.from_object(config_module.Defaults)
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("TRACKER")
    else:
        app.config.update(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", config_module.database_url(app.instance_path))
    from .security import private_files
    private_files(app)  # umask 077 before the first connection creates the database
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)
    config_module.check_production(app.config)
    trust_proxies(app)
    from . import logs
    logs.init_app(app)  # first: its request id and clock cover every later hook

    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    from . import cli, errors, security, templating
    from .forms import use_fast_html_params
    use_fast_html_params()  # WTForms' attribute HTML, made without a Python formatter per attribute
    templating.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS reverse proxies, take the client's address, scheme and host from
    the X-Forwarded-* values the nearest proxies appended (Werkzeug's ProxyFix), so throttles,
    login sessions and the audit trail see each client, not the proxy. 0 trusts none of them."""
    hops = app.config.get("TRUSTED_PROXY_HOPS") or 0
    if isinstance(hops, bool) or not isinstance(hops, int | str) or not str(hops).isdigit():
        raise RuntimeError(f"TRUSTED_PROXY_HOPS must be a whole number of proxies, not {hops!r}")
    hops = app.config["TRUSTED_PROXY_HOPS"] = int(hops)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    import click
    ctx = click.get_current_context(silent=True)  # a flask command (not the dev server)
    command = ctx is not None and ctx.info_name != "run"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(app.config, command)
    db.init_app(app)
    statement = 0 if command else float(app.config.get("DATABASE_STATEMENT_TIMEOUT") or 0)
    if statement:
        from .dbtime import limit_statements
        with app.app_context():
            limit_statements(db.engine, statement)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True,
                     compare_type=True, include_object=built_here)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # our server-side session rows do this job

    from . import models  # noqa: F401  (register every model with the metadata)
    from .accounts.sessions import resolve
    from .audit import trail  # noqa: F401  (the audit listeners)
    from .reports import plan_outcomes  # noqa: F401  (keeps each plan's outcome row in step)

    login_manager.user_loader(resolve)
    from .accounts.views import signed_out
    login_manager.unauthorized_handler(signed_out)  # fetches get 401; late posts are held


# Each module exposes `bp`; one line per feature.
BLUEPRINTS = (
    "tracker.accounts.views",
    "tracker.accounts.account_views",
    "tracker.accounts.admin_views",
    "tracker.main",
    "tracker.patients.views",
    "tracker.settings.views",
    "tracker.note_templates.views",
    "tracker.audit.views",
    "tracker.plans.views",
    "tracker.schedule.views",
    "tracker.intake.views",
    "tracker.intake.public_views",
    "tracker.flags.views",
    "tracker.sessions.views",
    "tracker.reports.views",
    "tracker.exports.views",
    "tracker.checkins.views",
    "tracker.checkins.public_views",
    "tracker.portal.views",
    "tracker.portal.public_views",
    "tracker.messages.views",
)


class DatabaseInt(IntegerConverter):
    """`<int:id>` limited to what an INTEGER column holds: a larger id is a 404, not a
    database error (PostgreSQL refuses to compare an INTEGER with a bigger number)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2_147_483_647)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseInt
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)


def register_hooks(app: Flask) -> None:
    from .accounts.services import any_user_exists
    from .permissions import can

    state = {"has_users": False}

    @app.before_request
    def first_run():
        # Until the first administrator exists, every page leads to the setup form.
        if state["has_users"] or request.endpoint in ("auth.setup", "static", "main.healthz",
                                                       "main.readyz"):
            return None
        if any_user_exists():
            state["has_users"] = True
            return None
        return redirect(url_for("auth.setup"))

    @app.context_processor
    def helpers():
        from flask_login import current_user

        from .accounts.sessions import idle_limit
        user = []  # looked up once per page (a layout asks can() a dozen times), when first asked

        def can_here(perm: str) -> bool:
            if not user:
                user.append(current_user._get_current_object())
            return can(user[0], perm)
        return {"can": can_here,
                "idle_seconds": lambda: int(idle_limit().total_seconds())}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on and WAL for concurrent readers; how long to wait when locked is sqlite3's
    `timeout` (DATABASE_LOCK_TIMEOUT, config.engine_options). synchronous=NORMAL, SQLite's advice
    for WAL (and Rails' default): a commit waits for no disk flush (2 ms each here, on every page
    that audits a read); a crashed or killed app loses nothing and the file cannot be corrupted,
    only a power cut can lose the last moments' commits (PostgreSQL is the production database)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

