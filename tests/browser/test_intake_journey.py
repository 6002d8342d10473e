"""A patient fills the intake on a phone, is interrupted, comes back and finishes; the
practitioner reviews it. The issue's "done when", in a real browser."""
import os
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD, make_user
from tracker.clinical import safety
from tracker.extensions import db
from tracker.patients import services as patient_services

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def shot(page, name):
    """Screenshots for people looking at the UI: TRACKER_SHOTS=1 keeps them in tests/artifacts."""
    if os.environ.get("TRACKER_SHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"intake-{name}.png"), full_page=True)


def login(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def pick(page, name, value):
    page.locator(f'input[name="{name}"][value="{value}"]').check()


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_patient_fills_intake_on_a_phone_and_practitioner_reviews(live_server, page_factory):
    base = live_server.live_url
    make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin")
    make_user(live_server, "reception", "sam@example.org", display_name="Sam Okafor")
    with live_server.app_context():
        patient = patient_services.save(None, {
            "given_name": "Chloé", "family_name": "Brennan", "date_of_birth": date(1968, 3, 9),
            "phone": "+44 7700 900555"})
        db.session.commit()
        patient_id = patient.id

    # Reception creates the link and sees it with a QR code.
    desk = page_factory()
    login(desk, base, "sam@example.org")
    desk.goto(f"{base}/patients/{patient_id}")
    desk.get_by_role("button", name="Create an intake link").click()
    expect(desk.locator(".qr-code svg")).to_be_visible()
    link = desk.locator("#intake-url").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/i/[A-Za-z0-9_-]{{43,}}", link)

    # The patient, on a phone with no account.
    phone = page_factory(**PHONE)
    phone.goto(link)
    expect(phone.get_by_text("Step 1 of 8")).to_be_visible()
    assert phone.url == f"{base}/intake/about"  # the token became a cookie; not in the URL
    expect(phone.get_by_label("First name")).to_have_value("Chloé")
    no_horizontal_scroll(phone)
    phone.get_by_label("Family doctor").fill("Dr Helen Marsh")
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.get_by_role("heading", name="Your pain")).to_be_visible()
    phone.get_by_label("What brings you here?").fill("Pain in my lower back and left leg.")
    phone.get_by_label("Sciatica").check()
    phone.get_by_label("1 to 5 years").check()
    # The body map is tappable (an area, then the region drawn large) and ticks the box.
    phone.locator('[data-zone="B-upper"]').click()
    phone.locator('[data-zoom="B-upper"] [data-region="lower_back"]').click()
    phone.locator('[data-zone="F-legs"]').click()
    phone.locator('[data-zoom="F-legs"] [data-region="upper_leg_l"]').click()
    expect(phone.locator('input[name="regions"][value="lower_back"]')).to_be_checked()
    expect(phone.locator('.overview [data-region="lower_back"]')).to_have_class(
        re.compile(r"\bon\b"))
    for name, value in [("nrs_now", 6), ("nrs_average_week", 6), ("nrs_worst_week", 8),
                        ("nrs_least_week", 9), ("peg_enjoyment", 7), ("peg_activity", 5),
                        ("medication_days", 3)]:
        pick(phone, name, value)
    no_horizontal_scroll(phone)
    shot(phone, "pain-filled")
    phone.get_by_role("button", name="Save and continue").click()
    # One invalid answer, explained beside the field; everything else kept.
    expect(phone.locator("#nrs_least_week-error")).to_contain_text(
        "is higher than your worst pain")
    expect(phone.get_by_label("What brings you here?")).to_have_value(
        "Pain in my lower back and left leg.")
    expect(phone.locator('input[name="regions"][value="upper_leg_l"]')).to_be_checked()
    shot(phone, "pain-error")
    pick(phone, "nrs_least_week", 3)
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.get_by_role("heading", name="Sleep and mood")).to_be_visible()
    for name, value in [("sleep", 4), ("phq2_1", 1), ("phq2_2", 1), ("gad2_1", 2),
                        ("gad2_2", 1)]:
        pick(phone, name, value)
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.get_by_role("heading", name="Health history")).to_be_visible()
    phone.context.close()  # the patient closes the tab mid-way

    # Later, the same link on a fresh browser session resumes at the next step; answers typed
    # in the other session are kept but not shown (a link alone does not read them).
    phone = page_factory(**PHONE)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Health history")).to_be_visible()
    assert phone.url == f"{base}/intake/health"
    phone.locator("#medications-0-name").fill("Apixaban")
    phone.locator("#medications-0-dose").fill("5 mg")
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.get_by_role("heading", name="Safety questions")).to_be_visible()
    for item in safety.SAFETY_ITEMS:
        pick(phone, f"safety_{item.code}", "yes" if item.code == "bleeding" else "no")
    expect(phone.get_by_role("heading", name=safety.RED_FLAG_PATIENT_HEADING)).to_be_visible()
    for flag in (f for f in safety.RED_FLAGS if not f.same_as):  # cancer: asked once, above
        pick(phone, f"red_{flag.code}", "yes" if flag.code == "night_pain" else "no")
    no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Save and continue").click()
    phone.get_by_label("What would you like to be able to do again?").fill("Walk to the shops")
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.get_by_role("heading", name="About acupuncture: please read")).to_be_visible()
    phone.get_by_label("Type your full name as your signature").fill("Chloé Brennan")
    phone.get_by_role("button", name="Save and check your answers").click()
    expect(phone.locator("#agree-error")).to_contain_text("tick the box")
    phone.get_by_label("I have read and understood").check()
    phone.get_by_role("button", name="Save and check your answers").click()
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()

    # The practitioner sees the red flag first, the scores and the body map, and reviews it.
    desk.get_by_role("button", name="Log out").click()
    login(desk, base, "mei@example.org")
    expect(desk.locator("#h-intakes")).to_be_visible()
    desk.get_by_role("link", name="Chloé Brennan").first.click()
    expect(desk.locator(".alert-urgent")).to_contain_text("Refer for medical assessment")
    expect(desk.locator(".alert-urgent")).to_contain_text("severe pain at night")
    expect(desk.get_by_text("Bleeding risk")).to_be_visible()
    expect(desk.locator("table.scores")).to_contain_text("6.0 / 10")  # PEG 6, 7, 5
    expect(desk.locator('.bodymap-review [data-region="lower_back"].on')).to_have_count(1)
    shot(desk, "review")
    desk.get_by_role("button", name="Mark reviewed", exact=True).click()
    expect(desk.get_by_role("status")).to_contain_text("marked as reviewed")
    expect(desk.locator(".flags")).to_contain_text("Bleeding risk")
    expect(desk.locator(".flags .alert-urgent")).to_contain_text("Back pain red flag")
