"""Fixtures: an app on a migrated temporary database (SQLite, or PostgreSQL when
TRACKER_TEST_DATABASE_URL is set), a client that speaks HTTPS, a CLI runner and login helpers."""
import os
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from tracker import create_app
from tracker.extensions import db

PASSWORD = "correct horse battery staple"


def _base_config(url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        # Cheapest argon2id parameters: tests check behaviour, not hashing cost.
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database migrated once per run by `flask db upgrade` (never create_all)."""
    url = os.environ.get("TRACKER_TEST_DATABASE_URL") or (
        "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite"))
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    app = create_app(_base_config(url))
    with app.app_context():
        upgrade(revision="heads")
    yield url


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app with extra config on the shared test database; rows are wiped afterwards."""
    apps: list[Flask] = []

    def factory(**overrides) -> Flask:
        config = _base_config(database_url) | overrides
        app = create_app(config)
        app.instance_path = str(tmp_path)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


class Client(FlaskClient):
    """Sends requests as HTTPS from the same site, as a browser behind TLS would."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.update({"REMOTE_ADDR": "10.0.0.1"})

    def open(self, *args, **kwargs):
        # Flask-WTF checks the Referer on HTTPS posts, as browsers send it (same-origin policy).
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Referer", "https://localhost/")
        if not (args and not isinstance(args[0], str)):
            kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def client(app) -> FlaskClient:
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def statements_seen(app: Flask, client, url: str) -> tuple[list[str], str]:
    """The SQL statements a GET of `url` runs, and the page's text."""
    import sqlalchemy as sa
    seen: list[str] = []
    with app.app_context():
        listener = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get(url)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, url
    return seen, response.data.decode()


def statements_for(app: Flask, client, url: str) -> tuple[int, str]:
    """How many SQL statements a GET of `url` runs, and the page's text."""
    seen, text = statements_seen(app, client, url)
    return len(seen), text


def make_user(app: Flask, role: str = "practitioner", email: str | None = None, **profile):
    from tracker.accounts.services import create_user
    with app.app_context():
        user = create_user(email or f"{role}@example.org", PASSWORD, role=role,
                           display_name=profile.pop("display_name", f"Test {role.title()}"),
                           **profile)
        db.session.commit()
        return user.id


class Auth:
    def __init__(self, app: Flask, client: FlaskClient):
        self.app, self.client = app, client

    def login(self, role: str = "practitioner", email: str | None = None):
        """Create a user with this role (if needed) and log in; returns the user id."""
        from tracker.accounts.services import find_by_email
        email = email or f"{role}@example.org"
        with self.app.app_context():
            existing = find_by_email(email)
            user_id = existing.id if existing else None
        if user_id is None:
            user_id = make_user(self.app, role, email)
        response = self.client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return user_id

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(app, client) -> Auth:
    return Auth(app, client)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) in this process for the test; its inbox holds what arrived."""
    from tests.mail_server import running
    yield from running()
