"""Request logs: one structured line per request (method, token-free path, status, duration, user
id, request id) through `logging`; the request id returned as a header and kept in the audit
trail; no patient data in the line."""
import json
import logging

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tests.intake_helpers import link_token
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.logs import loggable_path

FIELDS = {"method", "path", "status", "duration_ms", "user_id", "request_id"}


def lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "tracker.request"]


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.INFO, logger="tracker.request")
    return caplog


def new_patient(client, family_name="Silva"):
    return client.post("/patients/new", data={
        "given_name": "Ana", "family_name": family_name, "date_of_birth": "1980-05-06",
        "sex": "female", "primary_practitioner_id": "0"})


def test_one_line_per_request_with_its_fields_and_the_id_in_header_and_audit(
        app, client, auth, logged):
    user_id = auth.login("admin")
    logged.clear()
    response = new_patient(client)
    assert response.status_code == 302
    [line] = lines(logged)
    assert set(line) == FIELDS
    assert line["method"] == "POST" and line["path"] == "/patients/new"
    assert line["status"] == 302 and line["user_id"] == user_id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    request_id = response.headers["X-Request-ID"]
    assert line["request_id"] == request_id and len(request_id) >= 16
    with app.app_context():
        created = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "create", AuditEntry.entity == "Patient")).one()
        assert created.request_id == request_id
    # Each request has its own id, anonymous requests log no user.
    auth.logout()
    logged.clear()
    other = client.get("/login")
    [line] = lines(logged)
    assert line["user_id"] is None and line["status"] == 200
    assert other.headers["X-Request-ID"] not in (request_id, "")


def test_no_patient_data_no_query_string_and_no_link_token(app, client, auth, logged):
    auth.login("admin")
    new_patient(client, family_name="Zyxwvuts")
    patient_id = db_patient_id(app)
    token = link_token(client, patient_id)
    client.get("/patients/?q=Zyxwvuts")
    auth.logout()
    client.get(f"/i/{token}")
    client.get(f"/i/{token}/anything")
    text = "\n".join(r.getMessage() for r in logged.records if r.name == "tracker.request")
    assert "Zyxwvuts" not in text and "Ana" not in text and "?" not in text
    assert token not in text and token[:12] not in text
    assert '"path": "/i/…"' in text and '"path": "/i/…/anything"' in text
    assert "/intake-links" in text  # the paths themselves are still there


def db_patient_id(app) -> int:
    from tracker.patients.models import Patient
    with app.app_context():
        return db.session.scalars(select(Patient.id)).first()


def test_the_id_covers_redirects_before_any_view_and_static_files(make_app, logged):
    app = make_app()
    client = app.test_client()
    response = client.get("/patients/", base_url="https://localhost")  # no admin yet: to /setup
    assert response.status_code == 302 and response.headers["X-Request-ID"]
    static = client.get("/static/css/app.css", base_url="https://localhost")
    assert static.headers["X-Request-ID"]
    found = lines(logged)
    assert [line["status"] for line in found] == [302, static.status_code]
    assert all(line["duration_ms"] is not None for line in found)


def test_a_proxys_request_id_is_kept_only_behind_trusted_proxies(make_app):
    direct = make_app().test_client().get("/healthz", headers={"X-Request-ID": "nginx-abc12345"})
    assert direct.headers["X-Request-ID"] != "nginx-abc12345"
    proxied = make_app(TRUSTED_PROXY_HOPS=1).test_client()
    assert proxied.get("/healthz", headers={"X-Request-ID": "nginx-abc12345"}).headers[
        "X-Request-ID"] == "nginx-abc12345"
    forged = proxied.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert forged.headers["X-Request-ID"] != "bad id <script>"
    too_long = proxied.get("/healthz", headers={"X-Request-ID": "a" * 41})  # > the audit column
    assert too_long.headers["X-Request-ID"] != "a" * 41


@pytest.mark.parametrize("path, shown", [
    ("/i/abcDEF123_-xyz", "/i/…"),
    ("/i/abc/intake/about", "/i/…/intake/about"),
    ("/intake/about", "/intake/about"),
    ("/patients/12/summary", "/patients/12/summary"),
    ("/reset/AbCdEfGhIjKlMnOpQrStUvWx", "/reset/…"),
])
def test_loggable_path(path, shown):
    assert loggable_path(path) == shown


def test_a_crash_is_logged_without_the_token_or_the_values_bound_to_sql(make_app, caplog):
    import sqlalchemy as sa
    from flask import Blueprint

    app = make_app(PROPAGATE_EXCEPTIONS=False)
    boom = Blueprint("boom", __name__)

    @boom.route("/i/<token>/boom")
    def crash(token):
        db.session.execute(sa.text("SELECT * FROM no_such_table WHERE name = :name"),
                           {"name": "Zyxwvuts"})

    app.register_blueprint(boom)
    make_user(app, "admin")  # past the first-run page
    caplog.set_level(logging.INFO)
    response = app.test_client().get("/i/SecretLinkToken1234567890abcdef/boom")
    assert response.status_code == 500
    crash_log = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert crash_log, [r.getMessage() for r in caplog.records]
    text = "\n".join(r.getMessage() + "\n" + (caplog.handler.formatter or logging.Formatter())
                     .formatException(r.exc_info) for r in crash_log if r.exc_info)
    assert "/i/…/boom" in text and response.headers["X-Request-ID"] in text
    assert "SecretLinkToken" not in caplog.text and "Zyxwvuts" not in caplog.text
    assert "no_such_table" in text  # the SQL itself is still there to debug with
