"""Failing well: a database that refuses writes, is locked, slow, frozen or gone.

Issue 14's findings, each reproduced here: a refused write answered a generic 500 without the
form (everything typed was lost); each request's login-session refresh wrote, so with writes
refused even reading failed; with the database frozen every request hung (no statement, lock or
connection limits). Writes are refused as a database refuses them: SQLite `PRAGMA query_only`
("attempt to write a readonly database") or PostgreSQL `default_transaction_read_only`; a real
full disk is a small tmpfs (root only); an unreachable server is a closed port, a frozen one a
socket that accepts and never answers.
"""
import contextlib
import html
import os
import shutil
import socket
import subprocess
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from tests import factories
from tests.conftest import Auth, Client, _base_config
from tests.intake_helpers import answers, link_token, open_link
from tracker import create_app
from tracker.accounts.models import LoginSession
from tracker.config import engine_options
from tracker.extensions import db
from tracker.patients.models import Patient
from tracker.schedule.models import ClosureDay
from tracker.timeutil import utcnow

PATIENT = {"given_name": "Zebedee", "family_name": "Quartermaine", "date_of_birth": "1961-02-03",
           "sex": "male", "phone": "+44 20 7946 0958", "email": "zeb@example.net",
           "address": "17 Quince Orchard Road", "primary_practitioner_id": "0"}


@contextlib.contextmanager
def writes_refused(app):
    """Every new connection refuses writes, as a full or read-only database does; reads work."""
    with app.app_context():  # not held across requests: they would share its `g`
        engine = db.engine
        db.session.remove()

    def refuse(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()
        cursor.close()

    engine.dispose()
    event.listen(engine, "connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "connect", refuse)
        engine.dispose()


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_refused_write_gives_each_form_back_as_typed(app, client, auth):
    auth.login("admin")
    with app.app_context():
        ana = factories.patient()
        db.session.commit()
        ana_id = ana.id
    with writes_refused(app):
        # New patient: the whole form again, every field as typed, and why.
        response = client.post("/patients/new", data=PATIENT)
        assert response.status_code == 503, response.status_code
        page = text(response)
        assert "Nothing was saved" in page and "try again" in page
        assert 'name="given_name"' in page
        for value in ("Zebedee", "Quartermaine", "1961-02-03", "17 Quince Orchard Road",
                      "zeb@example.net"):
            assert value in page, value
        # Editing a patient.
        response = client.post(f"/patients/{ana_id}/edit",
                               data=PATIENT | {"given_name": "Anabela"})
        assert response.status_code == 503 and "Anabela" in text(response)
        assert 'name="family_name"' in text(response)
        # A closure day with its reason.
        day = (date.today() + timedelta(days=40)).isoformat()
        response = client.post("/schedule/closures",
                               data={"day": day, "reason": "Winter break for all"})
        assert response.status_code == 503
        assert "Winter break for all" in text(response) and day in text(response)
        # A reading page still reads (the login session is not refreshed by every request).
        assert client.get("/patients/").status_code == 200
    assert count(app, Patient) == 1 and count(app, ClosureDay) == 0
    # Once the database takes writes again, the same post saves.
    assert client.post("/patients/new", data=PATIENT).status_code == 302
    assert count(app, Patient) == 2


def test_the_intake_step_comes_back_with_the_answers(app, client, auth):
    auth.login("practitioner")
    with app.app_context():
        patient_id = factories.patient().id
        db.session.commit()
    token = link_token(client, patient_id)
    auth.logout()
    patient = app.test_client()
    patient.__class__ = Client
    open_link(patient, token)
    about = answers()["about"]
    assert patient.post("/intake/about", data=about).status_code == 302
    pain = answers(pain={"complaint": "Burning pain behind my right knee"})["pain"]
    with writes_refused(app):
        response = patient.post("/intake/pain", data=pain)
        assert response.status_code == 503
        page = text(response)
        assert "not saved" in page and "data-not-saved" in page
        assert "Burning pain behind my right knee" in page
        assert 'name="complaint"' in page
    assert patient.post("/intake/pain", data=pain).status_code == 302


def test_reading_keeps_working_when_writes_fail(app, client, auth):
    """Disk full used to lock staff out after ~30 s: the idle refresh wrote on every request."""
    auth.login("admin")
    with app.app_context():
        # The last refresh was 2 minutes ago: this request would refresh it.
        db.session.execute(sa.update(LoginSession).values(
            last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    with writes_refused(app):
        for url in ("/", "/patients/", "/schedule/week", "/schedule/closures"):
            assert client.get(url).status_code == 200, url


def test_the_login_session_is_refreshed_at_most_once_a_minute(app, client, auth):
    auth.login("admin")
    writes = []

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE LOGIN_SESSION"):
            writes.append(statement)

    def last_seen(seconds_ago: int):
        with app.app_context():
            db.session.execute(sa.update(LoginSession).values(
                last_seen_at=utcnow() - timedelta(seconds=seconds_ago)))
            db.session.commit()

    with app.app_context():  # not held across requests: they would share its `g`
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        last_seen(45)
        writes.clear()
        for _ in range(3):
            assert client.get("/patients/").status_code == 200
        assert writes == []
        last_seen(65)
        writes.clear()
        for _ in range(3):
            assert client.get("/patients/").status_code == 200
        assert len(writes) == 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_a_locked_database_answers_within_the_lock_limit(make_app, database_url):
    """Another writer holding the lock: the form comes back after DATABASE_LOCK_TIMEOUT, not
    after a long hang."""
    app = make_app(DATABASE_LOCK_TIMEOUT=1, DATABASE_STATEMENT_TIMEOUT=3)
    app.test_client_class = Client
    client = app.test_client()
    Auth(app, client).login("admin")
    holder = sa.create_engine(database_url)
    with holder.connect() as other:
        if holder.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            other.exec_driver_sql("BEGIN")
            other.exec_driver_sql("LOCK TABLE patient IN EXCLUSIVE MODE")
        started = time.monotonic()
        response = client.post("/patients/new", data=PATIENT)
        took = time.monotonic() - started
        other.rollback()
    holder.dispose()
    assert response.status_code == 503 and "Zebedee" in text(response)
    assert took < 4, took


def test_a_slow_statement_is_stopped_at_the_statement_limit(make_app):
    app = make_app(DATABASE_STATEMENT_TIMEOUT=0.5)
    with app.app_context():
        slow = ("SELECT pg_sleep(5)" if db.engine.dialect.name == "postgresql" else
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                "SELECT count(*) FROM (SELECT x FROM c LIMIT 500000000)")
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError):
            db.session.execute(sa.text(slow))
        db.session.rollback()
        assert time.monotonic() - started < 2.5


def test_timeouts_reach_both_drivers():
    config = {"DATABASE_CONNECT_TIMEOUT": 4, "DATABASE_POOL_TIMEOUT": 7,
              "DATABASE_STATEMENT_TIMEOUT": 12, "DATABASE_LOCK_TIMEOUT": 3}
    pg = engine_options(config | {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db"})
    assert pg["connect_args"]["connect_timeout"] == 4 and pg["pool_timeout"] == 7
    assert "-c statement_timeout=12000" in pg["connect_args"]["options"]
    assert "-c lock_timeout=3000" in pg["connect_args"]["options"]
    lite = engine_options(config | {"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/x.db"})
    assert lite["connect_args"]["timeout"] == 3
    # Commands (migrations, restore) get no statement or lock limit.
    command = engine_options(config | {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/d"},
                             command=True)
    assert "options" not in command["connect_args"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unreachable_app(url: str, **extra):
    app = create_app(_base_config(url) | {"DATABASE_CONNECT_TIMEOUT": 2} | extra)
    app.test_client_class = Client
    return app


def test_an_unreachable_database_answers_503_and_keeps_a_posted_form():
    app = _unreachable_app(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/none")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "cannot be reached" in ready.get_data(as_text=True)
    page = client.get("/")
    assert page.status_code == 503 and "not available" in text(page)
    # The login form needs no database to draw: it comes back as typed (not the password).
    response = client.post("/login", data={"email": "mei@example.org",
                                           "password": "never shown back"})
    assert response.status_code == 503 and "Nothing was saved" in text(response)
    assert 'value="mei@example.org"' in text(response)
    assert "never shown back" not in text(response)


def test_a_form_whose_page_needs_the_database_comes_back_on_a_plain_page(app, client, auth):
    """Logged in, then the database goes away: the patient form cannot be drawn (its page reads
    the user and the practitioners), so a page needing nothing shows the typing and resends it."""
    auth.login("admin")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    gone = _unreachable_app(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/none")
    other = gone.test_client()
    other.set_cookie(cookie.key, cookie.value, domain="localhost")
    response = other.post("/patients/new", data=PATIENT | {"csrf_token": "tok-123"})
    assert response.status_code == 503
    page = text(response)
    assert "Nothing was saved" in page and "cannot be reached" in page
    assert '<form method="post" action="/patients/new">' in page and "Send again" in page
    for value in ("Zebedee", "17 Quince Orchard Road", "tok-123"):
        assert f'value="{value}"' in page, value
    assert "<dd>17 Quince Orchard Road</dd>" in page
    assert other.get("/patients/").status_code == 503


@contextlib.contextmanager
def silent_server():
    """Accepts connections and never answers: a frozen database server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_a_frozen_server_times_out_at_the_connect_limit():
    with silent_server() as port:
        app = _unreachable_app(f"postgresql+psycopg://postgres@127.0.0.1:{port}/frozen")
        client = app.test_client()
        started = time.monotonic()
        response = client.post("/login", data={"email": "mei@example.org", "password": "x"})
        assert response.status_code == 503 and "mei@example.org" in text(response)
        assert time.monotonic() - started < 5
        started = time.monotonic()
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "in time" in ready.get_data(as_text=True)
        assert time.monotonic() - started < 5


def test_readiness_names_a_schema_behind_the_code(tmp_path, make_app):
    app = make_app()
    app.test_client_class = Client
    assert app.test_client().get("/readyz").get_data(as_text=True) == "ready\n"
    old = _unreachable_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    response = old.test_client().get("/readyz")
    assert response.status_code == 503
    assert "no migration" in response.get_data(as_text=True)
    assert "flask db upgrade" in response.get_data(as_text=True)


@pytest.fixture
def full_disk(tmp_path):
    """A 4 MB tmpfs holding a migrated SQLite database, then filled: a real full disk."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],  # noqa: S607
                          capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)  # noqa: S607


@pytest.mark.slow
def test_a_full_disk_keeps_the_form_and_reading(full_disk):
    from flask_migrate import upgrade
    url = f"sqlite:///{full_disk / 'tracker.sqlite'}"
    app = create_app(_base_config(url))
    app.test_client_class = Client
    with app.app_context():
        upgrade()
    client = app.test_client()
    Auth(app, client).login("admin")
    with app.app_context():
        factories.patient()
        db.session.commit()
    with contextlib.suppress(OSError), open(full_disk / "filler", "wb") as filler:
        while True:  # fill every last block
            filler.write(b"\0" * 4096)
            filler.flush()
    with app.app_context():
        db.session.execute(sa.update(LoginSession).values(
            last_seen_at=utcnow() - timedelta(minutes=2)))
        with contextlib.suppress(sa.exc.OperationalError):
            db.session.commit()
        db.session.rollback()
    for _ in range(3):  # the first posts may still fit in free pages; one soon cannot
        response = client.post("/patients/new", data=PATIENT | {
            "address": "17 Quince Orchard Road " + "x" * 400})
        if response.status_code != 302:
            break
    assert response.status_code == 503, response.status_code
    assert "Quince Orchard" in text(response) and "disk is full" in text(response)
    for url in ("/", "/patients/", "/schedule/week"):
        assert client.get(url).status_code == 200, url
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def own_cluster():
    """A throwaway PostgreSQL cluster of our own (never the machine's shared server), to stop."""
    import glob
    import signal
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not bins or os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs PostgreSQL's server binaries and root (to run them as postgres)")
    pg_ctl = bins[-1]
    import tempfile
    home = Path(tempfile.mkdtemp(prefix="tracker-fault-pg-"))  # pytest's tmp is root's only
    shutil.chown(home, "postgres")
    data, port = home / "data", _free_port()

    def as_postgres(*args):
        return subprocess.run(["runuser", "-u", "postgres", "--", *args],  # noqa: S607
                              capture_output=True, text=True, check=True)

    as_postgres(str(Path(pg_ctl).with_name("initdb")), "-D", str(data), "-A", "trust",
                "-U", "postgres", "--no-sync")
    as_postgres(pg_ctl, "-D", str(data), "-l", str(home / "log"), "-w", "-o",
                f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    pids = []

    def freeze():
        main = int((data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(main)], capture_output=True,  # noqa: S607
                                  text=True).stdout.split()
        pids[:] = [main, *map(int, children)]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)

    def thaw():
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", freeze
    finally:
        thaw()
        subprocess.run(["runuser", "-u", "postgres", "--", pg_ctl, "-D", str(data),  # noqa: S607
                        "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_a_frozen_postgresql_answers_within_the_limits(own_cluster):
    """The cluster is stopped dead (SIGSTOP) with a connection in the pool: the pool's ping and
    every statement used to wait for as long as it stayed frozen."""
    from flask_migrate import upgrade
    url, freeze = own_cluster
    app = create_app(_base_config(url) | {"DATABASE_STATEMENT_TIMEOUT": 1,
                                          "DATABASE_CONNECT_TIMEOUT": 2})
    app.test_client_class = Client
    with app.app_context():
        upgrade()
    client = app.test_client()
    Auth(app, client).login("admin")
    assert client.get("/patients/").status_code == 200  # a pooled connection, warm
    freeze()
    answers_ = {}

    def ask():
        started = time.monotonic()
        answers_["post"] = client.post("/patients/new", data=PATIENT)
        answers_["took"] = time.monotonic() - started

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(30)
    assert not asking.is_alive(), "still waiting for a frozen database after 30 s"
    response = answers_["post"]
    assert response.status_code == 503 and "Zebedee" in text(response)
    assert answers_["took"] < 12, answers_["took"]
