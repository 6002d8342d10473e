"""Issue 4 "done when", in a real browser: assessment, a Tue+Thu 09:30 plan of 10 sessions with a
re-evaluation at 6, a closure day and a daylight-saving change; cancel, no-show, reschedule; then
once weekly, and only future unattended appointments change. Reception cannot read the plan."""
import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tracker import clock as clinic_clock
from tracker.extensions import db
from tracker.patients.services import save
from tracker.schedule import services as schedule
from tracker.schedule.models import Appointment
from tracker.timeutil import as_utc

pytestmark = pytest.mark.browser


def login(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def week(page, base, practitioner_id, monday):
    page.goto(f"{base}/schedule/week?practitioner={practitioner_id}&start={monday}")
    return page.locator("table.week-grid")


def appointment_link(page, base, practitioner_id, monday, day_label):
    """Open the appointment shown on a given day of a practitioner's week."""
    grid = week(page, base, practitioner_id, monday)
    days = grid.locator("thead th").all_inner_texts()
    column = next(i for i, text in enumerate(days) if text.startswith(day_label))
    grid.locator(f"tbody tr td:nth-child({column + 1}) a.appt").first.click()


@pytest.fixture
def clock():
    state = {"now": datetime(2026, 10, 12, 8, 0, tzinfo=UTC)}  # Monday 12 Oct 2026, BST
    with clinic_clock.freeze(lambda: state["now"]):
        yield state


def test_plan_to_schedule_journey(live_server, page_factory, clock):
    base = live_server.live_url
    make_user(live_server, "admin", "admin@example.org", display_name="Dana Whitfield")
    mei = make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin",
                    credentials="L.Ac.")
    make_user(live_server, "reception", "sam@example.org", display_name="Sam Okafor")
    with live_server.app_context():
        patient = save(None, {"given_name": "Zoë", "family_name": "O'Connor",
                              "date_of_birth": date(1990, 1, 2), "primary_practitioner_id": mei})
        db.session.commit()
        pid = patient.id

    # The administrator closes the clinic on Thursday 22 October.
    admin = page_factory()
    login(admin, base, "admin@example.org")
    admin.goto(base + "/schedule/closures")
    admin.get_by_label("Date").fill("2026-10-22")
    admin.get_by_label("Reason").fill("Staff training")
    admin.get_by_role("button", name="Add closure day").click()
    expect(admin.get_by_role("status")).to_contain_text("Closed on Thu 22 Oct 2026")

    page = page_factory()
    login(page, base, "mei@example.org")
    page.goto(f"{base}/patients/{pid}")
    page.get_by_role("link", name="New assessment").click()
    page.get_by_label("Date of assessment").fill("2026-10-12")
    page.get_by_label("Western diagnosis").fill("Chronic low back pain")
    page.get_by_label("ICD-10 code").fill("M54.5")
    page.get_by_label("Kidney yang deficiency (SF97)").check()
    page.get_by_label("Tongue body colour").select_option("pale")
    page.get_by_label("deep (sunken)").check()
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("heading", name="Assessment of 12 Oct 2026")).to_be_visible()

    # The plan is prefilled from the assessment; a wrong point code is explained beside it.
    page.get_by_role("link", name="New plan from this").click()
    expect(page.get_by_label("Conditions treated")).to_have_value("Chronic low back pain (M54.5)")
    expect(page.get_by_label("Kidney yang deficiency (SF97)")).to_be_checked()
    page.locator("#points-0-point").fill("UB23")
    page.locator("#points-1-point").fill("LI40")
    page.locator("#points-2-point").fill("Ashi: left lumbar")
    page.get_by_label("Tuesday").check()
    page.get_by_label("Thursday").check()
    page.get_by_label("Time", exact=True).fill("09:30")
    page.get_by_label("First day").fill("2026-10-13")
    page.get_by_label("Number of sessions").fill("10")
    page.get_by_label("Re-evaluate every").fill("6")
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#points-1-point-error")).to_contain_text("LI40 is not a WHO point code")
    expect(page.locator("#points-2-point")).to_have_value("Ashi: left lumbar")
    page.locator("#points-1-point").fill("LV3")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Shenshu")).to_be_visible()
    expect(page.get_by_text("Taichong")).to_be_visible()

    page.get_by_role("link", name="Activate and book sessions").click()
    expect(page.get_by_text("Skipped closure days: Thu 22 Oct 2026 (Staff training)")
           ).to_be_visible()
    page.get_by_role("button", name="Activate and book 10 sessions").click()
    expect(page.get_by_role("status")).to_contain_text("10 appointments booked")
    plan_url = page.url

    # Ten appointments in the week views, 09:30 either side of the change on 25 October.
    grid = week(page, base, mei, "2026-10-19")
    expect(grid.locator("thead")).to_contain_text("Closed: Staff training")
    expect(grid.locator("a.appt")).to_have_count(1)
    grid = week(page, base, mei, "2026-10-26")
    expect(grid.locator("a.appt")).to_have_count(2)
    expect(grid.locator("a.appt").first).to_contain_text("09:30–10:15")
    expect(grid.locator("a.appt").first).to_contain_text("Session 4 of 10")
    grid = week(page, base, mei, "2026-11-02")
    expect(grid.locator("a.appt", has_text="Session 6 of 10")).to_contain_text("Re-evaluation")
    total = 0
    for monday in ("2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09",
                   "2026-11-16"):
        total += week(page, base, mei, monday).locator("a.appt").count()
    assert total == 10
    page.goto(f"{base}/schedule/clinic?start=2026-10-12")
    expect(page.locator("table.clinic-grid")).to_contain_text("Zoë O'Connor")

    # Later: Wednesday 28 October, after the clocks went back.
    clock["now"] = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)
    for day in ("Tue 13", "Thu 15"):
        appointment_link(page, base, mei, "2026-10-12", day)
        page.get_by_role("button", name="Attended").click()
        expect(page.get_by_role("status")).to_contain_text("Attended")
    appointment_link(page, base, mei, "2026-10-19", "Tue 20")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="No-show").click()
    expect(page.locator(".page-head .badge")).to_have_text("No-show")
    # A future appointment cannot be a no-show; the button says who cancelled, a reason may
    # be added.
    appointment_link(page, base, mei, "2026-10-26", "Thu 29")
    expect(page.get_by_role("button", name="No-show")).to_have_count(0)
    page.get_by_label("Reason").fill("Flu")
    page.get_by_role("button", name="Cancelled by patient").click()
    expect(page.locator(".page-head .badge")).to_have_text("Cancelled by patient")
    # Reschedule Tue 3 Nov: a clash is explained with the next free slot offered.
    with live_server.app_context():
        other = save(None, {"given_name": "Ben", "family_name": "Okoro",
                            "date_of_birth": date(1981, 2, 3)})
        db.session.flush()
        schedule.book(other.id, mei, datetime(2026, 11, 4, 10, 0, tzinfo=UTC), 60)
        db.session.commit()
    appointment_link(page, base, mei, "2026-11-02", "Tue 03")
    page.get_by_role("link", name="Reschedule").click()
    page.get_by_label("Date").fill("2026-11-04")
    page.get_by_label("Time").fill("10:30")
    page.get_by_role("button", name="Move appointment").click()
    expect(page.locator("#start-error")).to_contain_text("Clashes with the practitioner's "
                                                         "appointment with Ben Okoro")
    expect(page.locator(".offer")).to_contain_text("Wed 04 Nov 2026, 11:00")
    page.get_by_role("button", name="Use it").click()
    expect(page.get_by_role("heading", name="Wed 04 Nov 2026, 11:00")).to_be_visible()

    with live_server.app_context():
        before = {a.id: (a.starts_at, a.status) for a in db.session.query(Appointment)
                  .filter(Appointment.patient_id == pid)}

    # Change to once weekly: review, confirm; only future unattended appointments change.
    page.goto(plan_url)
    page.get_by_role("link", name="Edit plan").click()
    page.get_by_label("Thursday").uncheck()
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("heading", name="Confirm the new schedule")).to_be_visible()
    expect(page.get_by_text("5 future appointments not yet attended will be replaced")
           ).to_be_visible()
    page.get_by_role("button", name="Confirm 7 sessions").click()
    expect(page.get_by_role("status")).to_contain_text("7 appointments booked")

    with live_server.app_context():
        after = {a.id: (a.starts_at, a.status) for a in db.session.query(Appointment)
                 .filter(Appointment.patient_id == pid)}
        held = {i: v for i, v in before.items()
                if v[1] != "scheduled" or as_utc(v[0]) < clock["now"]}
        assert all(after[i] == v for i, v in held.items())  # the past never changes
        new = [v for v in after.values()
               if v[1] == "scheduled" and as_utc(v[0]) > clock["now"]]
        assert len(new) == 7
        assert {clinic_clock.local(s).strftime("%a %H:%M")
                for s, _ in new} == {"Tue 09:30"}
    page.goto(plan_url)
    expect(page.locator("ul.stats")).to_contain_text("2 attended")
    expect(page.locator("ul.stats")).to_contain_text("1 no-show")
    expect(page.locator("ul.stats")).to_contain_text("1 cancelled")
    page.get_by_label("Show the plan as it was on").fill(date.today().isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("Tuesday, weekly, at 09:30")).to_be_visible()

    # Reception runs the diary but cannot read the plan or the assessment.
    desk = page_factory(360, 740)
    login(desk, base, "sam@example.org")
    desk.goto(f"{base}/schedule/clinic?start=2026-11-09")
    expect(desk.locator("table.clinic-grid")).to_contain_text("Zoë O'Connor")
    assert desk.evaluate("document.documentElement.scrollWidth") <= 360  # the grid scrolls
    desk.goto(f"{base}/patients/{pid}")
    expect(desk.get_by_role("heading", name="Upcoming appointments")).to_be_visible()
    assert desk.evaluate("document.documentElement.scrollWidth") <= 360
    expect(desk.get_by_text("Chronic low back pain")).to_have_count(0)
    desk.goto(plan_url)
    expect(desk.get_by_role("heading", name="You do not have access to this page")
           ).to_be_visible()
    assert re.search(r"/plans/\d+$", plan_url)
