"""A routine visit recorded from today's list in a real browser: prefilled points, one added,
pain 6 then 3, signed, back on the day list; a pregnancy warning confirmed on LI4."""
import os
import re
import time
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD, make_user
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.patients import services as patient_services
from tracker.plans.models import PlanPoint, TreatmentPlan
from tracker.schedule.models import Appointment
from tracker.sessions.models import SafetyConfirmation, SessionRecord
from tracker.timeutil import utcnow

pytestmark = pytest.mark.browser


def _patient_with_appointment(app, user_id, given, pregnant=False):
    with app.app_context():
        patient = patient_services.save(None, {
            "given_name": given, "family_name": "Gallagher", "date_of_birth": date(1988, 6, 1)})
        db.session.flush()
        plan = TreatmentPlan(patient_id=patient.id, practitioner_id=user_id, status="active",
                             start_on=date.today(), sessions_planned=10, reeval_every=6,
                             points=[PlanPoint(position=0, code="BL23", side="bilateral"),
                                     PlanPoint(position=1, code="BL40", side="bilateral")])
        db.session.add(plan)
        db.session.flush()
        appointment = Appointment(patient_id=patient.id, practitioner_id=user_id,
                                  plan_id=plan.id, starts_at=utcnow(), number=3)
        db.session.add(appointment)
        if pregnant:
            db.session.add(SafetyFlag(patient_id=patient.id, kind="pregnancy",
                                      detail="Yes: 14 weeks"))
        db.session.commit()
        return appointment.id


def test_routine_visit_from_the_day_list_and_a_pregnancy_warning(live_server, page_factory):
    base = live_server.live_url
    user_id = make_user(live_server, "practitioner", "mei@example.org", display_name="Mei Lin")
    _patient_with_appointment(live_server, user_id, "Fatima")
    page = page_factory()
    page.goto(base + "/login")
    page.get_by_label("Email").fill("mei@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    started = time.monotonic()
    page.locator(".today-list").get_by_role("link", name=re.compile("Fatima Gallagher")).click()
    page.get_by_role("button", name="Start the session record").click()
    expect(page.locator("#points-0-point")).to_have_value("BL23")
    expect(page.locator("#points-1-point")).to_have_value("BL40")
    page.locator("#points-2-point").fill("UB25")
    page.locator("#points-2-side").select_option("left")
    expect(page.locator("[data-insertions]")).to_have_text("5")
    page.locator('label:has(input[name="pain_before"][value="6"])').click()
    page.locator('label:has(input[name="pain_after"][value="3"])').click()
    page.get_by_label("None", exact=True).check()
    page.get_by_label("All needles counted out at removal").check()
    if os.environ.get("TRACKER_SHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "session-form.png"), full_page=True)
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_role("status").first).to_contain_text("signed and locked")
    expect(page.get_by_role("heading", name=re.compile("appointments today"))).to_be_visible()
    elapsed = time.monotonic() - started
    assert elapsed < 60, elapsed
    with live_server.app_context():
        record = db.session.scalars(select(SessionRecord)).one()
        assert record.signed and (record.pain_before, record.pain_after) == (6, 3)
        assert [p.code for p in record.points] == ["BL23", "BL40", "BL25"]
        assert record.insertions == 5

    # A pregnant patient: LI4 gets the warning; the confirmation is stored.
    _patient_with_appointment(live_server, user_id, "Ingrid", pregnant=True)
    page.goto(base + "/")
    page.locator(".today-list").get_by_role("link", name=re.compile("Ingrid Gallagher")).click()
    page.get_by_role("button", name="Start the session record").click()
    expect(page.locator(".flags")).to_contain_text("Pregnancy")
    page.locator("#points-2-point").fill("Hegu")
    page.locator('label:has(input[name="pain_before"][value="4"])').click()
    page.get_by_label("Not asked today").check()
    page.get_by_label("None", exact=True).check()
    page.get_by_label("All needles counted out at removal").check()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.locator(".confirm-box")).to_contain_text("LI4 Hegu: pregnancy")
    expect(page.locator("#points-2-point")).to_have_value("Hegu")
    # The plan's BL23 (lumbosacral) is cautioned throughout pregnancy too (safety.md).
    for rule in ("pregnancy_point:LI4", "pregnancy_point:BL23"):
        page.locator(f'.confirm-box input[value="{rule}"]').check()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_role("status").first).to_contain_text("signed and locked")
    with live_server.app_context():
        assert sorted(c.rule for c in db.session.scalars(select(SafetyConfirmation))) == [
            "pregnancy_point:BL23", "pregnancy_point:LI4"]

    # A third visit the same day (a walk-in from the patient page): defaults from the last one.
    page.goto(base + "/patients/?q=fatima")
    page.locator("main").get_by_role("link", name=re.compile("Fatima")).first.click()
    expect(page.locator("#h-sessions")).to_be_visible()
    expect(page.locator("table.timeline")).to_contain_text("6 → 3")
    page.get_by_role("button", name="Record a walk-in session").click()
    expect(page.locator("#points-2-point")).to_have_value("BL25")  # from the previous visit
    page.locator('label:has(input[name="pain_before"][value="5"])').click()
    page.locator('label:has(input[name="pain_after"][value="4"])').click()
    page.get_by_label("None", exact=True).check()
    page.get_by_label("All needles counted out at removal").check()
    page.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_role("status").first).to_contain_text("signed and locked")
    with live_server.app_context():
        assert len(db.session.scalars(select(SessionRecord).where(
            SessionRecord.status == "signed")).all()) == 3
