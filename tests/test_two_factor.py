"""Two-factor login: enrolment (QR as inline SVG, a confirming code, ten recovery codes shown
once and stored hashed), the code after the password, the clinic's "require two-factor" setting
and an administrator's reset."""
import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tests.conftest import PASSWORD, Client
from tracker.accounts import account_views, two_factor
from tracker.accounts.models import LoginSession, RecoveryCode, User
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.sealing import seal
from tracker.settings.services import get_settings
from tracker.timeutil import utcnow


@pytest.fixture
def clock(monkeypatch):
    """Moves the TOTP clock: `clock.step(n)` is n time steps (30 s) from now."""
    class Clock:
        offset = 0

        def step(self, n=1):
            self.offset += n

        def now(self):
            return utcnow() + timedelta(seconds=30 * self.offset)
    c = Clock()
    monkeypatch.setattr(two_factor, "utcnow", c.now)
    return c


def code_now(secret: str, clock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def enrol(app, client, user_id, clock) -> tuple[str, list[str]]:
    assert client.post("/account/two-factor").headers["Location"].endswith(
        "/account/two-factor/confirm")
    with app.app_context():
        secret = two_factor.secret_of(db.session.get(User, user_id))
    page = client.post("/account/two-factor/confirm", data={"code": code_now(secret, clock)})
    assert page.status_code == 200, page.text
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", page.text)
    clock.step()  # the next login uses a later code: each code works once
    return secret, codes


def password_step(client, email="practitioner@example.org", next_url=""):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data={"email": email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    return response


def test_enrolment_page_shows_a_qr_code_as_inline_svg_and_needs_a_code(app, client, auth, clock):
    user_id = auth.login("practitioner")
    assert b"Set up two-factor login" in client.get("/account/").data
    client.post("/account/two-factor")
    page = client.get("/account/two-factor/confirm")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "QR code for your authenticator app" in html
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    with app.app_context():
        user = db.session.get(User, user_id)
        secret = two_factor.secret_of(user)
        assert secret and not user.two_factor_on  # not in use until a code confirms it
        assert secret not in user.totp_secret  # stored sealed: the database alone makes no codes
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in html
    wrong = client.post("/account/two-factor/confirm", data={"code": "12345"})
    assert wrong.status_code == 400 and b'id="code-error"' in wrong.data
    page = client.post("/account/two-factor/confirm", data={"code": code_now(secret, clock)})
    assert page.status_code == 200 and b"only time they are shown" in page.data
    codes = re.findall(r"<code>([a-z0-9-]{19})</code>", page.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        assert db.session.get(User, user_id).two_factor_on
        stored = db.session.execute(select(RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user_id)).scalars().all()
        assert len(stored) == 10
        assert not {c.replace("-", "") for c in codes} & set(stored)  # hashes, not the codes
        assert "two_factor_enabled" in db.session.execute(select(AuditEntry.action)).scalars().all()
    # The codes are not shown again.
    assert client.get("/account/two-factor/confirm").status_code == 302
    assert b"10 of 10 recovery codes unused" in client.get("/account/").data


def test_turning_it_on_logs_out_the_other_devices(app, client, auth, clock):
    user_id = auth.login("practitioner")
    other = app.test_client()
    other.__class__ = Client
    other.post("/login", data={"email": "practitioner@example.org", "password": PASSWORD})
    assert other.get("/patients/").status_code == 200
    enrol(app, client, user_id, clock)
    assert other.get("/patients/").status_code == 302
    assert client.get("/patients/").status_code == 200


def test_login_asks_for_the_code_after_the_password(app, client, auth, clock):
    user_id = auth.login("practitioner")
    secret, _ = enrol(app, client, user_id, clock)
    auth.logout()
    password_step(client)
    assert "/login" in client.get("/patients/").headers["Location"]  # not logged in yet
    with app.app_context():
        assert db.session.execute(select(LoginSession).where(
            LoginSession.ended_at.is_(None))).first() is None
    page = client.get("/login/code")
    assert page.status_code == 200 and b'autocomplete="one-time-code"' in page.data
    wrong = client.post("/login/code", data={"code": "000000" if code_now(secret, clock) != "000000"
                                             else "111111"})
    assert wrong.status_code == 400 and b"That code is not right" in wrong.data
    ok = client.post("/login/code", data={"code": code_now(secret, clock)})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/")
    assert client.get("/patients/").status_code == 200
    with app.app_context():
        actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars()
        assert list(actions)[-3:] == ["login_password_ok", "login_code_failed", "login"]


def test_a_code_works_once(app, client, auth, clock):
    user_id = auth.login("practitioner")
    secret, _ = enrol(app, client, user_id, clock)
    auth.logout()
    code = code_now(secret, clock)
    password_step(client)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    auth.logout()
    password_step(client)
    assert client.post("/login/code", data={"code": code}).status_code == 400


def test_a_recovery_code_works_once(app, client, auth, clock):
    user_id = auth.login("practitioner")
    _, codes = enrol(app, client, user_id, clock)
    auth.logout()
    password_step(client)
    response = client.post("/login/code", data={"code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302
    assert b"You used a recovery code; 9 left" in client.get("/").data
    auth.logout()
    password_step(client)
    assert client.post("/login/code", data={"code": codes[3]}).status_code == 400
    assert client.post("/login/code", data={"code": codes[4]}).status_code == 302


def test_wrong_codes_are_limited(app, client, auth, clock):
    user_id = auth.login("practitioner")
    secret, _ = enrol(app, client, user_id, clock)
    auth.logout()
    password_step(client)
    for guess in ("000001", "000002", "000003", "000004", "000005"):
        client.post("/login/code", data={"code": guess})
    response = client.post("/login/code", data={"code": code_now(secret, clock)})
    assert response.status_code == 400 and b"Too many wrong codes" in response.data


def test_the_code_must_follow_the_password_within_five_minutes(app, client, auth, clock,
                                                                monkeypatch):
    user_id = auth.login("practitioner")
    secret, _ = enrol(app, client, user_id, clock)
    auth.logout()
    password_step(client)
    later = time.time() + account_views.PENDING_SECONDS + 1
    monkeypatch.setattr(account_views.time, "time", lambda: later)
    response = client.post("/login/code", data={"code": code_now(secret, clock)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_the_code_page_without_a_password_goes_to_login(app, client, auth):
    auth.login("practitioner")
    auth.logout()
    assert client.get("/login/code").headers["Location"].endswith("/login")
    assert client.post("/login/code", data={"code": "123456"}).headers["Location"].endswith(
        "/login")


def test_next_survives_the_code_step_and_stays_on_site(app, client, auth, clock):
    user_id = auth.login("practitioner")
    secret, _ = enrol(app, client, user_id, clock)
    auth.logout()
    password_step(client, next_url="/patients/")
    response = client.post("/login/code", data={"code": code_now(secret, clock)})
    assert response.headers["Location"].endswith("/patients/")
    auth.logout()
    clock.step()
    password_step(client, next_url="https://evil.example/")
    response = client.post("/login/code", data={"code": code_now(secret, clock)})
    assert "evil" not in response.headers["Location"]


def _require(app, on=True):
    with app.app_context():
        row = get_settings()
        row.require_two_factor = on
        db.session.add(row)
        db.session.commit()


def test_admin_can_require_two_factor_for_all_staff(app, client, auth, clock):
    auth.login("admin")
    data = {"name": "Harbour Clinic", "address": "", "phone": "", "email": "",
            "time_zone": "Europe/London", "idle_timeout_minutes": "15",
            "intake_link_days": "14", "baseline_window_days": "30",
            "consent_text": "You may stop at any time.", "require_two_factor": "y"}
    page = client.get("/settings/")
    assert b"Require two-factor login for all staff" in page.data
    assert client.post("/settings/", data=data).status_code == 302
    with app.app_context():
        assert get_settings().require_two_factor is True
    # The admin, without a second factor yet, is now sent to set it up.
    assert client.get("/patients/").headers["Location"].endswith("/account/")


def test_required_two_factor_sends_staff_to_enrol_after_their_password(app, client, auth, clock):
    _require(app)
    user_id = auth.login("reception")  # the password alone still logs in ...
    for url in ("/", "/patients/", "/schedule/"):
        response = client.get(url)  # ... but reaches nothing but the account page
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/"), url
    page = client.get("/account/")
    assert page.status_code == 200 and b"requires two-factor login" in page.data
    secret, _ = enrol(app, client, user_id, clock)
    assert client.get("/patients/").status_code == 200
    # It cannot be turned off while the clinic requires it.
    off = client.post("/account/two-factor/off", data={"off-current": PASSWORD})
    assert off.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).two_factor_on
    auth.logout()
    password_step(client, email="reception@example.org")
    assert client.post("/login/code", data={"code": code_now(secret, clock)}).status_code == 302
    assert client.get("/patients/").status_code == 200


def test_turning_it_off_needs_the_password(app, client, auth, clock):
    user_id = auth.login("practitioner")
    enrol(app, client, user_id, clock)
    wrong = client.post("/account/two-factor/off", data={"off-current": "not my password"})
    assert wrong.status_code == 400 and b'id="off-current-error"' in wrong.data
    assert client.post("/account/two-factor/off",
                       data={"off-current": PASSWORD}).status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert not user.two_factor_on and user.totp_secret is None
        assert db.session.execute(select(RecoveryCode)).first() is None
    auth.logout()
    assert client.post("/login", data={"email": "practitioner@example.org", "password": PASSWORD}
                       ).headers["Location"].endswith("/")


def test_new_recovery_codes_replace_the_old(app, client, auth, clock):
    user_id = auth.login("practitioner")
    _, old = enrol(app, client, user_id, clock)
    page = client.post("/account/two-factor/recovery-codes", data={"codes-current": PASSWORD})
    new = re.findall(r"<code>([a-z0-9-]{19})</code>", page.get_data(as_text=True))
    assert page.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    auth.logout()
    password_step(client)
    assert client.post("/login/code", data={"code": old[0]}).status_code == 400
    assert client.post("/login/code", data={"code": new[0]}).status_code == 302


def test_admin_resets_a_users_two_factor(app, client, auth, clock):
    user_id = auth.login("practitioner")
    enrol(app, client, user_id, clock)
    auth.logout()
    admin = app.test_client()
    admin.__class__ = Client
    Auth = type(auth)
    Auth(app, admin).login("admin")
    page = admin.get(f"/users/{user_id}")
    assert b"Reset two-factor login" in page.data
    assert admin.post(f"/users/{user_id}/two-factor/reset").status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert not user.two_factor_on and user.totp_secret is None
        assert db.session.execute(select(RecoveryCode)).first() is None
        assert "two_factor_reset" in db.session.execute(select(AuditEntry.action)).scalars().all()
    # The password alone logs in again.
    response = client.post("/login", data={"email": "practitioner@example.org",
                                           "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_secrets_stored_before_are_sealed_by_the_migration_and_still_make_codes(tmp_path, clock):
    from flask_migrate import downgrade, upgrade

    from tests.test_adjuncts import insert, migrated_app, scratch_database
    secret = pyotp.random_base32()
    with scratch_database(tmp_path) as url:
        app = migrated_app(url)
        with app.app_context():
            upgrade(revision="0025")
            user_id = insert("user", email="p@example.org", role="practitioner",
                             totp_secret=secret)
            db.engine.dispose()
            upgrade()
            user = db.session.get(User, user_id)
            assert user.totp_secret != secret and secret not in user.totp_secret
            assert two_factor.secret_of(user) == secret
            assert two_factor.verify_totp(user, code_now(secret, clock), at=clock.now())
            db.session.remove()
            downgrade(revision="0025")  # and back, readable again by the old code
            with db.engine.connect() as conn:
                stored = conn.execute(sa.select(sa.column("totp_secret"))
                                      .select_from(sa.table("user"))).scalar_one()
            assert stored == secret
            db.engine.dispose()


def test_a_secret_sealed_under_another_key_makes_no_codes_and_no_error(app, clock):
    secret = pyotp.random_base32()
    with app.app_context():
        user = User(email="x@example.org", role="practitioner", totp_secret=seal(secret))
        app.config["SECRET_KEY"] = "another key " * 4  # the instance's key changed
        assert two_factor.secret_of(user) is None
        assert not two_factor.verify_totp(user, code_now(secret, clock), at=clock.now())
