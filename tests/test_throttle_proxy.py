"""Proxy-aware, per-person limits (issue 13, item 2).

Behind a reverse proxy every request came from the proxy's address, so one guesser's failures
locked out every colleague and paused every patient's link, and the audit trail showed the proxy.
Five wrong passwords locked the account against the right password from anywhere, an
administrator's reset did not lift it, and every refused attempt wrote an audit row.
"""
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD, Client, make_user
from tracker.accounts.models import LoginSession, ThrottleEvent
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.timeutil import utcnow

PROXY = "127.0.0.1"  # the reverse proxy, as gunicorn sees it
GUESSER, NURSE = "203.0.113.66", "198.51.100.10"
WRONG = "not the password at all"


@pytest.fixture
def behind_proxy(make_app) -> Flask:
    app = make_app(TRUSTED_PROXY_HOPS=1)
    app.test_client_class = Client
    return app


def login(client, email, password, via=None, addr=PROXY):
    """POST /login from `addr`; `via` is the client address the proxy appends."""
    headers = {"X-Forwarded-For": via} if via else {}
    return client.post("/login", data={"email": email, "password": password}, headers=headers,
                       environ_base={"REMOTE_ADDR": addr})


def audit_ips(app, action: str) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry.ip).where(AuditEntry.action == action)).all()


def age(app, seconds: float, key_prefix: str = "") -> None:
    """Move recorded failures (and refusal markers) into the past."""
    with app.app_context():  # in Python: SQLite has no datetime arithmetic in SQL
        for event in db.session.scalars(select(ThrottleEvent).where(
                ThrottleEvent.key.startswith(key_prefix))):
            event.at = event.at - timedelta(seconds=seconds)
        db.session.commit()


# --- the trusted proxy hops setting ------------------------------------------------------------

def test_forwarded_for_is_ignored_without_trusted_hops(app):
    """The default (0): a client cannot choose the address its failures count against."""
    make_user(app, "practitioner", "mei@example.org")
    app.test_client_class = Client
    client = app.test_client()
    login(client, "mei@example.org", WRONG, via=GUESSER, addr="10.0.0.7")
    assert audit_ips(app, "login_failed") == ["10.0.0.7"]
    login(client, "mei@example.org", PASSWORD, via=GUESSER, addr="10.0.0.7")
    with app.app_context():
        assert db.session.scalars(select(LoginSession.ip)).all() == ["10.0.0.7"]


def test_one_trusted_hop_takes_the_address_the_proxy_appended(behind_proxy):
    app = behind_proxy
    make_user(app, "practitioner", "mei@example.org")
    client = app.test_client()
    # A client-supplied X-Forwarded-For comes first; the proxy appends the real peer last.
    login(client, "mei@example.org", WRONG, via=f"10.9.9.9, {GUESSER}")
    assert audit_ips(app, "login_failed") == [GUESSER]
    login(client, "mei@example.org", PASSWORD, via=NURSE)
    assert audit_ips(app, "login") == [NURSE]
    with app.app_context():
        assert db.session.scalars(select(LoginSession.ip)).all() == [NURSE]


def test_forwarded_proto_and_host_are_trusted_only_with_hops(make_app):
    seen = {}
    for hops in (0, 1):
        app = make_app(TRUSTED_PROXY_HOPS=hops)
        if not hops:
            make_user(app)  # past the first-run setup page

        @app.get("/_where")
        def where(hops=hops):
            from flask import request
            seen[hops] = (request.scheme, request.host, request.remote_addr)
            return ""

        app.test_client().get("/_where", base_url="http://127.0.0.1:8000", headers={
            "X-Forwarded-For": NURSE, "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "clinic.example.org"})
    assert seen[0] == ("http", "127.0.0.1:8000", "127.0.0.1")
    assert seen[1] == ("https", "clinic.example.org", NURSE)


@pytest.mark.parametrize("value, expected", [(0, 0), ("2", 2), (None, 0)])
def test_trusted_hops_setting_is_a_whole_number(value, expected):
    from tracker import trust_proxies
    app = Flask(__name__)
    app.config["TRUSTED_PROXY_HOPS"] = value
    trust_proxies(app)
    assert app.config["TRUSTED_PROXY_HOPS"] == expected
    assert (type(app.wsgi_app).__name__ == "ProxyFix") == bool(expected)


@pytest.mark.parametrize("value", ["-1", "one", 1.5, True])
def test_a_wrong_trusted_hops_value_refuses_to_start(value):
    from tracker import trust_proxies
    app = Flask(__name__)
    app.config["TRUSTED_PROXY_HOPS"] = value
    with pytest.raises(RuntimeError, match="TRUSTED_PROXY_HOPS"):
        trust_proxies(app)


# --- behind the proxy, one guesser locks out only themselves -----------------------------------

def test_a_guessers_failures_do_not_lock_out_a_colleague_behind_the_proxy(behind_proxy):
    app = behind_proxy
    make_user(app, "practitioner", "mei@example.org")
    client = app.test_client()
    for _ in range(5):
        assert login(client, "mei@example.org", WRONG, via=GUESSER).status_code == 400
    refused = login(client, "mei@example.org", PASSWORD, via=GUESSER)
    assert b"Too many failed attempts" in refused.data  # the guesser waits, even if right
    assert login(client, "mei@example.org", PASSWORD, via=NURSE).status_code == 302


def test_the_right_password_works_from_another_client_without_a_proxy(app):
    make_user(app, "practitioner", "mei@example.org")
    app.test_client_class = Client
    client = app.test_client()
    for _ in range(8):
        login(client, "mei@example.org", WRONG, addr=GUESSER)
    assert login(client, "mei@example.org", PASSWORD, addr=NURSE).status_code == 302


def test_a_client_guessing_many_accounts_is_paused_alone(make_app):
    app = make_app(TRUSTED_PROXY_HOPS=1, LOGIN_MAX_FAILURES_PER_IP=3)
    app.test_client_class = Client
    make_user(app, "practitioner", "mei@example.org")
    client = app.test_client()
    for i in range(3):
        login(client, f"guess{i}@example.org", WRONG, via=GUESSER)
    assert b"Too many failed attempts" in login(client, "mei@example.org", PASSWORD,
                                                via=GUESSER).data
    assert login(client, "mei@example.org", PASSWORD, via=NURSE).status_code == 302


def test_wrong_intake_links_pause_only_the_guessers_address(make_app):
    from tracker.intake.services import create_invitation
    from tracker.patients.services import save
    app = make_app(TRUSTED_PROXY_HOPS=1, INTAKE_THROTTLE_LIMIT=3)
    user_id = make_user(app, "reception")
    with app.app_context():
        from tracker.accounts.models import User
        patient = save(None, {"given_name": "Amélie", "family_name": "Dubois",
                              "date_of_birth": date(1970, 5, 4)})
        token = create_invitation(patient, db.session.get(User, user_id), 14)[1]
        db.session.commit()
    client = app.test_client()
    for _ in range(3):
        assert client.get("/i/guess-abcdefghijklmnopqrstuvwxyz",
                          headers={"X-Forwarded-For": GUESSER}).status_code == 404
    assert client.get(f"/i/{token}", headers={"X-Forwarded-For": GUESSER}).status_code == 429
    assert client.get(f"/i/{token}", headers={"X-Forwarded-For": NURSE}).status_code == 302


# --- escalating waits and the per-account slowdown ---------------------------------------------

def test_the_wait_grows_one_minute_then_two(app):
    make_user(app, "practitioner", "mei@example.org")
    app.test_client_class = Client
    client = app.test_client()
    for _ in range(5):
        login(client, "mei@example.org", WRONG, addr=GUESSER)
    page = login(client, "mei@example.org", WRONG, addr=GUESSER)
    assert b"Try again in 1 minute," in page.data
    age(app, 61)
    assert b"do not match" in login(client, "mei@example.org", WRONG, addr=GUESSER).data
    assert b"Try again in 2 minutes" in login(client, "mei@example.org", WRONG, addr=GUESSER).data
    age(app, 121)
    assert login(client, "mei@example.org", PASSWORD, addr=GUESSER).status_code == 302


def test_failures_from_many_clients_slow_the_account_down_but_never_refuse_it(app, monkeypatch):
    from tracker.accounts import login_throttle
    pauses = []
    monkeypatch.setattr(login_throttle, "pause", pauses.append)
    make_user(app, "practitioner", "mei@example.org")
    app.test_client_class = Client
    client = app.test_client()
    for n in range(7):  # seven guessers, one try each: none of them is refused
        assert b"do not match" in login(client, "mei@example.org", WRONG,
                                        addr=f"203.0.113.{n}").data
    assert pauses == [0, 0, 0, 0, 0, 0.5, 1.0]
    assert login(client, "mei@example.org", PASSWORD, addr=NURSE).status_code == 302
    assert pauses[-1] == 1.5  # slowed, not refused
    client.post("/logout")
    login(client, "mei@example.org", PASSWORD, addr=NURSE)
    assert pauses[-1] == 0  # the successful login cleared the account's slowdown


def test_a_successful_login_clears_this_clients_failures(app):
    make_user(app, "practitioner", "mei@example.org")
    app.test_client_class = Client
    client = app.test_client()
    for _ in range(4):
        login(client, "mei@example.org", WRONG, addr=NURSE)
    assert login(client, "mei@example.org", PASSWORD, addr=NURSE).status_code == 302
    client.post("/logout")
    for _ in range(4):  # four more typos are not the fifth and sixth failure
        assert b"do not match" in login(client, "mei@example.org", WRONG, addr=NURSE).data
    from tracker.accounts import login_throttle
    with app.app_context():
        key = login_throttle.pair_key("mei@example.org", NURSE)
        assert db.session.scalar(select(func.count()).where(ThrottleEvent.key == key)) == 4


def test_an_administrators_reset_lifts_the_wait(app):
    mei_id = make_user(app, "practitioner", "mei@example.org")
    make_user(app, "admin", "admin@example.org")
    app.test_client_class = Client
    mei, admin = app.test_client(), app.test_client()
    for _ in range(6):
        login(mei, "mei@example.org", WRONG, addr=NURSE)
    assert b"Too many failed attempts" in login(mei, "mei@example.org", PASSWORD, addr=NURSE).data
    assert login(admin, "admin@example.org", PASSWORD, addr="10.0.0.2").status_code == 302
    new = "a brand new passphrase"
    reset = admin.post(f"/users/{mei_id}/password", data={"password": new, "confirm": new},
                       environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert reset.status_code == 302
    assert login(mei, "mei@example.org", new, addr=NURSE).status_code == 302


# --- the cheap, throttled path -------------------------------------------------------------------

def test_refused_attempts_write_one_audit_row_per_window(app):
    make_user(app, "practitioner", "mei@example.org")
    app.test_client_class = Client
    client = app.test_client()
    for _ in range(5):
        login(client, "mei@example.org", WRONG, addr=GUESSER)

    def counts():
        with app.app_context():
            audit = db.session.scalar(select(func.count()).where(
                AuditEntry.action == "login_throttled"))
            return audit, db.session.scalar(select(func.count()).select_from(ThrottleEvent))

    for _ in range(10):
        assert b"Too many failed attempts" in login(client, "mei@example.org", PASSWORD,
                                                    addr=GUESSER).data
    audit, events = counts()
    assert audit == 1
    assert events == 5 * 3 + 1  # five failures counted three ways, one refusal marker
    assert audit_ips(app, "login_throttled") == [GUESSER]
    # The refusal marker ages out with the window; the next refusal is audited again.
    with app.app_context():
        db.session.execute(update(ThrottleEvent).where(ThrottleEvent.key.startswith(
            "login-refused:")).values(at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    login(client, "mei@example.org", PASSWORD, addr=GUESSER)
    login(client, "mei@example.org", PASSWORD, addr=GUESSER)
    assert counts()[0] == 2
