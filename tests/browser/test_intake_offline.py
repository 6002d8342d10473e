"""The intake keeps the patient's typing in the browser until the server has it (issue 14):
offline, "Save and continue" waits and posts by itself when the connection returns; a tab
closed before saving gets its typing back; the answers leave the phone once the server has
them."""
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.conftest import Auth, Client
from tests.intake_helpers import link_token
from tracker.extensions import db
from tracker.patients import services as patient_services

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def kept(page) -> dict:
    return page.evaluate("""() => Object.fromEntries(Object.keys(localStorage)
        .filter((k) => k.startsWith('intake-answers:')).map((k) => [k, localStorage[k]]))""")


def test_offline_answers_wait_on_the_phone_and_are_sent_when_back(live_server, page_factory):
    base = live_server.live_url
    with live_server.app_context():
        patient_id = patient_services.save(None, {
            "given_name": "Ines", "family_name": "Moreau", "date_of_birth": date(1971, 4, 2),
            "phone": "+44 7700 900777"}).id
        db.session.commit()
    live_server.config["WTF_CSRF_ENABLED"] = False  # staff's part through the test client
    staff = live_server.test_client()
    staff.__class__ = Client
    Auth(live_server, staff).login("practitioner")
    token = link_token(staff, patient_id)
    live_server.config["WTF_CSRF_ENABLED"] = True

    phone = page_factory(**PHONE)
    phone.goto(f"{base}/i/{token}")
    expect(phone.get_by_text("Step 1 of 7")).to_be_visible()
    phone.get_by_label("Family doctor").fill("Dr Offline Practice")
    assert "intake-answers:/intake/about" in kept(phone)

    # The connection drops: the press waits, says so, and the page (and typing) stays.
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.locator("[data-local-status]")).to_contain_text("You are offline")
    assert phone.url == f"{base}/intake/about"
    expect(phone.get_by_label("Family doctor")).to_have_value("Dr Offline Practice")

    # Back online: it posts by itself; the server has the step, so the phone forgets it.
    phone.context.set_offline(False)
    expect(phone.get_by_role("heading", name="Your pain")).to_be_visible()
    assert "intake-answers:/intake/about" not in kept(phone)

    # Typing never sent (a closed tab) comes back when the step is opened again.
    phone.get_by_label("What brings you here?").fill("Sharp pain behind the right knee")
    again = phone.context.new_page()
    phone.close()
    again.goto(f"{base}/intake/pain")
    expect(again.get_by_label("What brings you here?")).to_have_value(
        "Sharp pain behind the right knee")

    # What the server saved while offline is there too.
    again.goto(f"{base}/intake/about")
    expect(again.get_by_label("Family doctor")).to_have_value("Dr Offline Practice")
