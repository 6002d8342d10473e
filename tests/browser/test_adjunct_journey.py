"""Other treatments in a real browser on a 360 px phone: electroacupuncture and moxa added as
rows with their own settings (the Add button is a plain form post, no script needed), signed,
shown on the session; nothing wider than the screen. Also at 1280 px."""
import os
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_session_journey import _patient_with_appointment
from tests.conftest import PASSWORD, make_user
from tracker.extensions import db
from tracker.sessions.models import SessionAdjunct

pytestmark = pytest.mark.browser


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width,script", [(360, True), (360, False), (1280, True)],
                         ids=["phone", "phone-no-script", "desktop"])
def test_electro_and_moxa_rows(live_server, browser, width, script):
    base = live_server.live_url
    user_id = make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin")
    _patient_with_appointment(live_server, user_id, "Fatima")
    context = browser.new_context(viewport={"width": width, "height": 780},
                                  java_script_enabled=script)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(base + "/login")
        page.get_by_label("Email").fill("mei@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.locator(".today-list").get_by_role("link", name=re.compile("Fatima")).click()
        page.get_by_role("button", name="Start the session record").click()

        page.get_by_label("Add a treatment").select_option("electro")
        page.get_by_role("button", name="Add", exact=True).click()
        row = page.locator("fieldset.adjunct-row").filter(has_text="Electroacupuncture")
        row.get_by_label("Point pairs").fill("BL23-BL25 left")
        row.get_by_label("Frequency (Hz)").fill("2/100")
        row.get_by_label("Waveform").select_option("dense_disperse")
        row.get_by_label("Intensity").fill("comfortable tingling")
        row.get_by_label("Minutes").fill("20")
        page.get_by_label("Add a treatment").select_option("moxa-direct")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(row.get_by_label("Frequency (Hz)")).to_have_value("2/100")   # typing kept
        moxa = page.locator("fieldset.adjunct-row").filter(has_text="Moxibustion, direct")
        expect(moxa.get_by_label("Frequency (Hz)")).to_have_count(0)
        moxa.get_by_label("Points or area").fill("ST36 both")
        moxa.get_by_label("Cones").fill("5")
        assert _fits(page)
        if os.environ.get("TRACKER_SHOTS") == "1":
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("fieldset.adjuncts").screenshot(
                path=str(ARTIFACTS / f"adjuncts-{width}-{'script' if script else 'plain'}.png"))
        page.locator('label:has(input[name="pain_before"][value="6"])').click()
        page.locator('label:has(input[name="pain_after"][value="3"])').click()
        page.get_by_label("None", exact=True).check()
        page.get_by_label("All needles counted out at removal").check()
        page.get_by_role("button", name="Sign and lock").click()
        expect(page.get_by_role("status").first).to_contain_text("signed and locked")

        with live_server.app_context():
            found = [(a.kind, a.site, a.minutes, a.settings)
                     for a in db.session.scalars(select(SessionAdjunct)
                                                 .order_by(SessionAdjunct.position))]
        assert found == [
            ("electro", "BL23-BL25 left", 20, {"hz": "2/100", "waveform": "dense_disperse",
                                               "intensity": "comfortable tingling"}),
            ("moxa-direct", "ST36 both", None, {"cones": 5})]
        page.goto(base + "/patients/?q=fatima")
        page.locator("main").get_by_role("link", name=re.compile("Fatima")).first.click()
        page.locator("table.timeline a").first.click()
        expect(page.locator("main")).to_contain_text(
            "Electroacupuncture: BL23-BL25 left, 2/100 Hz, Dense-disperse, comfortable "
            "tingling, 20 min")
        expect(page.locator("main")).to_contain_text("Moxibustion, direct: ST36 both, 5 cones")
        assert _fits(page)
    finally:
        context.close()
