"""Password rules (common and breached passwords refused), the user's own password change, and
login failures that cost the same for unknown, deactivated and active accounts."""
import statistics
import time

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, Client, make_user
from tracker.accounts import passwords
from tracker.accounts.models import LoginSession, User
from tracker.audit.models import AuditEntry
from tracker.extensions import db

COMMON = ["password1234", "Password1234!", "P@ssw0rd1234", "qwertyuiop123", "123456789012",
          "letmein12345", "iloveyou2024!", "football1234", "abcdefghijkl", "aaaaaaaaaaab"]
GOOD = ["correct horse battery staple", "a brand new passphrase", "Mei Lin walks the purple ferry"]


@pytest.mark.parametrize("password", COMMON)
def test_common_and_breached_passwords_are_refused(password):
    assert passwords.weakness(password), password


@pytest.mark.parametrize("password", GOOD)
def test_unrelated_words_pass(password):
    assert passwords.weakness(password, ("mei.lin@example.org", "Mei Lin")) is None


@pytest.mark.parametrize("password", ["mei.lin@example.org", "Mei Lin 12345678",
                                      "meilin-linmei-1", "Harbour Clinic 2024"])
def test_a_password_built_on_the_name_email_or_clinic_is_refused(password):
    assert "your name, your email" in passwords.weakness(
        password, ("mei.lin@example.org", "Mei Lin", "Harbour Clinic"))


def test_a_long_passphrase_is_judged_without_error():
    assert passwords.weakness("password" * 25) is not None  # past zxcvbn's 72: no error
    words = "otter lantern quiet meadow copper violin harbour saffron glacier tulip"
    assert passwords.weakness(f"{words} {words}") is None


def _error_beside_password(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('id="password-error"')
    return html[start:html.index("</p>", start)]


def test_setup_refuses_password1234_beside_the_field(client):
    response = client.post("/setup", data={"display_name": "Ada Admin", "email": "ada@example.org",
                                           "password": "password1234", "confirm": "password1234"})
    assert response.status_code == 400
    assert "common and breached passwords" in _error_beside_password(response)


def test_admin_create_and_reset_refuse_common_passwords(app, client, auth):
    auth.login("admin")
    response = client.post("/users/new", data={
        "display_name": "Mei Lin", "email": "mei@example.org", "role": "practitioner",
        "password": "Password1234!", "confirm": "Password1234!"})
    assert response.status_code == 400
    assert "too easy to guess" in _error_beside_password(response)
    mei_id = make_user(app, "practitioner", "mei@example.org")
    reset = client.post(f"/users/{mei_id}/password",
                        data={"password": "qwertyuiop123", "confirm": "qwertyuiop123"})
    assert reset.status_code == 400 and b"too easy to guess" in reset.data


def test_cli_refuses_a_common_password(runner):
    result = runner.invoke(args=["create-user", "--email", "cli@example.org", "--name", "Cli",
                                 "--password", "password1234"])
    assert result.exit_code != 0 and "too easy to guess" in result.output


# --- the user's own password change ----------------------------------------------------------

def _other_device(app, email):
    other = app.test_client()
    other.__class__ = Client
    other.environ_base.update({"REMOTE_ADDR": "10.0.0.2"})
    assert other.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return other


def test_every_user_changes_their_own_password(app, client, auth):
    for role in ("reception", "practitioner", "admin"):
        auth.login(role)
        page = client.get("/account/")
        assert page.status_code == 200
        assert b'autocomplete="current-password"' in page.data
        assert b"Change your password" in page.data
        auth.logout()


def test_password_change_ends_the_other_logins_and_is_audited(app, client, auth):
    user_id = auth.login("practitioner", email="mei@example.org")
    other = _other_device(app, "mei@example.org")
    new = "otter lantern quiet meadow"
    response = client.post("/account/password", data={
        "current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200  # this login goes on
    assert other.get("/patients/").status_code == 302  # the other device is logged out
    with app.app_context():
        user = db.session.get(User, user_id)
        assert passwords.verify_password(user.password_hash, new)
        open_logins = db.session.execute(select(LoginSession).where(
            LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))).scalars().all()
        assert len(open_logins) == 1
        actions = db.session.execute(select(AuditEntry.action).where(
            AuditEntry.entity_id == str(user_id))).scalars().all()
        assert "password_changed" in actions
    auth.logout()
    assert client.post("/login", data={"email": "mei@example.org",
                                       "password": PASSWORD}).status_code == 400
    assert client.post("/login", data={"email": "mei@example.org",
                                       "password": new}).status_code == 302


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"current": "not my password", "password": "otter lantern quiet meadow",
      "confirm": "otter lantern quiet meadow"}, "current", "not your current password"),
    ({"current": PASSWORD, "password": "password1234", "confirm": "password1234"},
     "password", "common and breached"),
    ({"current": PASSWORD, "password": "otter lantern quiet meadow", "confirm": "otter"},
     "confirm", "do not match"),
    ({"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD},
     "password", "different from the current one"),
])
def test_password_change_errors_sit_beside_their_field(app, client, auth, data, field, message):
    user_id = auth.login("practitioner")
    with app.app_context():
        before = db.session.get(User, user_id).password_hash
    response = client.post("/account/password", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    start = html.index(f'id="{field}-error"')
    assert message in html[start:html.index("</p>", start)]
    with app.app_context():
        assert db.session.get(User, user_id).password_hash == before


def test_wrong_current_passwords_are_limited(app, client, auth):
    auth.login("practitioner")
    new = "otter lantern quiet meadow"
    for _ in range(5):
        client.post("/account/password", data={"current": "wrong wrong", "password": new,
                                                "confirm": new})
    response = client.post("/account/password", data={"current": PASSWORD, "password": new,
                                                       "confirm": new})
    assert response.status_code == 400 and b"Too many wrong passwords" in response.data


def test_password_change_needs_a_login(client, app):
    make_user(app, "admin")
    assert "/login" in client.get("/account/").headers["Location"]
    assert "/login" in client.post("/account/password", data={}).headers["Location"]


# --- constant-time failures ------------------------------------------------------------------

def _count_verifications(monkeypatch) -> list:
    calls = []
    real = passwords.PasswordHasher.verify

    def counting(self, hash_, password):
        calls.append(1)
        return real(self, hash_, password)
    monkeypatch.setattr(passwords.PasswordHasher, "verify", counting)
    return calls


def _deactivate(app, email):
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        user.active = False
        db.session.commit()


def test_every_failed_login_verifies_one_argon2_hash(app, client, monkeypatch):
    make_user(app, "practitioner", "active@example.org")
    make_user(app, "practitioner", "gone@example.org")
    _deactivate(app, "gone@example.org")
    client.post("/login", data={"email": "nobody@example.org", "password": "x" * 12})  # warm
    calls = _count_verifications(monkeypatch)
    for email, password in (("active@example.org", "not the password"),
                            ("gone@example.org", "not the password"),
                            ("gone@example.org", PASSWORD),
                            ("nobody@example.org", "not the password")):
        calls.clear()
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 400
        assert b"do not match an active account" in response.data
        assert len(calls) == 1, (email, password, len(calls))


def test_deactivated_and_unknown_accounts_fail_as_slowly_as_a_wrong_password(make_app):
    """With a real argon2 cost (32 MiB), the medians of the three kinds of failure agree."""
    app = make_app(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=32768, LOGIN_MAX_FAILURES_PER_IP=1000,
                   LOGIN_MAX_FAILURES_PER_ACCOUNT=1000, LOGIN_SLOWDOWN_SECONDS=0,
                   LOGIN_SLOWDOWN_MAX_SECONDS=0)
    make_user(app, "practitioner", "active@example.org")
    make_user(app, "practitioner", "gone@example.org")
    _deactivate(app, "gone@example.org")
    client = app.test_client()
    client.__class__ = Client

    def median_ms(email, password, ip):
        client.environ_base["REMOTE_ADDR"] = ip
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert client.post("/login", data={"email": email, "password": password},
                               base_url="https://localhost").status_code == 400
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    median_ms("nobody@example.org", "warm up the dummy", "10.1.0.9")
    wrong = median_ms("active@example.org", "not the password", "10.1.0.1")
    gone = median_ms("gone@example.org", PASSWORD, "10.1.0.2")
    unknown = median_ms("nobody@example.org", "not the password", "10.1.0.3")
    assert gone > wrong * 0.6 and unknown > wrong * 0.6, (wrong, gone, unknown)
