"""First run, login, logout, throttling, session lifetime and user administration."""
from datetime import timedelta

from sqlalchemy import select, update

from tests.conftest import PASSWORD, make_user
from tracker.accounts.models import LoginSession, User
from tracker.extensions import db
from tracker.timeutil import utcnow


def test_first_run_sends_everyone_to_setup_then_setup_disappears(client, app):
    assert client.get("/patients/").headers["Location"].endswith("/setup")
    assert client.get("/login").headers["Location"].endswith("/setup")
    page = client.get("/setup")
    assert b"Create administrator account" in page.data
    response = client.post("/setup", data={
        "display_name": "Ada Admin", "email": "Ada@Example.org", "credentials": "L.Ac.",
        "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    assert client.get("/users/").status_code == 200  # logged in as the new admin
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert (user.email, user.role) == ("ada@example.org", "admin")
        assert user.password_hash.startswith("$argon2id$")
    assert client.get("/setup").status_code == 404
    assert client.post("/setup", data={}).status_code == 404


def test_setup_rejects_short_password_and_keeps_typing(client):
    response = client.post("/setup", data={"display_name": "Ada Admin", "email": "ada@example.org",
                                           "password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert b"Use at least 12 characters." in response.data
    assert b'value="Ada Admin"' in response.data
    assert b'value="ada@example.org"' in response.data


def test_login_logout_and_cookie_replay(app, client, auth):
    auth.login("practitioner")
    assert client.get("/patients/").status_code == 200
    cookie = client.get_cookie("tracker_session")
    auth.logout()
    assert client.get("/patients/").status_code == 302
    # Replaying the cookie captured before logout does not bring the session back.
    client.set_cookie("tracker_session", cookie.value, domain=cookie.domain)
    response = client.get("/patients/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_rotates_the_session(app, client, auth):
    client.get("/login")
    before = client.get_cookie("tracker_session")
    auth.login("practitioner")
    after = client.get_cookie("tracker_session")
    assert before is None or before.value != after.value
    with app.app_context():
        assert db.session.execute(select(LoginSession)).scalars().one().ended_at is None


def test_wrong_password_message_and_email_is_case_insensitive(app, client):
    make_user(app, "practitioner", "mei@example.org")
    bad = client.post("/login", data={"email": "mei@example.org", "password": "wrong password!"})
    assert bad.status_code == 400
    assert b"do not match an active account" in bad.data
    assert b'value="mei@example.org"' in bad.data
    good = client.post("/login", data={"email": "  MEI@Example.ORG ", "password": PASSWORD})
    assert good.status_code == 302


def test_account_throttled_after_five_failures_even_with_right_password(app, client):
    # From the same client only (issue 13): the guessing client waits, even with the right
    # password; other clients are not refused (tests/test_throttle_proxy.py).
    make_user(app, "practitioner", "mei@example.org")
    for _ in range(5):
        client.post("/login", data={"email": "mei@example.org", "password": "not the password"})
    response = client.post("/login", data={"email": "mei@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert b"Too many failed attempts" in response.data


def test_throttle_is_shared_between_processes(make_app):
    """Two app instances (as two gunicorn workers) count failures in the same database."""
    worker_a, worker_b = make_app(), make_app()
    make_user(worker_a, "practitioner", "mei@example.org")
    for i in range(5):
        worker = (worker_a if i % 2 else worker_b).test_client()
        worker.post("/login", data={"email": "mei@example.org", "password": "nope nope nope"},
                    base_url="https://localhost")
    response = worker_a.test_client().post(
        "/login", data={"email": "mei@example.org", "password": PASSWORD},
        base_url="https://localhost")
    assert b"Too many failed attempts" in response.data


def test_ip_throttle_across_accounts(make_app):
    app = make_app(LOGIN_MAX_FAILURES_PER_IP=3)
    make_user(app, "practitioner", "mei@example.org")
    client = app.test_client()
    for i in range(3):
        client.post("/login", data={"email": f"guess{i}@example.org", "password": "x" * 12},
                    base_url="https://localhost")
    response = client.post("/login", data={"email": "mei@example.org", "password": PASSWORD},
                           base_url="https://localhost")
    assert b"Too many failed attempts" in response.data


def test_idle_timeout_is_enforced_on_the_server(app, client, auth):
    auth.login("practitioner")
    with app.app_context():
        idle = utcnow() - timedelta(minutes=16)
        db.session.execute(update(LoginSession).values(last_seen_at=idle))
        db.session.commit()
    response = client.get("/patients/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_absolute_session_lifetime(app, client, auth):
    auth.login("practitioner")
    with app.app_context():
        db.session.execute(update(LoginSession).values(created_at=utcnow() - timedelta(hours=13)))
        db.session.commit()
    assert client.get("/patients/").status_code == 302


def test_open_redirect_through_next_is_refused(app, client):
    make_user(app, "practitioner", "mei@example.org")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = client.post(f"/login?next={target}",
                               data={"email": "mei@example.org", "password": PASSWORD})
        assert response.headers["Location"] in ("/", "https://localhost/"), target
        client.post("/logout")
    response = client.post("/login?next=/patients/", data={"email": "mei@example.org",
                                                           "password": PASSWORD})
    assert response.headers["Location"].endswith("/patients/")


def test_admin_adds_edits_deactivates_and_resets_users(app, client, auth):
    auth.login("admin")
    response = client.post("/users/new", data={
        "display_name": "Mei Lin", "email": "mei@example.org", "role": "practitioner",
        "credentials": "L.Ac.", "licence_number": "AC-1", "password": PASSWORD,
        "confirm": PASSWORD})
    assert response.status_code == 302
    dup = client.post("/users/new", data={
        "display_name": "Other", "email": "MEI@example.org", "role": "reception",
        "password": PASSWORD, "confirm": PASSWORD})
    assert b"already uses this email" in dup.data
    with app.app_context():
        mei = db.session.execute(select(User).where(User.email == "mei@example.org")).scalar_one()
        mei_id = mei.id
    mei_client = app.test_client()
    mei_client.post("/login", data={"email": "mei@example.org", "password": PASSWORD},
                    base_url="https://localhost")
    assert mei_client.get("/patients/", base_url="https://localhost").status_code == 200
    client.post(f"/users/{mei_id}", data={"display_name": "Mei Lin", "email": "mei@example.org",
                                          "role": "practitioner"})  # active unticked
    assert mei_client.get("/patients/", base_url="https://localhost").status_code == 302
    new_password = "a brand new passphrase"
    client.post(f"/users/{mei_id}", data={"display_name": "Mei Lin", "email": "mei@example.org",
                                          "role": "practitioner", "active": "y"})
    reset = client.post(f"/users/{mei_id}/password",
                        data={"password": new_password, "confirm": new_password})
    assert reset.status_code == 302
    assert mei_client.post("/login", data={"email": "mei@example.org", "password": new_password},
                           base_url="https://localhost").status_code == 302


def test_admin_cannot_lock_themselves_out(app, client, auth):
    admin_id = auth.login("admin")
    response = client.post(f"/users/{admin_id}", data={
        "display_name": "Admin", "email": "admin@example.org", "role": "reception", "active": "y"})
    assert response.status_code == 400
    assert b"cannot remove your own administrator access" in response.data


def test_create_user_cli(app, runner):
    result = runner.invoke(args=["create-user", "--email", "Cli@Example.org", "--name", "Cli User",
                                 "--role", "reception", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert (user.email, user.role) == ("cli@example.org", "reception")
    again = runner.invoke(args=["create-user", "--email", "cli@example.org", "--name", "X",
                                "--password", PASSWORD])
    assert again.exit_code != 0 and "already has an account" in again.output


def test_a_receptionist_keeps_no_clinical_credentials(app, client, auth):
    """Typed on the staff form, a licence and credentials would print after a receptionist's
    name ("Rita Reception, L.Ac."): a role that does not treat keeps none."""
    auth.login("admin")
    response = client.post("/users/new", data={
        "display_name": "Rita Reception", "email": "rita@example.org", "role": "reception",
        "credentials": "L.Ac.", "licence_number": "AC-999", "years_in_practice": "3",
        "default_needle": "0.25 x 40", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        rita = db.session.execute(select(User).where(User.email == "rita@example.org")
                                  ).scalar_one()
        assert (rita.credentials, rita.licence_number, rita.years_in_practice,
                rita.default_needle, rita.signature_name) == ("", "", None, "", "Rita Reception")
        rita_id = rita.id
    assert "Rita Reception, L.Ac." not in client.get("/users/").text
    client.post(f"/users/{rita_id}", data={"display_name": "Rita Reception", "active": "y",
                                           "email": "rita@example.org", "role": "practitioner",
                                           "credentials": "L.Ac."})
    with app.app_context():
        assert db.session.get(User, rita_id).signature_name == "Rita Reception, L.Ac."
