"""Migration discipline: every schema the project released upgrades to head and works.

tests/fault/fixtures/schema_*.sql are SQLite databases made by the code of each commit that
changed migrations/versions/ (build_schemas.py says how), including the two released
migrations that were edited afterwards: 0002 (released empty) and 0003 (before
treatment_plan.schedule_pending). Each is upgraded to head, checked with `flask db check`, and
crawled: every page a staff member opens, with a patient, an intake, a plan, an appointment and
a session record in it, answers without a server error. Before the repair, a database made
before 0003's edit upgraded "successfully", `flask db check` named the missing column and
nearly every page was a 500; one made on the empty 0002 failed to upgrade at all.

The same two histories are rebuilt on the test database's own engine (PostgreSQL in CI's second
run) by upgrading to the edited revision and undoing the edit by hand.
"""
import re
import sqlite3
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import stamp, upgrade

from tests import factories
from tests.conftest import Auth, Client, _base_config
from tests.intake_helpers import fill, link_token
from tracker import create_app
from tracker.extensions import db

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("schema_*.sql"))
# Pages that must be 200 (with ids of the records made below); every other GET must not be 5xx.
MUST_OPEN = ["/", "/patients/", "/patients/1", "/patients/1/edit", "/intakes/", "/intakes/1",
             "/plans/1", "/schedule/week", "/schedule/appointments/1", "/sessions/1",
             "/reports/outcomes", "/settings/", "/audit/"]


def test_there_is_a_fixture_for_every_released_schema():
    from tests.fault.fixtures.build_schemas import SCHEMAS
    assert {f.stem.removeprefix("schema_") for f in FIXTURES} == set(SCHEMAS)
    assert "0003-pre-edit" in SCHEMAS and "0002-placeholder" in SCHEMAS


def _app(url: str):
    app = create_app(_base_config(url))
    app.test_client_class = Client
    return app


def _check(app) -> None:
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output  # 1 and the differences when not at head


def _crawl(app) -> dict[str, int]:
    """Fill the clinic through its own forms and services, then open every staff GET page."""
    client = app.test_client()
    auth = Auth(app, client)
    user_id = auth.login("admin")
    with app.app_context():
        patient_id = factories.patient("Robin", "Haddad", date(1970, 1, 1)).id
        db.session.commit()
    token = link_token(client, patient_id)
    patient = app.test_client()
    fill(patient, token)
    with app.app_context():
        plan = factories.plan_row(patient_id, user_id, sessions_planned=6, points=())
        appointment = factories.appointment(patient_id, user_id, plan=plan, number=1)
        factories.opened_session(appointment, user_id, pain_before=5)
        db.session.commit()
    statuses = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or \
                rule.endpoint.startswith("intake_public."):
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        statuses[url] = client.get(url).status_code
    return statuses


def _assert_pages(statuses: dict[str, int]) -> None:
    broken = {url: code for url, code in statuses.items() if code >= 500}
    assert not broken, broken
    for url in MUST_OPEN:
        assert statuses.get(url) == 200, (url, statuses.get(url))
    assert len(statuses) > 40


@pytest.mark.slow
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem.removeprefix("schema_"))
def test_a_released_schema_upgrades_to_head_and_works(fixture, tmp_path):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript(fixture.read_text())
    con.close()
    app = _app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
    _check(app)
    _assert_pages(_crawl(app))
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def fresh_url(database_url):
    """A new, empty database beside the test database (same server on PostgreSQL)."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///")).with_name(
            f"history-{uuid.uuid4().hex[:8]}.sqlite")
        yield f"sqlite:///{path}"
        path.unlink(missing_ok=True)
        return
    url = sa.make_url(database_url)
    name = f"{url.database}_hist_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("history", ["0003 before schedule_pending", "0002 released empty"])
def test_the_edited_migrations_are_repaired_on_this_database(history, fresh_url):
    app = _app(fresh_url)
    with app.app_context():
        if history == "0002 released empty":  # as at f2bd834: 0002 did nothing, then 0003
            upgrade(revision="0001")
            stamp(revision="0002")
        upgrade(revision="0003")
        with db.engine.begin() as conn:  # 0003 as released, before its edit
            conn.execute(sa.text("ALTER TABLE treatment_plan DROP COLUMN schedule_pending"))
        upgrade()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("treatment_plan")}
        assert "schedule_pending" in columns
    _check(app)
    _assert_pages(_crawl(app))
    with app.app_context():
        db.engine.dispose()
