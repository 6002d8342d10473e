"""The factory, configuration safety, database settings and migrations."""
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tracker import create_app
from tracker.config import check_production
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_secret_key_is_generated_into_instance_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    from tracker import config
    key1 = config.instance_secret_key(str(tmp_path))
    assert len(key1) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config.instance_secret_key(str(tmp_path)) == key1


@pytest.mark.parametrize("overrides, problem", [
    ({"SECRET_KEY": "dev"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"DEBUG": True}, "DEBUG"),
    ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
])
def test_production_refuses_unsafe_config(overrides, problem):
    config = {"ENV": "production", "SECRET_KEY": "k" * 40, "SESSION_COOKIE_SECURE": True,
              "DEBUG": False, "PUBLIC_BASE_URL": "https://clinic.example.org"} | overrides
    with pytest.raises(RuntimeError, match=problem):
        check_production(config)


def test_production_starts_with_safe_config(database_url):
    app = create_app({"ENV": "production", "SECRET_KEY": "k" * 40,
                      "PUBLIC_BASE_URL": "https://clinic.example.org",
                      "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_sqlite_connections_use_foreign_keys_wal_and_busy_timeout(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite",
                      "SECRET_KEY": "k" * 40, "TESTING": True})
    with app.app_context():
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_migrations_build_the_schema_and_match_the_models(tmp_path):
    """`flask db upgrade` on an empty database, then `flask db check` finds nothing to add."""
    env = {"TRACKER_DATABASE_URL": f"sqlite:///{tmp_path}/m.sqlite", "FLASK_APP": "tracker",
           "TRACKER_SECRET_KEY": "k" * 40, "PATH": "/usr/bin:/bin"}
    flask = [sys.executable, "-m", "flask"]
    up = subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, capture_output=True,
                        text=True)
    assert up.returncode == 0, up.stderr
    check = subprocess.run(flask + ["db", "check"], cwd=ROOT, env=env, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


def test_models_match_migrations_on_the_test_database(app):
    """The same check on the suite's own database (PostgreSQL in CI)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with app.app_context(), db.engine.connect() as conn:
        from tracker.extensions import built_here
        context = MigrationContext.configure(conn, opts={"include_object": built_here})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
