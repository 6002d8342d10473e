"""Issue 18 items 3 and 4 in a real browser: the clinic's sender emails this week's check-in link
to a real SMTP server (aiosmtpd, in this process), the patient opens it from the received message
and answers it on a 360 px phone (no sideways scroll, no CSP errors, well under a
minute of taps), and the practitioner sees it on the course's pain chart and outcome; the
patient's own page (switched on) shows their visits and progress in plain words, and their
request to move a visit reaches reception's list (CSRF on, as served)."""
import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import PASSWORD, make_user
from tests.mail_server import use_smtp
from tests.test_checkins import course
from tracker import clock
from tracker.accounts.services import find_by_email
from tracker.checkins import services as checkins
from tracker.extensions import db
from tracker.messages import sender

pytestmark = pytest.mark.browser


def login(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def choose(page, field: str, value: int):
    page.locator(f'label.option:has(input[name="{field}"][value="{value}"])').click()


def test_a_checkin_answered_on_a_phone_reaches_the_practitioners_chart(live_server,
                                                                        page_factory, smtp):
    base = live_server.live_url
    make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin")
    live_server.config["PUBLIC_BASE_URL"] = base  # a cron run has no request to name the host
    with live_server.app_context():
        use_smtp(smtp)
        user = find_by_email("mei@example.org")
        patient = factories.patient("Robin", "Haddad", email="robin@example.net")
        plan = course(patient, user.id, [6, 6], days_ago=10, average=8)
        factories.appointment(patient, user.id, clock.now() + timedelta(days=4), plan=plan,
                              number=3)
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id

    desk = page_factory(1280, 900)
    problems = []
    desk.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    login(desk, base, "mei@example.org")
    desk.goto(f"{base}/plans/{plan_id}")
    desk.get_by_role("link", name="Weekly check-in between visits").click()
    expect(desk.get_by_role("heading", name=re.compile("check-in", re.I)).first).to_be_visible()
    with live_server.app_context():  # the practitioner asks for today's weekday, as on the page
        checkins.set_schedule(db.session.get(type(plan), plan_id), clock.today().weekday(),
                              checkins.default_measures(), True,
                              find_by_email("mei@example.org"))
        db.session.commit()
        # The cron run of the sender, an hour after the check-in's send hour, emails the link.
        with clock.freeze(clock.to_utc(clock.today(), checkins.SEND_HOUR) + timedelta(hours=1)):
            run = sender.run_once()
    assert (run.checkins, run.sent) == (1, 1), run
    [message] = smtp.inbox.received
    assert message["To"] == "robin@example.net"
    found = re.search(rf"{re.escape(base)}/c/[A-Za-z0-9_-]{{43}}",
                      message.get_body(("plain",)).get_content())
    assert found, "no check-in link in the email"
    link = found.group(0)

    phone = page_factory(360, 780)
    phone.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    started = time.monotonic()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Your weekly check-in")).to_be_visible()
    assert "/c/" not in phone.url  # the token is swapped for a cookie at once
    assert no_sideways_scroll(phone)
    choose(phone, "nrs_average_week", 4)
    choose(phone, "peg_enjoyment", 3)
    choose(phone, "peg_activity", 3)
    choose(phone, "medication_days", 2)
    choose(phone, "sleep", 7)
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    taken = time.monotonic() - started
    assert taken < 60, taken
    expect(phone.locator("[data-checkin-done]")).to_contain_text(
        "What number best describes your pain on average in the past week? 4")

    desk.goto(f"{base}/reports/patients/{patient_id}/summary?plan={plan_id}")
    diamond = desk.locator("path.point-checkin")
    expect(diamond).to_have_count(1)
    expect(diamond).to_have_attribute("data-value", "4")
    row = desk.locator("tr", has=desk.get_by_role("rowheader",
                                                  name=re.compile("Average pain, past 7 days")))
    expect(row).to_contain_text("weekly check-in")
    expect(row).to_contain_text("Substantial improvement")  # 8 -> 4: 50 %

    desk.goto(f"{base}/patients/{patient_id}")
    desk.get_by_role("button", name="Switch the patient's page on").click()
    phone.reload()
    phone.get_by_role("link", name="Your page: visits and progress").click()
    expect(phone.get_by_role("heading", name="Your next visits")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"Average pain over the past week: 8 on .* then 4 on "
                                        r".*4 points lower"))).to_be_visible()
    expect(phone.get_by_role("link", name="Add to my calendar")).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.get_by_label("Which visit").select_option(index=1)  # after "Choose a visit"
    phone.get_by_label("Move to another time").check()
    phone.get_by_label("Anything reception should know (optional)").fill("Mornings suit me")
    phone.get_by_role("button", name="Send request").click()
    expect(phone.get_by_text("reception has your request")).to_be_visible()
    expect(phone.get_by_text("Change of time requested")).to_be_visible()
    desk.goto(f"{base}/requests")
    expect(desk.locator("tr[data-request]")).to_contain_text("Mornings suit me")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
