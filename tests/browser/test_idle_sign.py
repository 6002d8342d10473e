"""Nothing typed is lost to the idle logout, in a real browser with a real wait: a record signed
after the idle limit is signed with every value typed once the practitioner signs in again; an
autosave after the limit says plainly it was not saved (and "Save draft" still keeps it); the
page warns before the limit and "Stay signed in" keeps the login."""
import re
import time
from datetime import date

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import PASSWORD, make_user
from tracker.extensions import db
from tracker.sessions.models import SessionRecord

pytestmark = pytest.mark.browser

IDLE_MINUTES = 0.2  # 12 seconds (the settings page allows 2 minutes at least; this is a test)
LIMIT = IDLE_MINUTES * 60
EMAIL = "mei@example.org"


@pytest.fixture
def clinic(live_server):
    """The live app with a short idle limit and Mei's open session record."""
    live_server.config["IDLE_TIMEOUT_MINUTES"] = IDLE_MINUTES
    user_id = make_user(live_server, "practitioner", EMAIL, display_name="Mei Lin")
    with live_server.app_context():
        patient = factories.patient("Fatima", "Gallagher", date(1988, 6, 1))
        plan = factories.plan_row(patient, user_id, sessions_planned=10,
                                  points=[("BL23", "bilateral"), ("BL40", "bilateral")])
        appointment = factories.appointment(patient, user_id, plan=plan, number=2)
        record = factories.opened_session(appointment, user_id, pain_before=6)
        db.session.commit()
        live_server.record_id = record.id
    return live_server


def log_in(page):
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def stored(app) -> SessionRecord:
    with app.app_context():
        record = db.session.get(SessionRecord, app.record_id)
        record.adverse_events  # noqa: B018  (loaded before the context closes)
        return record


def test_sign_after_the_idle_limit_keeps_every_typed_value(clinic, page_factory):
    base, page = clinic.live_url, page_factory()
    page.goto(base + "/login")
    log_in(page)
    page.goto(f"{base}/sessions/{clinic.record_id}/edit")
    status = page.locator("[data-autosave-status]")
    page.locator('label:has(input[name="pain_after"][value="3"])').click()
    page.locator('input[name="adverse"][value="some"]').check()
    page.locator('select[name="adverse_events-0-kind"]').select_option("bruising")
    page.locator('input[name="adverse_events-0-site"]').fill("LI4 left")
    page.locator('textarea[name="adverse_events-0-action"]').fill("Pressure for a minute")
    page.locator('input[name="needles_reconciled"]').check()
    page.locator('textarea[name="subjective"]').fill("Slept better; typed with needles in")
    expect(status).to_contain_text("Draft kept")

    # Needles stay in past the idle limit: the page warns first, then says the login ended.
    banner = page.locator("[data-idle-banner]")
    expect(banner).to_contain_text("You will be signed out", timeout=LIMIT * 1000)
    expect(banner).to_contain_text("You have been signed out", timeout=LIMIT * 1000)
    assert not stored(clinic).signed

    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_role("heading", name="Sign in again to finish saving")).to_be_visible()
    log_in(page)
    expect(page.locator(".alert-success")).to_contain_text("signed and locked")

    record = stored(clinic)
    assert record.signed and (record.pain_before, record.pain_after) == (6, 3)
    assert record.subjective == "Slept better; typed with needles in"
    assert record.needles_reconciled is True and record.no_adverse_events is False
    assert [(a.kind, a.site, a.action) for a in record.adverse_events] == [
        ("bruising", "LI4 left", "Pressure for a minute")]


def test_autosave_after_the_idle_limit_says_not_saved_and_save_still_keeps_it(
        clinic, page_factory):
    base, page = clinic.live_url, page_factory(390, 844)
    page.goto(base + "/login")
    log_in(page)
    page.goto(f"{base}/sessions/{clinic.record_id}/edit")
    banner = page.locator("[data-idle-banner]")
    expect(banner).to_contain_text("You have been signed out", timeout=2 * LIMIT * 1000)
    expect(banner.get_by_role("button", name="Stay signed in")).to_be_hidden()

    page.locator('textarea[name="subjective"]').fill("Typed after the login ended")
    status = page.locator("[data-autosave-status]")
    expect(status).to_contain_text(re.compile("not saved", re.I))
    expect(status).to_contain_text("sign in again")
    expect(status).not_to_contain_text("Draft kept")
    assert "Typed after the login ended" not in str(stored(clinic).draft)

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="Sign in again to finish saving")).to_be_visible()
    log_in(page)
    expect(page.locator(".alert-success")).to_contain_text("Saved.")
    expect(page.locator('textarea[name="subjective"]')).to_have_value(
        "Typed after the login ended")
    record = stored(clinic)
    assert record.subjective == "Typed after the login ended" and not record.signed


def test_the_warning_comes_before_the_limit_and_stay_signed_in_keeps_the_login(
        clinic, page_factory):
    base, page = clinic.live_url, page_factory()
    page.goto(base + "/login")
    log_in(page)
    loaded = time.monotonic()
    page.goto(base + "/patients/")
    banner = page.locator("[data-idle-banner]")
    expect(banner).to_contain_text("You will be signed out", timeout=LIMIT * 1000)
    assert time.monotonic() - loaded < LIMIT  # before the limit, not after
    expect(banner).to_have_attribute("role", "status")  # announced, never a modal
    banner.get_by_role("button", name="Stay signed in").click()
    expect(banner).to_be_hidden()
    time.sleep(max(LIMIT + 2 - (time.monotonic() - loaded), 0))
    page.goto(base + "/patients/")  # past the first limit: still signed in
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_typing_on_a_page_keeps_the_login_without_asking(clinic, page_factory):
    base, page = clinic.live_url, page_factory()
    page.goto(base + "/login")
    log_in(page)
    loaded = time.monotonic()
    page.goto(base + "/patients/new")
    page.get_by_label("Given name").fill("Kari")  # typed, not sent: someone is at work here
    time.sleep(max(LIMIT + 2 - (time.monotonic() - loaded), 0))
    expect(page.locator("[data-idle-banner]:visible")).to_have_count(0)
    page.goto(base + "/patients/")
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
