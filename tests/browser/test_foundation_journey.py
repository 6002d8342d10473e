"""First run to a working register, as a new clinic would do it, in a real browser."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


def fill_user(page, name, email, role=None):
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    if role:
        page.get_by_label("Role").select_option(role)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)


def test_first_run_staff_patients_search_and_audit(live_server, page_factory):
    page = page_factory()
    base = live_server.live_url
    page.goto(base + "/patients/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    # A too-short password is explained beside the field and the name is kept.
    page.get_by_label("Full name").fill("Dana Whitfield")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat password").fill("short")
    page.get_by_role("button", name="Create administrator account").click()
    expect(page.locator("#password-error")).to_contain_text("at least 12 characters")
    expect(page.get_by_label("Full name")).to_have_value("Dana Whitfield")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator account").click()
    expect(page.get_by_role("heading", name="Staff")).to_be_visible()

    for name, email, role in [("Mei Lin", "mei@example.org", "practitioner"),
                              ("Sam Okafor", "sam@example.org", "reception")]:
        page.get_by_role("link", name="Add a staff member").click()
        fill_user(page, name, email, role)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("status")).to_contain_text(f"{name} can now log in")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Given name").fill("Zoë")
    page.get_by_label("Family name").fill("O'Connor")
    page.get_by_label("Date of birth").fill("2090-01-01")
    page.get_by_label("Phone", exact=True).fill("07700 900123")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#date_of_birth-error")).to_have_text(
        "Date of birth cannot be in the future.")
    expect(page.get_by_label("Family name")).to_have_value("O'Connor")
    page.get_by_label("Date of birth").fill("1990-01-02")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Zoë O'Connor")).to_be_visible()

    page.goto(base + "/patients/?q=zoe")
    expect(page.locator("tbody")).to_contain_text("O'Connor")
    page.goto(base + "/audit/")
    expect(page.locator("tbody")).to_contain_text("create")
    expect(page.locator("tbody")).to_contain_text("Patient")

    # Log out; the receptionist logs in and cannot open the staff pages.
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Staff")).to_have_count(0)
    page.goto(base + "/users/")
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()


def test_register_form_fits_a_phone(live_server, page_factory):
    from tests.conftest import make_user
    make_user(live_server, "reception", "sam@example.org")
    page = page_factory(360, 740)
    page.goto(live_server.live_url + "/login")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.live_url + "/patients/new")
    # Nothing wider than the screen: no sideways scrolling on a 360 px phone.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator("#form-problems")).to_be_focused()
