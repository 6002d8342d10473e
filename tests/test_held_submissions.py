"""Nothing typed is lost to the idle logout: a form posted after the login expired is held for
its sender and finished once the same person signs in again (CSRF checked afresh, audit as
usual); another user gets nothing; it expires; a page's fetch gets 401, never the login page;
the page can ask how long the login has left and stay signed in."""
import html
import re
from datetime import date, timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.conftest import PASSWORD, Client, csrf_token, make_user
from tests.test_sessions import payload
from tracker import maintenance
from tracker.accounts import held
from tracker.accounts.models import HeldSubmission, LoginSession, User
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.sealing import seal
from tracker.sessions.models import SessionRecord
from tracker.timeutil import utcnow

MEI, JO = "mei@example.org", "jo@example.org"


@pytest.fixture
def site(make_app):
    """CSRF on, as in production; Mei (practitioner) with an open session record."""
    app = make_app(WTF_CSRF_ENABLED=True)
    app.test_client_class = Client
    mei = make_user(app, "practitioner", MEI, display_name="Mei Lin")
    make_user(app, "practitioner", JO, display_name="Jo Park")
    with app.app_context():
        patient = factories.patient("Hannah", "Eriksen", date(1975, 1, 2))
        plan = factories.plan_row(patient, mei, sessions_planned=10,
                                  points=[("BL23", "bilateral"), ("GB30", "left")])
        appointment = factories.appointment(patient, mei, plan=plan, number=2)
        record = factories.opened_session(appointment, mei, pain_before=6)
        db.session.commit()
        app.record_id, app.mei = record.id, mei
    return app


def log_in(client, email, query=""):
    token = csrf_token(client.get("/login" + query).text)
    return client.post("/login" + query, data={"email": email, "password": PASSWORD,
                                               "csrf_token": token})


def expire_logins(app, minutes=16):
    with app.app_context():
        db.session.execute(update(LoginSession).values(
            last_seen_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()


def sign_form(client, app, **changes):
    """The record's form as Mei fills it in, with the page's CSRF token, ready to sign."""
    page = client.get(f"/sessions/{app.record_id}/edit").text
    return payload(page, **({"action": "sign", "pain_after": "2",
                             "subjective": "Typed while needles in",
                             "csrf_token": csrf_token(page)} | changes))


def resume_id(response) -> str:
    assert response.status_code == 302, response.text
    match = re.search(r"/login\?resume=([A-Za-z0-9_-]+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def hidden_form(page: str) -> tuple[str, list[tuple[str, str]]]:
    action = re.search(r'<form method="post" action="([^"]+)" data-resume-now>', page).group(1)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return html.unescape(action), [(n, html.unescape(v)) for n, v in fields]


def record(app) -> SessionRecord:
    with app.app_context():
        return db.session.get(SessionRecord, app.record_id)


def held_rows(app) -> list[tuple[int, str]]:
    with app.app_context():
        return list(db.session.execute(select(HeldSubmission.user_id, HeldSubmission.path)))


def test_a_sign_after_the_idle_limit_is_held_then_finished_by_the_same_user(site):
    client = site.test_client()
    assert log_in(client, MEI).status_code == 302
    data = sign_form(client, site)
    expire_logins(site)

    late = client.post(f"/sessions/{site.record_id}/edit?next=/patients/", data=data)
    one_time = resume_id(late)
    assert not record(site).signed
    assert held_rows(site) == [(site.mei, f"/sessions/{site.record_id}/edit?next=/patients/")]
    login_page = client.get(late.headers["Location"]).text
    assert "Sign in again to finish saving" in login_page
    assert "has not been saved yet" in login_page

    signed_in = log_in(client, MEI, f"?resume={one_time}")
    assert signed_in.headers["Location"].endswith(f"/login/resume/{one_time}")
    page = client.get(signed_in.headers["Location"])
    assert page.status_code == 200
    assert held_rows(site) == []  # handed back once, then gone
    action, fields = hidden_form(page.text)
    assert action == f"/sessions/{site.record_id}/edit?next=/patients/"
    sent = dict(fields)
    assert sent["subjective"] == "Typed while needles in" and sent["action"] == "sign"
    assert sent["csrf_token"] != data["csrf_token"]  # this login's token, not the old one

    # The replay is an ordinary post: without this login's token it is refused.
    without = [(n, v) for n, v in fields if n != "csrf_token"]
    assert client.post(action, data=MultiDict(without)).status_code == 400
    stale = without + [("csrf_token", data["csrf_token"])]
    assert client.post(action, data=MultiDict(stale)).status_code == 400
    assert not record(site).signed

    done = client.post(action, data=MultiDict(fields))
    assert done.status_code == 302 and done.headers["Location"].endswith("/patients/")
    signed = record(site)
    assert signed.signed and signed.pain_after == 2
    assert signed.subjective == "Typed while needles in"
    with site.app_context():
        actions = [(a, u) for a, u in db.session.execute(
            select(AuditEntry.action, AuditEntry.user_id).order_by(AuditEntry.id))]
        changed = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "SessionRecord", AuditEntry.entity_id == str(site.record_id),
            AuditEntry.user_id == site.mei, AuditEntry.changes.is_not(None),
            AuditEntry.action == "update"))
    assert ("submission_held", site.mei) in actions
    assert ("submission_resumed", site.mei) in actions
    assert changed >= 1  # the sign itself is audited as any sign is

    # Once only: opening the hand-back address again finds nothing.
    again = client.get(f"/login/resume/{one_time}", follow_redirects=True)
    assert "That form is no longer kept" in again.text


def test_another_user_signing_in_does_not_get_it(site):
    client = site.test_client()
    log_in(client, MEI)
    data = sign_form(client, site)
    expire_logins(site)
    one_time = resume_id(client.post(f"/sessions/{site.record_id}/edit", data=data))

    other = log_in(client, JO, f"?resume={one_time}")
    page = client.get(other.headers["Location"], follow_redirects=True)
    assert "That form is no longer kept" in page.text
    assert "Typed while needles in" not in page.text
    assert not record(site).signed
    assert held_rows(site) == [(site.mei, f"/sessions/{site.record_id}/edit")]  # still Mei's
    # Nor by guessing: Jo cannot reach it at the hand-back address either.
    assert "Typed while needles in" not in client.get(
        f"/login/resume/{one_time}", follow_redirects=True).text

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    mine = log_in(client, MEI, f"?resume={one_time}")
    assert "Typed while needles in" in client.get(mine.headers["Location"]).text


def test_a_held_form_expires_after_hold(site):
    client = site.test_client()
    log_in(client, MEI)
    data = sign_form(client, site)
    expire_logins(site)
    one_time = resume_id(client.post(f"/sessions/{site.record_id}/edit", data=data))
    with site.app_context():
        db.session.execute(update(HeldSubmission).values(
            created_at=utcnow() - held.HOLD + timedelta(seconds=30)))
        db.session.commit()
        assert held.waiting(one_time)  # just inside the hold
        db.session.execute(update(HeldSubmission).values(
            created_at=utcnow() - held.HOLD - timedelta(seconds=1)))
        db.session.commit()
        assert not held.waiting(one_time)
    assert "Sign in again to finish saving" not in client.get(f"/login?resume={one_time}").text
    signed_in = log_in(client, MEI, f"?resume={one_time}")
    page = client.get(signed_in.headers["Location"], follow_redirects=True)
    assert "That form is no longer kept" in page.text and not record(site).signed
    with site.app_context():
        pruned = maintenance.run()
        assert pruned.held_forms == 1 and "1 expired held forms" in str(pruned)
    assert held_rows(site) == []


@pytest.mark.parametrize("junk", ["../../patients/", "x" * 500, "%2F%2Fevil.example", ""])
def test_a_made_up_resume_id_leads_nowhere_but_the_dashboard(site, junk):
    client = site.test_client()
    assert "Sign in again" not in client.get("/login", query_string={"resume": junk}).text
    token = csrf_token(client.get("/login").text)
    response = client.post("/login", query_string={"resume": junk}, data={
        "email": MEI, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] in ("/", "https://localhost/")


def test_a_post_failing_the_csrf_check_is_not_held(site):
    client = site.test_client()
    log_in(client, MEI)
    data = sign_form(client, site) | {"csrf_token": "forged"}
    expire_logins(site)
    response = client.post(f"/sessions/{site.record_id}/edit", data=data)
    assert response.status_code == 400 and held_rows(site) == []


def test_logout_and_posts_without_a_known_login_are_not_held(site):
    client = site.test_client()
    log_in(client, MEI)
    token = csrf_token(client.get("/").text)
    expire_logins(site)
    response = client.post("/logout", data={"csrf_token": token})
    assert "resume=" not in response.headers["Location"] and held_rows(site) == []
    # A browser that never logged in has no login to hold a post for.
    stranger = site.test_client()
    token = csrf_token(stranger.get("/login").text)
    response = stranger.post(f"/sessions/{site.record_id}/edit",
                             data={"csrf_token": token, "action": "sign"})
    assert "resume=" not in response.headers["Location"] and held_rows(site) == []


def test_autosave_after_the_idle_limit_answers_401_and_keeps_nothing(site):
    client = site.test_client()
    log_in(client, MEI)
    data = sign_form(client, site, action=None)
    fetch = {"X-Requested-With": "fetch"}
    assert client.post(f"/sessions/{site.record_id}/autosave", data=data,
                       headers=fetch).json == {"saved": True}
    with site.app_context():
        db.session.execute(update(SessionRecord).values(draft=None))
        db.session.commit()
    expire_logins(site)
    late = client.post(f"/sessions/{site.record_id}/autosave", data=data, headers=fetch)
    assert late.status_code == 401 and late.json["saved"] is False
    assert late.json["signed_out"] is True
    assert record(site).draft is None and held_rows(site) == []
    # A page (not a fetch) still goes to the login page and back.
    page = client.get(f"/sessions/{site.record_id}/edit")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]


def test_an_autosave_counts_as_activity(site):
    client = site.test_client()
    log_in(client, MEI)
    data = sign_form(client, site, action=None)
    expire_logins(site, minutes=14)  # a minute before the 15-minute limit
    assert client.post(f"/sessions/{site.record_id}/autosave", data=data,
                       headers={"X-Requested-With": "fetch"}).json == {"saved": True}
    assert client.get("/account/idle").json["seconds_left"] > 14 * 60


def test_idle_time_left_is_read_without_counting_and_stay_signed_in_resets_it(site):
    client = site.test_client()
    log_in(client, MEI)
    expire_logins(site, minutes=10)
    with site.app_context():
        before = db.session.scalar(select(LoginSession.last_seen_at))
    left = client.get("/account/idle").json["seconds_left"]
    assert 4 * 60 < left <= 5 * 60
    with site.app_context():
        assert db.session.scalar(select(LoginSession.last_seen_at)) == before  # not activity
    token = csrf_token(client.get("/account/").text)  # any page: this refreshes the login
    assert client.post("/account/keep-alive", headers={"X-Requested-With": "fetch"}
                       ).status_code == 400  # CSRF is checked here too
    kept = client.post("/account/keep-alive", data={"csrf_token": token},
                       headers={"X-Requested-With": "fetch"})
    assert kept.status_code == 200 and kept.json["seconds_left"] > 14 * 60
    expire_logins(site)
    assert client.get("/account/idle").json["seconds_left"] == 0
    gone = client.post("/account/keep-alive", data={"csrf_token": token},
                       headers={"X-Requested-With": "fetch"})
    assert gone.status_code == 401
    assert site.test_client().get("/account/idle").json["seconds_left"] == 0  # no login at all


def test_a_two_factor_user_gets_the_held_form_after_the_code(app, client, auth):
    """CSRF off here (the default test app): the code step keeps where to go next."""
    user_id = auth.login("practitioner")
    secret = pyotp.random_base32()
    with app.app_context():
        user = db.session.get(User, user_id)
        user.totp_secret, user.totp_enabled_at = seal(secret), utcnow()
        db.session.commit()
    expire_logins(app)
    late = client.post("/patients/new", data={"given_name": "Kari", "family_name": "Nordmann"})
    one_time = resume_id(late)
    password = client.post(f"/login?resume={one_time}",
                           data={"email": "practitioner@example.org", "password": PASSWORD})
    assert password.headers["Location"].endswith("/login/code")
    code = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert code.headers["Location"].endswith(f"/login/resume/{one_time}")
    action, fields = hidden_form(client.get(code.headers["Location"]).text)
    assert action == "/patients/new"
    assert [f for f in fields if f[0] != "csrf_token"] == [("given_name", "Kari"),
                                                            ("family_name", "Nordmann")]
