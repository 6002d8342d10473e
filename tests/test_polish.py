"""Polish a clinic pays for (issue 16, item 7), as the server draws it: the patient header at
the top of the patient page, the current page in the navigation, the favicon, one primary
button on the appointment page. Colours and focus are measured in the browser
(tests/browser/test_accessibility.py)."""
import re
from datetime import timedelta

from tests import factories
from tests.conftest import make_user
from tracker import clock
from tracker.extensions import db
from tracker.flags import services as flags


def seed(app):
    practitioner = make_user(app, "practitioner")
    with app.test_request_context():
        patient = factories.patient("Ana", "Silva", phone="+44 7700 900123")
        flags.raise_flag(patient.id, db.session.get(factories.User, practitioner),
                         {"kind": "bleeding_risk", "detail": "Warfarin"})
        # Started a few minutes ago: recordable at any hour (an hour ahead is tomorrow after 23:00).
        appt = factories.appointment(patient, practitioner, clock.now() - timedelta(minutes=5))
        db.session.commit()
        return patient.id, appt.id


def test_patient_header_comes_first_with_name_age_birth_phone_and_flags(client, auth, app):
    patient_id, _ = seed(app)
    auth.login("practitioner")
    page = client.get(f"/patients/{patient_id}").text
    header = page.split('<header class="patient-header"')[1].split("</header>")[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", header))
    assert "Silva, Ana" in text or "Ana Silva" in text
    assert "Age 56" in text or "Age 55" in text
    assert "Born 06 May 1970" in text
    assert 'href="tel:+447700900123"' in header and "+44 7700 900123" in text
    assert "1 safety flag" in text and "Bleeding risk" in text
    # Link administration is below the treatment panels, not at the top of the page.
    assert page.index('class="patient-header"') < page.index("Create an intake link")
    assert page.index("<h1") > page.index('class="patient-header"')


def test_reception_sees_the_header_without_clinical_flags(client, auth, app):
    patient_id, _ = seed(app)
    auth.login("reception")
    page = client.get(f"/patients/{patient_id}").text
    header = page.split('<header class="patient-header"')[1].split("</header>")[0]
    assert "+44 7700 900123" in header and "06 May 1970" in header
    assert "safety flag" not in header and "Bleeding" not in page


def test_navigation_marks_the_current_page_and_its_section(client, auth, app):
    patient_id, _ = seed(app)
    auth.login("practitioner")
    register = client.get("/patients/").text
    assert re.search(r'<a href="/patients/" aria-current="page">Patients</a>', register)
    assert register.count('aria-current="page"') == 1
    detail = client.get(f"/patients/{patient_id}").text
    assert re.search(r'<a href="/patients/" aria-current="true">Patients</a>', detail)
    assert 'aria-current="page"' not in detail  # no nav item *is* a patient's page
    today = client.get("/").text
    assert re.search(r'<a href="/" aria-current="page">Today</a>', today)
    assert '<a href="/patients/">Patients</a>' in today


def test_favicon_is_linked_and_served(client, auth, app):
    auth.login("reception")
    page = client.get("/").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.data.startswith(b"<svg") and b"<script" not in svg.data
    ico = client.get("/static/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"


def test_one_primary_button_on_a_clinicians_appointment_page(client, auth, app):
    _, appointment_id = seed(app)
    auth.login("practitioner")
    page = client.get(f"/schedule/appointments/{appointment_id}").text
    primaries = re.findall(r'<(?:button|a)[^>]*class="[^"]*\bprimary\b[^"]*"[^>]*>([^<]*)<', page)
    assert primaries == ["Start the session record"], primaries
