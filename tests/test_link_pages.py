"""Intake link pages: the token is swapped for a short-lived cookie on first open and the patient
continues on URLs without it; revoked, expired and sent links answer the same on every page and
accept no writes."""
import re
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import Client, make_user
from tests.intake_helpers import ORDER, answers, fill, open_link, reception_link
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.intake import services as intake_services
from tracker.intake.models import Intake, IntakeInvitation
from tracker.timeutil import utcnow


@pytest.fixture
def patient_id(app):
    with app.app_context():
        made = factories.patient("Amélie", "Dubois", date(1970, 5, 4))
        db.session.commit()
        return made.id


@pytest.fixture
def token(client, auth, patient_id):
    return reception_link(client, auth, patient_id)


def browser(app, address="10.0.0.3"):
    made = app.test_client()
    made.__class__ = Client
    made.environ_base.update({"REMOTE_ADDR": address})
    return made


def test_first_open_swaps_the_token_for_a_cookie_and_a_token_free_url(app, client, token):
    response = client.get(f"/i/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/intake/about"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("intake_link=") and token not in cookie
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Max-Age=43200"):
        assert attribute in cookie, attribute
    fill(client, token, upto="health")
    for code in ORDER[:5]:
        page = client.get(f"/intake/{code}")
        assert page.status_code == 200, code
        assert token not in page.text, code  # not in form actions, step links or anywhere
        assert 'action="/intake/' + code + '"' in page.text
    # Old links with a step still work: they swap the token and move to the clean URL.
    moved = browser(app).get(f"/i/{token}/pain")
    assert moved.status_code == 302 and moved.headers["Location"] == "/intake/pain"


def test_a_post_to_an_old_token_url_is_not_written_through(app, client, token):
    response = client.post(f"/i/{token}/about", data=answers()["about"])
    # A live link sends the post on to the token-free URL (307 keeps the body) and writes
    # nothing itself.
    assert response.status_code == 307 and response.headers["Location"] == "/intake/about"
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().draft == {}


def test_without_the_cookie_the_token_free_pages_show_nothing(app, client, token):
    fill(client, token, upto="pain")
    stranger = browser(app)
    for code in (*ORDER, "done"):
        response = stranger.get(f"/intake/{code}")
        assert response.status_code == 403, code
        assert "open your link again" in response.text.lower()
        assert "Amélie" not in response.text and "Low back pain" not in response.text
    assert stranger.post("/intake/pain", data={"complaint": "forged"}).status_code == 403
    tampered = client.get_cookie("intake_link").value[:-2] + "xx"
    stranger.set_cookie("intake_link", tampered, domain="localhost")
    assert stranger.get("/intake/pain").status_code == 403
    with app.app_context():
        assert "forged" not in str(db.session.scalars(select(Intake)).one().draft)


def test_the_cookie_is_short_lived(make_app, patient_id):
    app = make_app(INTAKE_SESSION_HOURS=1 / 3600)  # one second
    make_user(app)  # past first-run setup
    with app.app_context():
        from tracker.patients.models import Patient
        _, value = intake_services.create_invitation(db.session.get(Patient, patient_id),
                                                     None, 14)
        db.session.commit()
    phone = browser(app)
    open_link(phone, value)
    assert phone.get("/intake/about").status_code == 200
    time.sleep(2.1)
    assert phone.get("/intake/about").status_code == 403


def _close(app, state: str, client, token):
    with app.app_context():
        invitation = db.session.scalars(select(IntakeInvitation)).one()
        if state == "expired":
            invitation.expires_at = utcnow() - timedelta(minutes=1)
        elif state == "revoked":
            invitation.revoked_at = utcnow()
        db.session.commit()
    if state == "submitted":
        fill(client, token)


def _snapshot(app):
    with app.app_context():
        intake = db.session.scalars(select(Intake)).one()
        updates = db.session.scalars(select(AuditEntry.id).where(
            AuditEntry.action.in_(("update", "create", "delete")))).all()
        return intake.status, intake.draft, intake.given_name, len(updates)


@pytest.mark.parametrize("state", ["expired", "revoked", "submitted"])
def test_closed_links_answer_the_same_everywhere_and_accept_no_writes(app, client, token,
                                                                      state):
    fill(client, token, upto="sleep")  # the patient's own browser, with its cookie
    _close(app, state, client, token)
    before = _snapshot(app)
    stranger = browser(app)
    by_token = [("GET", f"/i/{token}"), ("GET", f"/i/{token}/about"),
                ("GET", f"/i/{token}/pain"), ("GET", f"/i/{token}/done"),
                ("GET", f"/i/{token}/nowhere"), ("POST", f"/i/{token}/about"),
                ("POST", f"/i/{token}/consent"), ("POST", f"/i/{token}/pain")]
    by_cookie = [("GET", "/intake/about"), ("GET", "/intake/pain"), ("GET", "/intake/done"),
                 ("GET", "/intake/consent"), ("GET", "/intake/review"),
                 ("POST", "/intake/review")]
    if state != "expired":  # the patient's own page typed while live is kept (below)
        by_cookie += [("POST", "/intake/about"), ("POST", "/intake/consent")]
    answered = set()
    for who, calls in ((stranger, by_token), (client, by_token), (client, by_cookie)):
        for method, url in calls:
            response = who.open(url, method=method, data=answers(
                about={"given_name": "Mallory"}, consent={"consent_name": "Mallory"})[
                url.rsplit("/", 1)[-1] if url.rsplit("/", 1)[-1] in ORDER else "about"])
            text = response.get_data(as_text=True)
            assert "Amélie" not in text and "Dubois" not in text, (method, url)
            text = re.sub(r'<div class="alert alert-info" role="status">[^<]*</div>', "",
                          text)  # the staff logout message flashed on the shared test client
            answered.add((response.status_code, re.sub(r"\s+", " ", text)))
    assert len(answered) == 1, "\n----\n".join(a[1] for a in answered)
    assert _snapshot(app) == before


def test_an_expired_link_keeps_only_its_own_patients_last_page(app, client, token):
    fill(client, token, upto="about")
    _close(app, "expired", client, token)
    stranger = browser(app)
    refused = stranger.post(f"/i/{token}/pain", data={"complaint": "from a stranger"})
    assert refused.status_code == 410
    kept = client.post("/intake/pain", data={"complaint": "typed slowly"})
    assert kept.status_code == 410 and "have been saved" in kept.text
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().draft["pain"]["complaint"] == [
            "typed slowly"]


def test_revoking_stops_an_open_cookie_at_once(app, client, auth, token, patient_id):
    fill(client, token, upto="about")
    with app.app_context():
        invitation_id = db.session.scalars(select(IntakeInvitation.id)).one()
    auth.login("reception")
    client.post(f"/intake-links/{invitation_id}/revoke")
    auth.logout()
    assert client.get("/intake/pain").status_code == 410
    assert client.post("/intake/pain", data=answers()["pain"]).status_code == 410
    with app.app_context():
        assert "pain" not in db.session.scalars(select(Intake)).one().draft


def test_a_page_shown_blank_in_another_browser_never_erases_what_was_typed(app, client, token):
    """Another browser on a reception link sees the pain step empty (the answers are not
    shown there); pressing Back or Continue on it keeps the answers typed in the first."""
    fill(client, token, upto="pain")
    other = browser(app)
    open_link(other, token)
    page = other.get("/intake/pain").text
    assert "Low back pain down my left leg" not in page
    assert other.post("/intake/pain", data={"action": "back"}).status_code == 302
    # Continue: the step's kept answers are complete, so they are not asked for again here.
    assert other.post("/intake/pain", data={"action": "next"}).status_code == 302
    with app.app_context():
        kept = db.session.scalars(select(Intake)).one().draft["pain"]
        assert kept["complaint"] == ["Low back pain down my left leg"]
        assert kept["nrs_now"] == ["6"]


def test_red_flag_questions_tell_another_browser_nothing_about_the_pain_step(app, client,
                                                                           token):
    """Migraine, no back pain: the patient's own browser is not asked the back-pain red flags;
    a second browser on the same reception link, which cannot see the pain step, is asked them,
    as it would be had back pain been ticked."""
    data = answers(pain={"conditions": ["migraine"], "regions": ["temple_l"]})
    fill(client, token, data, upto="health")
    red = 'name="red_'
    assert red not in client.get("/intake/safety").text
    other = browser(app)
    open_link(other, token)
    assert red in other.get("/intake/safety").text
