"""Reception emails the intake link from the share page; the clinic's sender delivers it to a
real SMTP server (aiosmtpd, in this process); the patient opens the link from the received
message on a phone."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.test_intake_journey import PHONE, login, no_horizontal_scroll
from tests.conftest import make_user
from tests.mail_server import use_smtp
from tracker.extensions import db
from tracker.messages import sender
from tracker.patients import services as patient_services

pytestmark = pytest.mark.browser



def test_reception_emails_the_link_and_the_patient_opens_it_on_a_phone(live_server,
                                                                       page_factory, smtp):
    base = live_server.live_url
    make_user(live_server, "reception", "sam@example.org", display_name="Sam Okafor")
    with live_server.app_context():
        use_smtp(smtp)
        patient_id = patient_services.save(None, {
            "given_name": "Chloé", "family_name": "Brennan", "date_of_birth": date(1968, 3, 9),
            "email": "chloe@example.net"}).id
        db.session.commit()

    desk = page_factory()
    login(desk, base, "sam@example.org")
    desk.goto(f"{base}/patients/{patient_id}")
    desk.get_by_role("button", name="Create an intake link").click()
    expect(desk.get_by_label("Patient's email address")).to_have_value("chloe@example.net")
    desk.get_by_role("button", name="Email it to the patient").click()
    expect(desk.get_by_text("The intake link is on its way to chloe@example.net.")).to_be_visible()
    expect(desk.get_by_text("chloe@example.net: queued")).to_be_visible()

    with live_server.app_context():
        assert sender.run_once().sent == 1
    [message] = smtp.inbox.received
    assert message["To"] == "chloe@example.net"
    link = re.search(rf"{re.escape(base)}/i/\S+", message.get_body(("plain",)).get_content())
    assert link, "no link in the email"

    desk.reload()
    expect(desk.get_by_text("chloe@example.net: sent")).to_be_visible()

    phone = page_factory(**PHONE)
    phone.goto(link.group(0))
    expect(phone.get_by_text("Step 1 of 8")).to_be_visible()
    expect(phone.get_by_label("First name")).to_have_value("Chloé")
    no_horizontal_scroll(phone)
