"""A routine follow-up in a real browser: from today's list to a signed record in at most five
interactions (clicks and fills), starting from the last visit's points, GB30 left (added by hand
at visit 1) included. The last visit's note beside the form (open at 1280 px, a closed section
at 390 px, no sideways scroll), and a clinic phrase put in at the cursor with one click."""
import os
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD, make_user
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.note_templates.models import NoteTemplate
from tracker.patients import services as patient_services
from tracker.plans import services as plan_services
from tracker.plans.models import PlanPoint, TreatmentPlan
from tracker.schedule.models import Appointment
from tracker.sessions import services as session_services
from tracker.sessions.models import SessionPoint, SessionRecord
from tracker.timeutil import utcnow

pytestmark = pytest.mark.browser
MAX_INTERACTIONS = 5


def _shot(page, name: str) -> None:
    if os.environ.get("TRACKER_SHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


class Counted:
    """The practitioner's hands: every click and fill goes through here and is counted."""

    def __init__(self):
        self.count = 0

    def click(self, locator):
        self.count += 1
        locator.click()

    def fill(self, locator, text: str):
        self.count += 1
        locator.fill(text)


def _second_visit_today(app, user_id) -> int:
    """Visit 1 (a week ago, signed): the plan's BL23 and BL40, and GB30 left added by hand.
    Visit 2 is booked for now."""
    with app.app_context():
        patient = patient_services.save(None, {
            "given_name": "Fatima", "family_name": "Okafor", "date_of_birth": date(1980, 3, 4)})
        db.session.flush()
        plan = TreatmentPlan(patient_id=patient.id, practitioner_id=user_id, status="draft",
                             start_on=date.today() - timedelta(days=7), sessions_planned=10,
                             reeval_every=6, style="tcm",
                             points=[PlanPoint(position=0, code="BL23", side="bilateral"),
                                     PlanPoint(position=1, code="BL40", side="bilateral")])
        db.session.add(plan)
        db.session.flush()
        plan_services.activate(plan, user_id)
        first = SessionRecord(
            patient_id=patient.id, practitioner_id=user_id, plan_id=plan.id, number=1,
            visit_on=date.today() - timedelta(days=7), pain_before=7, pain_after=4,
            style="tcm", retention_minutes=25, needle_type="0.25 x 40 mm",
            needles_reconciled=True, no_adverse_events=True,
            subjective="Low back worse after gardening.", assessment="Kidney qi deficiency.",
            points=[SessionPoint(position=0, code="BL23", side="bilateral"),
                    SessionPoint(position=1, code="BL40", side="bilateral"),
                    SessionPoint(position=2, code="GB30", side="left")])
        db.session.add(first)
        session_services.sign(first, db.session.get(User, user_id))
        appointment = Appointment(patient_id=patient.id, practitioner_id=user_id,
                                  plan_id=plan.id, starts_at=utcnow(), number=2)
        db.session.add(appointment)
        db.session.add(NoteTemplate(section="subjective", label="Better",
                                    text="Pain eased for two days."))
        db.session.commit()
        return appointment.id


def _log_in(page, base):
    page.goto(base + "/login")
    page.get_by_label("Email").fill("mei@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_routine_follow_up_from_the_day_list_to_signed_in_five(live_server, page_factory):
    base = live_server.live_url
    user_id = make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin")
    _second_visit_today(live_server, user_id)
    page = page_factory()
    _log_in(page, base)

    hands = Counted()
    entry = page.locator(".today-list li", has_text="Fatima Okafor")
    hands.click(entry.get_by_role("button", name=re.compile("^Record")))
    expect(page.locator("[data-followup-start]")).to_contain_text(
        "From last visit")
    expect(page.locator("[data-followup-start]")).to_contain_text(
        "BL23 bilateral, BL40 bilateral, GB30 left")
    expect(page.locator("#points-2-point")).to_have_value("GB30")
    expect(page.locator("#points-2-side")).to_have_value("left")
    expect(page.locator("[data-insertions]")).to_have_text("5")
    # The last visit beside the form: open, to the right of it, note and pain in view.
    panel = page.locator(".last-visit details")
    expect(panel).to_have_attribute("open", "")
    expect(panel).to_contain_text("Low back worse after gardening.")
    expect(panel).to_contain_text("7 → 4")
    assert page.locator(".last-visit").bounding_box()["x"] > page.locator(
        ".session-form").bounding_box()["x"] + 300

    _shot(page, "followup-form-1280")
    hands.click(page.locator('label:has(input[name="pain_before"][value="5"])'))
    hands.click(page.locator('label:has(input[name="pain_after"][value="2"])'))
    hands.click(page.get_by_label("No adverse events, and every needle counted out"))
    hands.click(page.get_by_role("button", name="Sign and lock"))
    expect(page.get_by_role("status").first).to_contain_text("signed and locked")
    assert hands.count <= MAX_INTERACTIONS, hands.count
    with live_server.app_context():
        record = db.session.scalars(select(SessionRecord).where(
            SessionRecord.number == 2)).one()
        assert record.signed and (record.pain_before, record.pain_after) == (5, 2)
        assert [(p.code, p.side) for p in record.points] == [
            ("BL23", "bilateral"), ("BL40", "bilateral"), ("GB30", "left")]
        assert record.no_adverse_events and record.needles_reconciled
        assert (record.retention_minutes, record.needle_type) == (25, "0.25 x 40 mm")
    # Back on the day list, the visit shows its signed record.
    expect(page.locator(".today-list li", has_text="Fatima Okafor")).to_contain_text(
        "Record signed")


def test_on_a_phone_the_last_visit_folds_and_a_phrase_goes_in_at_the_cursor(
        live_server, page_factory):
    base = live_server.live_url
    user_id = make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin")
    _second_visit_today(live_server, user_id)
    page = page_factory(390, 844)
    _log_in(page, base)
    page.locator(".today-list li", has_text="Fatima Okafor").get_by_role(
        "button", name=re.compile("^Record")).click()
    panel = page.locator(".last-visit details")
    expect(panel).not_to_have_attribute("open", "")
    expect(page.get_by_text("Low back worse after gardening.")).to_be_hidden()
    page.locator(".last-visit summary").click()
    expect(page.get_by_text("Low back worse after gardening.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "followup-form-390")

    # One click on the phrase puts it where the cursor is, not at the end.
    note = page.locator("#subjective")
    note.fill("Slept well. Less stiff.")
    note.evaluate("el => el.setSelectionRange(12, 12)")
    expect(page.locator(".phrase-fallback").first).to_be_hidden()
    page.get_by_role("button", name="Better", exact=True).click()
    expect(note).to_have_value("Slept well. Pain eased for two days. Less stiff.")

    # The routine tick answers both safety questions; unticking it takes back what it set.
    tick = page.get_by_label("No adverse events, and every needle counted out")
    none = page.get_by_label("None", exact=True)
    counted = page.get_by_label("All needles counted out at removal")
    tick.check()
    expect(none).to_be_checked()
    expect(counted).to_be_checked()
    tick.uncheck()
    expect(none).not_to_be_checked()
    expect(counted).not_to_be_checked()
