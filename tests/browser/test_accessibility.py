"""axe-core on every page of the three journeys (issue 16): a practitioner's day, reception's desk
and the patient's intake on a phone. No page may have a serious or critical violation (contrast,
names, labels, landmarks, ARIA ...), at 360 px and at 1280 px.

axe-core comes from the npm registry through npm's own client, cached like HL7's FHIR schema
(tests/npm_files.py), and is evaluated through the DevTools protocol, so the app's strict CSP
stays on. TRACKER_SCREENSHOTS=<folder> also saves each page at both widths, to look at."""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import url_for
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_summary_journey import login
from tests.conftest import make_user
from tests.intake_helpers import answers as intake_answers
from tests.npm_files import npm_file
from tracker import clock
from tracker.accounts.services import find_by_email
from tracker.checkins import services as checkins
from tracker.extensions import db
from tracker.intake import services as intake_services
from tracker.intake import steps
from tracker.patients.models import Patient
from tracker.plans.models import TreatmentPlan
from tracker.reports import demo as reports_demo
from tracker.sessions.models import SessionRecord

pytestmark = pytest.mark.browser

AXE = ("axe-core@4.14.1", "package/axe.min.js", "axe-core-4.14.1.min.js")
WIDTHS = (360, 1280)
SHOTS = os.environ.get("TRACKER_SCREENSHOTS")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help}\\n    ` + v.nodes.slice(0, 4).map(
      n => n.target.join(" ") + " | " + (n.failureSummary || "").replace(/\\s+/g, " ")
        .slice(0, 220)).join("\\n    "));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    return npm_file(*AXE, required="TRACKER_REQUIRE_BROWSER").read_text()


def seed(app) -> dict:
    """A clinic mid-week: the demo course (ten signed visits, its summary), a patient with a
    submitted intake, today's visit with its record open, and an intake link for a patient."""
    make_user(app, "practitioner", "mei@example.org", display_name="Mei Lin",
              credentials="L.Ac.", licence_number="AC-20817")
    make_user(app, "reception", "sam@example.org", display_name="Sam Okafor")
    make_user(app, "admin", "ada@example.org", display_name="Ada Admin")
    with app.test_request_context():
        mei = find_by_email("mei@example.org")
        grace = reports_demo.seed_demo(mei)
        plan = db.session.query(TreatmentPlan).filter_by(patient_id=grace.id).one()
        signed = db.session.query(SessionRecord).filter_by(patient_id=grace.id).first()
        ana = factories.patient("Ana", "Silva")
        ana.primary_practitioner_id = mei.id
        intake = factories.submitted_intake(ana)
        # A visit of today at any hour (an hour ahead is tomorrow after 23:00).
        today = factories.appointment(ana, mei, clock.now() - timedelta(minutes=5))
        record = factories.opened_session(today, mei)
        ben = factories.patient("Ben", "Okoro")
        invitation, token = intake_services.create_invitation(ben, mei, 14)
        db.session.flush()
        # Every step answered (the review page opens only then), nothing sent yet.
        answers = intake_answers()
        for code in steps.CODES:
            intake_services.save_draft(invitation.intake, code, {
                k: v if isinstance(v, list) else [v] for k, v in answers[code].items()},
                len(steps.CODES))
        # This week's check-in link for Grace's course (the patient's page between visits).
        _, checkin_token = checkins.new_link(plan, clock.today(), mei)
        db.session.commit()
        return {"grace": grace.id, "plan": plan.id, "ana": ana.id, "intake": intake.id,
                "appointment": today.id, "session": record.id, "ben": ben.id, "token": token,
                "checkin": checkin_token, "signed": signed.id}


def staff_pages(app, ids: dict, role: str) -> list[str]:
    """Each page of the role's journey that this version of the app has (pages other features
    add, such as the day and agenda views, check-ins and messages, are in when they exist)."""
    wanted = {
        "practitioner": [
            ("main.dashboard", {}), ("patients.index", {}),
            ("patients.detail", {"patient_id": ids["grace"]}),
            ("patients.detail", {"patient_id": ids["ana"]}),
            ("intake.index", {}), ("intake.review", {"intake_id": ids["intake"]}),
            ("plans.plan", {"plan_id": ids["plan"]}),
            ("plans.edit_plan", {"plan_id": ids["plan"]}),
            ("plans.new_plan", {"patient_id": ids["ana"]}),
            ("schedule.week", {}), ("schedule.day", {}), ("schedule.agenda", {}),
            ("schedule.appointment", {"appointment_id": ids["appointment"]}),
            ("sessions.edit", {"session_id": ids["session"]}),
            ("sessions.view", {"session_id": ids["signed"]}),
            ("sessions.timeline", {"patient_id": ids["grace"]}),
            ("plans.new_assessment", {"patient_id": ids["ana"]}),
            ("flags.new", {"patient_id": ids["ana"]}),
            ("reports.new_baseline", {"patient_id": ids["grace"]}),
            ("reports.summary_page", {"patient_id": ids["grace"], "plan": ids["plan"]}),
            ("reports.summary_page", {"patient_id": ids["grace"], "plan": ids["plan"],
                                      "version": "patient"}),
            ("reports.outcomes", {}), ("checkins.page", {"plan_id": ids["plan"]}),
            ("account.index", {})],
        "reception": [
            ("main.dashboard", {}), ("patients.index", {}),
            ("patients.detail", {"patient_id": ids["ben"]}),
            ("schedule.week", {}), ("schedule.day", {}), ("schedule.agenda", {}),
            ("schedule.clinic", {}), ("portal.requests", {}),
            ("schedule.new_appointment", {"patient_id": ids["ben"]}),
            ("patients.create", {}), ("patients.edit", {"patient_id": ids["ben"]}),
            ("schedule.card", {"patient_id": ids["ben"]})],
        "admin": [("settings.edit", {}), ("note_templates.index", {}), ("users.index", {}),
                  ("users.create", {}), ("schedule.closures", {}),
                  ("messages.log", {}), ("audit.index", {})],
    }[role]
    with app.test_request_context():
        return [url_for(endpoint, **values) for endpoint, values in wanted
                if endpoint in app.view_functions]


def check(page, axe_source: str, name: str, problems: list[str]) -> None:
    """axe on the page as it stands; a screenshot too when asked for."""
    expect(page.locator("body")).to_be_visible()
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:90]
        page.screenshot(path=str(Path(SHOTS) / f"{slug}.png"), full_page=True)
    page.evaluate(axe_source)
    for violation in page.evaluate(RUN_AXE):
        problems.append(f"{name}: {violation}")
    # One primary action per view: more than one filled button and the eye has no first place.
    primaries = page.evaluate("""() => [...document.querySelectorAll(
        "button.primary, a.button.primary, input.primary")].filter(
        b => b.offsetParent !== null).map(b => (b.textContent || b.value).trim())""")
    if len(primaries) > 1:
        problems.append(f"{name}: {len(primaries)} primary buttons: {primaries}")


def walk(page, base: str, urls: list[str], axe_source: str, tag: str,
         problems: list[str]) -> None:
    for url in urls:
        response = page.goto(base + url)
        assert response.status < 400, (url, response.status)
        check(page, axe_source, f"{tag} {page.viewport_size['width']} {url}", problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_journeys_have_no_serious_violations(live_server, page_factory, axe_source,
                                                    width):
    base = live_server.live_url
    ids = seed(live_server)
    problems: list[str] = []
    for role, email in (("practitioner", "mei@example.org"), ("reception", "sam@example.org"),
                        ("admin", "ada@example.org")):
        page = page_factory(width, 900)
        login(page, base, email)
        walk(page, base, staff_pages(live_server, ids, role), axe_source, role, problems)
        if role == "reception":
            # The share page of a new intake link, as reception reaches it.
            page.goto(f"{base}/patients/{ids['ben']}")
            page.get_by_role("button", name="Create an intake link").click()
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            check(page, axe_source, f"reception {width} intake link share", problems)
    assert problems == [], "\n".join(problems)


def test_patient_intake_on_a_phone_has_no_serious_violations(live_server, page_factory,
                                                             axe_source):
    base = live_server.live_url
    ids = seed(live_server)
    problems: list[str] = []
    page = page_factory(360, 780)
    page.goto(f"{base}/i/{ids['token']}")
    codes = list(steps.CODES) + ([steps.REVIEW] if getattr(steps, "REVIEW", None) else [])
    for code in codes:
        response = page.goto(f"{base}/intake/{code}")
        assert response.status < 400, (code, response.status)
        assert page.url.endswith(f"/intake/{code}"), (code, page.url)  # the step, not a redirect
        check(page, axe_source, f"patient 360 intake {code}", problems)
        # Tab goes through the step's buttons in the order they are seen, left to right.
        boxes = page.evaluate("""() => [...document.querySelectorAll(
            ".step-actions button, .step-actions a")].map(b => {
              const r = b.getBoundingClientRect(); return [Math.round(r.top), r.left]; })""")
        assert boxes == sorted(boxes), (code, boxes)
    # The same steps at a desk's width (the waiting-room tablet, a laptop).
    wide = page_factory(1280, 900)
    wide.goto(f"{base}/i/{ids['token']}")
    for code in codes:
        wide.goto(f"{base}/intake/{code}")
        check(wide, axe_source, f"patient 1280 intake {code}", problems)
        boxes = wide.evaluate("""() => [...document.querySelectorAll(
            ".step-actions button, .step-actions a")].map(b => {
              const r = b.getBoundingClientRect(); return [Math.round(r.top), r.left]; })""")
        assert boxes == sorted(boxes), (code, boxes)
    # A weekly check-in between visits, from its private link, on the phone.
    page.goto(f"{base}/c/{ids['checkin']}")
    expect(page.locator("form")).to_have_count(1)
    check(page, axe_source, "patient 360 weekly check-in", problems)
    with live_server.app_context():
        assert db.session.get(Patient, ids["ben"]) is not None
    assert problems == [], "\n".join(problems)


FOCUS = """() => {
  let el = document.activeElement;
  // A radio drawn as a button (0-10 scales) is invisible itself: its ring is on the label text.
  if (getComputedStyle(el).opacity === "0" && el.nextElementSibling) el = el.nextElementSibling;
  const style = getComputedStyle(el);
  let behind = "rgb(255, 255, 255)";
  for (let n = el.parentElement; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { behind = c; break; }
  }
  const text = (el.textContent || el.value || "").trim().slice(0, 30);
  return {what: [el.tagName, el.name || el.id || "", el.type || "", text].join(" "),
          ring: style.outlineColor, width: parseFloat(style.outlineWidth),
          shown: style.outlineStyle !== "none", behind};
}"""


def _luminance(css: str) -> float:
    channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_stands_out_wherever_the_keyboard_goes(live_server, page_factory):
    """WCAG 2.4.7 and 1.4.11: every focus stop shows a ring of at least 2 px at 3:1 or more
    against what is behind it: the light page, the green bar, a card."""
    base = live_server.live_url
    ids = seed(live_server)
    page = page_factory(1280, 900)
    login(page, base, "mei@example.org")
    page.goto(f"{base}/patients/{ids['ana']}")
    seen = []
    for _ in range(25):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS)
        if stop["what"].startswith("BODY"):
            continue
        seen.append(stop)
        assert stop["shown"] and stop["width"] >= 2, stop
        assert contrast(stop["ring"], stop["behind"]) >= 3, stop
    behind = {s["behind"] for s in seen}
    assert len(behind) >= 2, behind  # the bar and the page were both crossed
    # The patient's side: an intake step's 0-10 scales, on a phone.
    phone = page_factory(360, 780)
    phone.goto(f"{base}/i/{ids['token']}")
    phone.goto(f"{base}/intake/pain")
    scales = 0
    for _ in range(40):
        phone.keyboard.press("Tab")
        stop = phone.evaluate(FOCUS)
        if stop["what"].startswith("BODY"):
            continue
        scales += stop["what"].startswith("SPAN")
        assert stop["shown"] and stop["width"] >= 2, stop
        assert contrast(stop["ring"], stop["behind"]) >= 3, stop
    assert scales >= 1  # a scale's ring was among them
    assert contrast("rgb(255, 191, 71)", "rgb(245, 247, 249)") < 3  # the old ring: 1.5:1
