"""The intake never loses the patient's typing, and keeps none of it on the phone (issue 14,
issue 16): offline, "Save and continue" waits and posts by itself when the connection returns;
typing on the open step is saved on the server as it happens, so a tab closed before saving
gets it back; a waiting-room tablet is shared, so nothing is kept in the browser's storage."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import Auth, Client
from tests.intake_helpers import link_token
from tracker.extensions import db
from tracker.intake.models import Intake
from tracker.patients import services as patient_services

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def draft(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(Intake)).one().draft


def kept(page) -> dict:
    """Everything the page's origin keeps in the browser's storage."""
    return page.evaluate("""() => ({...localStorage, ...sessionStorage})""")


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
    expect(phone.get_by_text("Step 1 of 8")).to_be_visible()
    phone.get_by_label("Family doctor").fill("Dr Offline Practice")

    # The connection drops: the press waits, says so, and the page (and typing) stays.
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.locator("[data-local-status]")).to_contain_text("You are offline")
    assert phone.url == f"{base}/intake/about"
    expect(phone.get_by_label("Family doctor")).to_have_value("Dr Offline Practice")

    # Back online: it posts by itself.
    phone.context.set_offline(False)
    expect(phone.get_by_role("heading", name="Your pain")).to_be_visible()
    phone.wait_for_load_state()  # its script listens for typing (the heading can come first)

    # Typing never sent with a button (a closed tab) is on the server a moment later ...
    phone.get_by_label("What brings you here?").fill("Sharp pain behind the right knee")
    for _ in range(150):  # a second after typing stops (longer on a busy test machine)
        if "Sharp pain" in str(draft(live_server).get("pain")):
            break
        phone.wait_for_timeout(100)
    expect(phone.locator("[data-save-status]")).to_contain_text("Saved")
    # ... and typing in the last second before the tab closes goes with the closing page.
    phone.get_by_label("What makes it better?").fill("A warm bath")
    again = phone.context.new_page()
    phone.close(run_before_unload=True)
    for _ in range(50):  # the closing page's beacon arrives in its own time
        if "A warm bath" in str(draft(live_server).get("pain")):
            break
        again.wait_for_timeout(100)
    again.goto(f"{base}/intake/pain")
    expect(again.get_by_label("What brings you here?")).to_have_value(
        "Sharp pain behind the right knee")
    expect(again.get_by_label("What makes it better?")).to_have_value("A warm bath")
    assert kept(again) == {}, "answers must not stay on a shared device"

    # What the server saved while offline is there too.
    again.goto(f"{base}/intake/about")
    expect(again.get_by_label("Family doctor")).to_have_value("Dr Offline Practice")
