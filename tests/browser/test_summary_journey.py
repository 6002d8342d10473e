"""Issue 6 "done when", in a real browser: from the patient page a practitioner opens the
clinical letter (baseline 7, latest 3, 57 %, substantial), switches to the patient version,
downloads the PDF and reads the clinic dashboard, on a phone-width screen without CSP errors.
Reception sees none of it."""
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.conftest import PASSWORD, make_user
from tracker.accounts.services import find_by_email
from tracker.extensions import db
from tracker.reports import demo as reports_demo

pytestmark = pytest.mark.browser


def login(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_summary_journey_on_a_phone(live_server, page_factory):
    base = live_server.live_url
    make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin",
              credentials="L.Ac.", licence_number="AC-20817")
    make_user(live_server, "reception", "sam@example.org", display_name="Sam Okafor")
    with live_server.app_context():
        patient_id = reports_demo.seed_demo(find_by_email("mei@example.org")).id
        db.session.commit()

    page = page_factory(360, 780)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    login(page, base, "mei@example.org")
    page.goto(f"{base}/patients/{patient_id}")
    panel = page.locator("section", has=page.get_by_role("heading",
                                                         name="Summaries and exports"))
    panel.get_by_role("link", name="Clinical letter").click()
    headline = page.locator(".headline")
    expect(headline).to_contain_text("baseline 7, latest 3 (57 % reduction)")
    expect(headline).to_contain_text("Substantial improvement")
    chart = page.get_by_role("img", name="Pain before and after each session (0-10)")
    expect(chart).to_be_visible()
    assert page.locator("circle.point-before").count() == 10
    page.get_by_text("The same data as a table").click()
    expect(page.locator("details.chart-data tbody tr")).to_have_count(10)
    assert no_sideways_scroll(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    text = " ".join(p.extract_text() for p in PdfReader(pdf.path()).pages)
    assert "57 %" in re.sub(r"\s+", " ", text)

    page.get_by_role("link", name=re.compile("plain-language version")).click()
    expect(page.locator(".headline")).to_contain_text("Your pain on the day went from 7")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("link", name="Download PDF")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Outcomes").click()
    expect(page.get_by_role("heading", name="Clinic outcomes")).to_be_visible()
    expect(page.locator("td.rate").first).to_have_text("100 %")
    assert no_sideways_scroll(page)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

    desk = page_factory(360, 780)
    login(desk, base, "sam@example.org")
    desk.goto(f"{base}/patients/{patient_id}")
    expect(desk.get_by_role("heading", name="Summaries and exports")).to_have_count(0)
    response = desk.goto(f"{base}/reports/patients/{patient_id}/summary")
    assert response.status == 403
