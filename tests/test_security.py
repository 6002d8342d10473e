"""Security baseline: login everywhere, roles, headers, cookies, CSRF, no state change on GET."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import PASSWORD, Client, csrf_token, make_user
from tracker import clock
from tracker.extensions import db
from tracker.patients.models import Patient

# Endpoints anyone may reach. Everything else must send an anonymous visitor to the login page.
PUBLIC = {"static", "auth.login", "auth.setup", "main.healthz", "main.readyz",
          "account.idle"}  # how long this browser's own login has left (0 without one)
PUBLIC_PREFIXES = ("intake_public.", "checkin_public.", "portal_public.")


def concrete_urls(app):
    """Every rule with sample values for its arguments."""
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_non_public_endpoint_requires_login(app, client):
    make_user(app, "admin")  # past first-run
    checked = 0
    for endpoint, method, url in concrete_urls(app):
        if endpoint in PUBLIC or endpoint.startswith(PUBLIC_PREFIXES):
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert "/login" in response.headers["Location"], endpoint
        checked += 1
    assert checked >= 10


# permission -> one endpoint that needs it (GET unless stated)
ROLE_MATRIX = [
    ("/users/", {"admin": 200, "practitioner": 403, "reception": 403}),
    ("/settings/", {"admin": 200, "practitioner": 403, "reception": 403}),
    ("/audit/", {"admin": 200, "practitioner": 403, "reception": 403}),
    ("/patients/", {"admin": 200, "practitioner": 200, "reception": 200}),
    ("/patients/new", {"admin": 200, "practitioner": 200, "reception": 200}),
]


@pytest.mark.parametrize("role", ["admin", "practitioner", "reception"])
def test_role_matrix(app, client, auth, role):
    auth.login(role)
    for url, expected in ROLE_MATRIX:
        assert client.get(url).status_code == expected[role], (role, url)


def test_reception_cannot_post_to_admin_endpoints(app, client, auth):
    auth.login("reception")
    response = client.post("/users/new", data={"email": "x@example.org", "display_name": "X",
                                               "role": "admin", "password": PASSWORD,
                                               "confirm": PASSWORD})
    assert response.status_code == 403


def test_security_headers_on_every_response(app, client, auth):
    for url in ("/login", "/static/css/app.css", "/nope"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    auth.login("practitioner")
    assert client.get("/patients/").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(app, client, auth):
    auth.login("practitioner")
    cookie = client.get_cookie("tracker_session")
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_no_inline_script_or_style_in_pages(app, client, auth):
    auth.login("admin")
    for url in ("/", "/patients/", "/patients/new", "/users/", "/settings/", "/audit/"):
        html = client.get(url).data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_no_inline_script_or_style_in_pages_with_records(app, client, auth):
    """The clinical pages, filled: a submitted intake, a booked course and a signed visit."""
    user_id = auth.login("admin")
    with app.test_request_context():
        patient = factories.patient()
        intake = factories.submitted_intake(patient)
        plan = factories.plan(patient, user_id, start_on=clock.today() - timedelta(days=7))
        _, visits = factories.book_course(plan, "keep", when=clock.now() - timedelta(days=8))
        record = factories.signed_session(patient, user_id, visits[0])
        db.session.commit()
        urls = [f"/patients/{patient.id}", f"/intakes/{intake.id}", f"/plans/{plan.id}",
                f"/schedule/appointments/{visits[0].id}", f"/sessions/{record.id}",
                f"/reports/patients/{patient.id}/summary", "/reports/outcomes", "/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    app.test_client_class = Client
    return app


def test_csrf_is_required_on_forms(csrf_app):
    make_user(csrf_app, "reception")
    client = csrf_app.test_client()
    no_token = client.post("/login", data={"email": "reception@example.org",
                                           "password": PASSWORD})
    assert no_token.status_code == 400
    assert b"security token" in no_token.data
    token = csrf_token(client.get("/login").data.decode())
    wrong = client.post("/login", data={"email": "reception@example.org", "password": PASSWORD,
                                        "csrf_token": token[:-4] + "abcd"})
    assert wrong.status_code == 400
    ok = client.post("/login", data={"email": "reception@example.org", "password": PASSWORD,
                                     "csrf_token": token})
    assert ok.status_code == 302
    form = client.get("/patients/new").data.decode()
    data = {"given_name": "Ana", "family_name": "Silva", "date_of_birth": "1980-05-06",
            "sex": "female", "primary_practitioner_id": "0"}
    assert client.post("/patients/new", data=data).status_code == 400
    with csrf_app.app_context():
        assert db.session.execute(select(func.count()).select_from(Patient)).scalar_one() == 0
    assert client.post("/patients/new", data=data | {"csrf_token": csrf_token(form)}
                       ).status_code == 302


def test_csrf_rejects_cross_site_referer(csrf_app):
    make_user(csrf_app, "reception")
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").data.decode())
    response = client.post("/login", data={"email": "reception@example.org",
                                           "password": PASSWORD, "csrf_token": token},
                           headers={"Referer": "https://evil.example/"})
    assert response.status_code == 400


def test_logout_requires_post(app, client, auth):
    auth.login("practitioner")
    assert client.get("/logout").status_code == 405
    assert client.get("/patients/").status_code == 200


def test_error_pages_are_styled(app, client, auth):
    auth.login("practitioner")
    page = client.get("/patients/999999")
    assert page.status_code == 404 and b"Page not found" in page.data
    assert b"app.css" in page.data


def test_ids_beyond_the_database_integer_are_not_found(app, client, auth):
    auth.login("admin")
    for url in ("/patients/99999999999", "/sessions/99999999999", "/intakes/99999999999",
                "/schedule/appointments/99999999999"):
        assert client.get(url).status_code == 404, url
