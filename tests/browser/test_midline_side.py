"""A midline point typed into a session's point row (GV, CV, Yintang ..., in any spelling the
server accepts) turns its side to midline at once, and the computed needle count follows;
another side picked for it goes back to midline (followup.js, the rule of
clinical.acupoints.side_for)."""
from datetime import date

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import PASSWORD, make_user
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.sessions import services as session_services

pytestmark = pytest.mark.browser


def test_a_midline_point_turns_its_side_to_midline_as_it_is_typed(live_server, page_factory):
    base = live_server.live_url
    user_id = make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin")
    with live_server.app_context():
        patient = factories.patient("Fatima", "Okafor", date(1980, 3, 4))
        db.session.flush()
        record = session_services.open_walk_in(patient, db.session.get(User, user_id))
        db.session.commit()
        session_id = record.id
    page = page_factory()
    page.goto(base + "/login")
    page.get_by_label("Email").fill("mei@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/sessions/{session_id}/edit")

    count = page.locator("[data-insertions]")
    page.locator("#points-0-point").fill("Du 20")
    expect(page.locator("#points-0-side")).to_have_value("midline")
    expect(count).to_have_text("1")
    page.locator("#points-1-point").fill("LI4 Hegu")
    expect(page.locator("#points-1-side")).to_have_value("bilateral")
    expect(count).to_have_text("3")
    page.locator("#points-1-point").fill("ex-hn3")
    expect(page.locator("#points-1-side")).to_have_value("midline")
    expect(count).to_have_text("2")
    # A typo corrected to a point off the midline gets its side back.
    page.locator("#points-1-point").fill("GB34")
    expect(page.locator("#points-1-side")).to_have_value("bilateral")
    expect(count).to_have_text("3")
    # Another side picked for a midline point goes back to midline.
    page.locator("#points-0-side").select_option("left")
    expect(page.locator("#points-0-side")).to_have_value("midline")
    expect(count).to_have_text("3")
