"""The intake on a 360 px phone (issue 16): follow-up questions appear when their answer is
given, the body map is the way to choose regions (every target at least 24 px) and the list
stays in step with it, 0-10 scales fit on one row, typing survives a closed tab, and a review
page comes before sending."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_intake_journey import no_horizontal_scroll, pick, shot
from tests.conftest import make_user
from tests.intake_helpers import VALID
from tracker.accounts.models import User
from tracker.clinical import safety
from tracker.extensions import db
from tracker.intake import services
from tracker.intake.models import Intake
from tracker.patients import services as patient_services
from tracker.settings.services import get_settings

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
MIN_TARGET = 24  # CSS px, WCAG 2.2 target size (minimum)

RECTS = """(selector) => [...document.querySelectorAll(selector)]
    .filter((el) => el.getClientRects().length)
    .map((el) => { const r = el.getBoundingClientRect();
        return {id: el.dataset.region || el.dataset.zone || el.textContent.trim(),
                top: Math.round(r.top), width: r.width, height: r.height}; })"""


def draft(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(Intake)).one().draft


def small(rects) -> list:
    return [r for r in rects if r["width"] < MIN_TARGET or r["height"] < MIN_TARGET]


def test_intake_on_a_360_px_phone(live_server, page_factory):
    base = live_server.live_url
    make_user(live_server)
    with live_server.app_context():
        patient = patient_services.save(None, {
            "given_name": "Rosa", "family_name": "Lind", "date_of_birth": date(1975, 6, 1),
            "phone": "+44 7700 900321"})
        _, token = services.create_invitation(patient, None, 14)
        db.session.commit()

    phone = page_factory(**PHONE)
    phone.goto(f"{base}/i/{token}")
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.get_by_role("heading", name="Your pain")).to_be_visible()

    # Follow-up questions wait for the answer they follow.
    fibro = phone.locator("fieldset.fibro")
    other = phone.get_by_label("If other, what?")
    expect(fibro).to_be_hidden()
    expect(other).to_be_hidden()
    phone.get_by_label("Fibromyalgia").check()
    expect(fibro).to_be_visible()
    phone.get_by_label("Fibromyalgia").uncheck()
    expect(fibro).to_be_hidden()
    phone.get_by_label("Other", exact=True).check()
    expect(other).to_be_visible()
    other.fill("Old whiplash")
    phone.get_by_label("Chronic low back pain").check()

    # 0-10 scales: eleven choices on one row, each at least 24 px wide.
    scales = phone.locator("fieldset.scale")
    assert scales.count() >= 7
    for i in range(scales.count()):
        name = scales.nth(i).get_attribute("id")
        boxes = phone.evaluate(RECTS, f"fieldset#{name} .option span")
        assert len({b["top"] for b in boxes}) == 1, (name, boxes)
        assert not small(boxes), (name, small(boxes))
        if name.startswith("nrs"):
            assert len(boxes) == 11
    no_horizontal_scroll(phone)

    # The body map is the way in on a phone: the list folds away behind a disclosure.
    expect(phone.locator("[data-bodypicker]")).to_be_visible()
    expect(phone.locator("details.regions-list")).not_to_have_attribute("open", "")
    zones = phone.evaluate(RECTS, ".bodypicker .zone")
    assert len(zones) == 6 and not small(zones), zones
    # Every region, in the area it is drawn large in, is at least 24 x 24 px.
    measured = []
    for zone in zones:
        phone.locator(f'[data-zone="{zone["id"]}"]').click()
        expect(phone.locator(f'[data-zoom="{zone["id"]}"]')).to_be_visible()
        regions = phone.evaluate(RECTS, f'[data-zoom="{zone["id"]}"] .region')
        assert regions and not small(regions), (zone["id"], small(regions))
        measured += regions
    drawn = phone.locator(".overview .region").count()
    assert len(measured) == drawn == 50

    # A tap on the map ticks the list; a tick in the list fills the map.
    phone.locator('[data-zone="F-head"]').click()
    phone.locator('[data-zoom="F-head"] [data-region="temple_l"]').click()
    phone.locator('[data-zone="B-upper"]').click()
    phone.locator('[data-zoom="B-upper"] [data-region="lower_back"]').click()
    temple = phone.locator('input[name="regions"][value="temple_l"]')
    expect(temple).to_be_checked()
    expect(phone.locator('input[name="regions"][value="lower_back"]')).to_be_checked()
    expect(phone.locator("[data-marked]")).to_contain_text("Left temple")
    phone.get_by_text("Choose from a list instead").click()
    temple.uncheck()
    expect(phone.locator('.overview [data-region="temple_l"]')).not_to_have_class("region on")
    expect(phone.locator('[data-zoom="F-head"] [data-region="temple_l"]')).to_have_class(
        "region")
    expect(phone.locator("[data-marked]")).not_to_contain_text("Left temple")
    phone.get_by_label("Right hip").check()
    expect(phone.locator('.overview [data-region="hip_r"]').first).to_have_class("region on")

    pick(phone, "pain_duration", "1y5y")
    for name, value in [("nrs_now", 5), ("nrs_average_week", 5), ("nrs_worst_week", 7),
                        ("nrs_least_week", 2), ("peg_enjoyment", 4), ("peg_activity", 4),
                        ("medication_days", 2)]:
        pick(phone, name, value)
    phone.get_by_label("What brings you here?").fill("Low back pain since a fall.")
    shot(phone, "phone-pain")
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.get_by_role("heading", name="Sleep and mood")).to_be_visible()
    for name, value in [("sleep", 3), ("phq2_1", 0), ("phq2_2", 0), ("gad2_1", 1),
                        ("gad2_2", 0)]:
        pick(phone, name, value)
    phone.get_by_role("button", name="Save and continue").click()
    expect(phone.get_by_role("heading", name="Health history")).to_be_visible()
    phone.get_by_role("button", name="Save and continue").click()

    # Safety: a detail is asked only after "Yes".
    expect(phone.get_by_role("heading", name="Safety questions")).to_be_visible()
    detail = phone.locator("#safety_bleeding_detail")
    expect(detail).to_be_hidden()
    pick(phone, "safety_bleeding", "yes")
    expect(detail).to_be_visible()
    detail.fill("Apixaban 5 mg")
    pick(phone, "safety_bleeding", "no")
    expect(detail).to_be_hidden()
    pick(phone, "safety_bleeding", "yes")
    expect(detail).to_have_value("Apixaban 5 mg")
    for item in safety.SAFETY_ITEMS:
        if item.code != "bleeding":
            pick(phone, f"safety_{item.code}", "no")
    expect(phone.locator("#safety_pregnancy_detail")).to_be_hidden()
    expect(phone.get_by_role("heading", name=safety.RED_FLAG_PATIENT_HEADING)).to_be_visible()
    for flag in (f for f in safety.RED_FLAGS if not f.same_as):  # cancer: asked once, above
        pick(phone, f"red_{flag.code}", "no")
    yes_no = phone.evaluate(RECTS, "fieldset.inline-options .option span")
    assert not small(yes_no)
    no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Save and continue").click()

    # Typing on the open step is on the server before the tab closes.
    expect(phone.get_by_role("heading", name="Treatments and goals")).to_be_visible()
    phone.wait_for_load_state()  # its script listens for typing (the heading can come first)
    phone.get_by_label("What would you like to be able to do again?").fill(
        "Garden for an afternoon")
    for _ in range(300):  # a second after typing stops (far longer on a busy test machine)
        if (draft(live_server).get("goals") or {}).get("goals") == ["Garden for an afternoon"]:
            break
        phone.wait_for_timeout(100)
    assert draft(live_server)["goals"]["goals"] == ["Garden for an afternoon"]
    expect(phone.locator("[data-save-status]")).to_contain_text("Saved")
    again = phone.context.new_page()
    phone.close()
    phone = again
    phone.goto(f"{base}/intake/goals")
    expect(phone.get_by_label("What would you like to be able to do again?")).to_have_value(
        "Garden for an afternoon")
    phone.get_by_role("button", name="Save and continue").click()

    phone.get_by_label("Type your full name as your signature").fill("Rosa Lind")
    phone.get_by_label("I have read and understood").check()
    phone.get_by_role("button", name="Save and check your answers").click()

    # The review page: every step, a Change link to each, nothing sent yet.
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    for title in ("About you", "Your pain", "Sleep and mood", "Health history",
                  "Safety questions", "Treatments and goals", "Consent"):
        expect(phone.get_by_role("link", name=f"Change: {title}")).to_be_visible()
    review = phone.locator("main")
    expect(review).to_contain_text("Apixaban 5 mg")
    expect(review).to_contain_text("Right hip")
    expect(review).not_to_contain_text("Left temple")
    no_horizontal_scroll(phone)
    shot(phone, "phone-review")
    with live_server.app_context():
        assert db.session.scalars(select(Intake)).one().status == "draft"
    phone.get_by_role("link", name="Change: Treatments and goals").click()
    goals = phone.get_by_label("What would you like to be able to do again?")
    expect(goals).to_have_value("Garden for an afternoon")
    goals.fill("Garden for a whole afternoon")
    phone.get_by_role("button", name="Save and check your answers").click()
    expect(phone.locator("main")).to_contain_text("Garden for a whole afternoon")

    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    with live_server.app_context():
        intake = db.session.scalars(select(Intake)).one()
        assert intake.status == "submitted" and intake.goals == "Garden for a whole afternoon"
        assert sorted(r.code for r in intake.regions) == ["hip_r", "lower_back"]
        assert intake.condition_other == "Old whiplash"


WRAP = """(text) => {
    // Where the browser breaks an answer: the characters after which a new line starts.
    const dd = [...document.querySelectorAll("dl.answers dd")]
        .find((el) => el.textContent.replace(/\\s/g, "") === text);
    const chars = [];
    const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.length; i += 1) {
            const range = document.createRange();
            range.setStart(node, i); range.setEnd(node, i + 1);
            const rect = range.getBoundingClientRect();
            if (rect.width) chars.push({ch: node.data[i], top: Math.round(rect.top)});
        }
    }
    return chars.filter((c, i) => i && c.top > chars[i - 1].top + 2)
        .map((c) => chars[chars.indexOf(c) - 1].ch);
}"""


def test_emergency_answers_targets_and_an_email_on_a_360_px_phone(live_server, page_factory):
    """Urgent help the moment an emergency sign is answered "yes", again after sending; the
    step links, the header's phone link and the check-in's own-page link at least 24 px; an
    email address on the review page wraps after its "@", never mid-word."""
    base = live_server.live_url
    user_id = make_user(live_server, "practitioner", "mei@example.org")
    with live_server.app_context():
        clinic = get_settings()
        clinic.phone = "+44 20 7946 0000"
        db.session.add(clinic)
        patient = patient_services.save(None, {
            "given_name": "Dana", "family_name": "Okafor", "date_of_birth": date(1968, 3, 9),
            "email": "dana.okafor@example.net", "phone": "+44 7700 900555"})
        # A practitioner's link: its pages show every saved answer (services.visible_draft).
        invitation, token = services.create_invitation(patient, db.session.get(User, user_id),
                                                       14)
        about = dict(VALID["about"], email="dana.okafor@example.net")
        for i, code in enumerate(("about", "pain", "sleep", "health")):
            values = about if code == "about" else VALID[code]
            services.save_draft(invitation.intake, code,
                                {k: v if isinstance(v, list) else [v] for k, v in values.items()},
                                i + 1)
        invitation.intake.current_step = "safety"
        db.session.commit()

    phone = page_factory(**PHONE)
    phone.goto(f"{base}/i/{token}")
    expect(phone.get_by_role("heading", name="Safety questions")).to_be_visible()
    expect(phone.get_by_text("Step 5 of 8")).to_be_visible()
    for heading in safety.RED_FLAG_GROUPS.values():  # clinical names are for staff
        expect(phone.get_by_text(heading)).to_have_count(0)
    links = phone.evaluate(RECTS, ".steps a, .clinic-phone a")
    assert len(links) == 5 and not small(links), links

    for item in safety.SAFETY_ITEMS:
        pick(phone, f"safety_{item.code}", "no")
    for flag in (f for f in safety.RED_FLAGS if not f.same_as):
        pick(phone, f"red_{flag.code}", "no")
    urgent = phone.locator('[data-help="emergency"]')
    expect(urgent).to_be_hidden()
    pick(phone, "red_bladder_bowel", "yes")  # shown at once, before anything is sent
    expect(urgent).to_be_visible()
    expect(urgent).to_contain_text("call your emergency number or go to an emergency "
                                   "department now")
    urgent.scroll_into_view_if_needed()
    shot(phone, "urgent-on-step")
    pick(phone, "red_bladder_bowel", "no")
    expect(urgent).to_be_hidden()
    pick(phone, "red_saddle_numbness", "yes")
    expect(urgent).to_be_visible()
    no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Save and continue").click()
    phone.get_by_label("What would you like to be able to do again?").fill("Sleep")
    phone.get_by_role("button", name="Save and continue").click()
    phone.get_by_label("Type your full name as your signature").fill("Dana Okafor")
    phone.get_by_label("I have read and understood").check()
    phone.get_by_role("button", name="Save and check your answers").click()

    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(phone.get_by_text("Step 8 of 8: check and send")).to_be_visible()
    expect(phone.locator('[data-help="emergency"]')).to_be_visible()
    breaks = phone.evaluate(WRAP, "dana.okafor@example.net")
    assert breaks in ([], ["@"]), breaks  # on one line, or after the "@": never mid-word
    expect(phone.locator("main")).to_contain_text("Left hip and buttock")
    no_horizontal_scroll(phone)
    shot(phone, "urgent-review")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    done = phone.locator('[data-help="emergency"]')
    expect(done).to_be_visible()
    assert done.bounding_box()["y"] < phone.get_by_role("heading", name="Thank you") \
        .bounding_box()["y"]
    shot(phone, "urgent-done")

    # The check-in page shares this base and sheet: its own-page link is a 24 px target too.
    phone.evaluate("""() => document.querySelector("main").insertAdjacentHTML("beforeend",
        '<div class="narrow intake checkin"><p><a href="#">Your page: visits and progress</a>'
        + '</p></div>')""")
    own = phone.evaluate(RECTS, ".checkin > p > a")
    assert len(own) == 1 and not small(own), own
