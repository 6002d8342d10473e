"""The schedule on a 360 px phone: the day view and the agenda fit without sideways scrolling, a
free slot is tapped and booked; the week grid gives way to them; a week prints on one
landscape page at a typical load, without the filter form."""
import os
import re
from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD
from tracker import clock
from tracker.extensions import db
from tracker.schedule.models import Appointment

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def shot(page, name):
    """TRACKER_SHOTS=1 keeps screenshots in tests/artifacts for people to look at."""
    if os.environ.get("TRACKER_SHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"schedule-{name}.png"), full_page=True)


def login(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def no_horizontal_scroll(page):
    assert page.evaluate(
        "document.scrollingElement.scrollWidth <= window.innerWidth"), page.url


def next_weekday(after: date, weekday: int) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


@pytest.fixture
def clinic(live_server):
    """Three practitioners with six visits a day Monday to Friday next week (a typical load)."""
    with live_server.test_request_context():
        monday = next_weekday(clock.today(), 0)
        staff = [factories.practitioner(f"p{i}@example.org", display_name=name)
                 for i, name in enumerate(["Mei Lin", "Sam Roy", "Ada Park"])]
        people = [factories.patient(f"Pat{i}", f"Longname{i}", date(1970, 1, 1 + i))
                  for i in range(12)]
        ben = factories.patient("Ben", "Okoro", date(1981, 2, 3))
        factories.user("reception", "desk@example.org", display_name="Desk")
        n = 0
        for d in range(5):
            for p in staff:
                for slot in (time(9), time(10), time(11, 30), time(14), time(15), time(16, 30)):
                    factories.appointment(people[n % 12], p,
                                          clock.to_utc(monday + timedelta(days=d), slot))
                    n += 1
        db.session.commit()
        return {"monday": monday, "mei": staff[0].id, "ben": ben.id}


def test_day_and_agenda_fit_a_phone_and_a_free_slot_books(live_server, page_factory, clinic):
    base, day = live_server.live_url, clinic["monday"] + timedelta(days=1)
    phone = page_factory(**PHONE)
    login(phone, base, "desk@example.org")
    phone.goto(f"{base}/schedule/day?practitioner={clinic['mei']}&day={day.isoformat()}")
    expect(phone.locator("h1")).to_contain_text("Mei Lin")
    no_horizontal_scroll(phone)
    shot(phone, "day-360")
    phone.goto(f"{base}/schedule/agenda?practitioner=0&start={clinic['monday'].isoformat()}")
    expect(phone.locator(".agenda-day").first).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "agenda-360")
    # The week grid on a phone: hidden, with the way to the lists instead.
    phone.goto(f"{base}/schedule/week?practitioner={clinic['mei']}"
               f"&start={clinic['monday'].isoformat()}")
    expect(phone.locator("table.week-grid")).to_be_hidden()
    expect(phone.get_by_role("link", name="Open the day view")).to_be_visible()
    no_horizontal_scroll(phone)
    shot(phone, "week-360")
    phone.get_by_role("link", name="Open the day view").click()
    expect(phone).to_have_url(re.compile(r"/schedule/day\?"))

    # Tap the 12:30 free slot (between the 11:30 and 14:00 visits), find Ben, book.
    phone.goto(f"{base}/schedule/day?practitioner={clinic['mei']}&day={day.isoformat()}")
    slot = phone.locator("a.free-slot", has_text="12:30")
    box = slot.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    slot.click()
    expect(phone.locator("h1")).to_have_text("Who is the 12:30 appointment for?")
    no_horizontal_scroll(phone)
    phone.get_by_label("Patient").fill("okoro")
    phone.get_by_role("button", name="Find").click()
    phone.get_by_role("link", name=re.compile("Ben Okoro")).click()
    expect(phone.get_by_label("Time")).to_have_value("12:30")
    expect(phone.get_by_label("Date")).to_have_value(day.isoformat())
    no_horizontal_scroll(phone)
    shot(phone, "book-360")
    phone.get_by_role("button", name="Book appointment").click()
    expect(phone.locator(".alert-success")).to_contain_text("Booked")
    with live_server.app_context():
        booked = db.session.scalars(db.select(Appointment).where(
            Appointment.patient_id == clinic["ben"])).one()
        assert clock.local(booked.start_utc).strftime("%H:%M") == "12:30"
        assert booked.practitioner_id == clinic["mei"]
    phone.goto(f"{base}/schedule/day?practitioner={clinic['mei']}&day={day.isoformat()}")
    expect(phone.locator("a.free-slot", has_text="12:30")).to_have_count(0)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_a_week_prints_on_one_landscape_page_without_the_filters(live_server, page_factory,
                                                                 clinic):
    base = live_server.live_url
    desk = page_factory(1280, 900)
    login(desk, base, "p0@example.org")
    start = clinic["monday"].isoformat()
    for url, name in [(f"/schedule/week?practitioner={clinic['mei']}&start={start}", "week"),
                      (f"/schedule/clinic?start={start}", "clinic"),
                      (f"/schedule/day?practitioner={clinic['mei']}&day={start}", "day"),
                      (f"/schedule/agenda?practitioner={clinic['mei']}&start={start}", "agenda")]:
        desk.goto(base + url)
        shot(desk, f"{name}-1280")
        desk.emulate_media(media="print")
        expect(desk.locator("form.filters")).to_be_hidden()
        expect(desk.locator(".view-switch")).to_be_hidden()
        pdf = desk.pdf(prefer_css_page_size=True, print_background=False)
        if os.environ.get("TRACKER_SHOTS") == "1":
            (ARTIFACTS / f"schedule-{name}.pdf").write_bytes(pdf)
        if name in ("week", "clinic"):
            assert _pages(pdf) == 1, name
            size = re.search(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf)
            assert float(size.group(1)) > float(size.group(2)), "landscape"
        desk.emulate_media(media="screen")
