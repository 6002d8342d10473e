"""Clinical content never reaches reception by any path, not only by the endpoints it may not
open: reopening, new links on a draft or a reopened intake, holding a link, resubmitting, and
the pages reception may open (patient page panels, search, dashboard, schedule, ICS, exports)."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import Client
from tests.intake_helpers import ORDER, answers, fill, link_token, open_link
from tracker.clinical import safety
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.intake import services as intake_services
from tracker.intake.models import Intake
from tracker.measurements.models import Measurement
from tracker.patients.models import Patient
from tracker.permissions import ROLE_PERMISSIONS, role_can

COMPLAINT = "Zebracomplaint low back pain"
BLEEDING = "Zebrableed warfarin"
PLAN = "Zebraplan chronic lumbar"
SOAP = "Zebrasoap felt dizzy"
DIAGNOSIS = "Zebradiagnosis lumbago"
MARKERS = (COMPLAINT, BLEEDING, PLAN, SOAP, DIAGNOSIS, "Zebra")
SECRET = answers(pain={"complaint": COMPLAINT},
                 safety={"safety_bleeding_detail": BLEEDING})


def other_browser(app):
    """A second browser with no cookies (reception's own browser, say)."""
    browser = app.test_client()
    browser.__class__ = Client
    browser.environ_base.update({"REMOTE_ADDR": "10.0.0.2"})
    return browser


def every_step(browser) -> str:
    """Every link page this browser can open, as one text (redirects followed)."""
    return "".join(browser.get(f"/intake/{code}", follow_redirects=True).text for code in ORDER)


@pytest.fixture
def patient_id(app):
    with app.app_context():
        made = factories.patient("Amélie", "Dubois", date(1970, 5, 4))
        db.session.commit()
        return made.id


def submitted(app, patient_id) -> int:
    with app.test_request_context():
        intake = factories.submitted_intake(patient_id, SECRET)
        db.session.commit()
        return intake.id


# -- reopen ---------------------------------------------------------------------------------------

def test_reception_cannot_reopen_a_submitted_intake(app, client, auth, patient_id):
    intake_id = submitted(app, patient_id)
    auth.login("reception")
    assert client.post(f"/intakes/{intake_id}/reopen").status_code == 403
    assert "Reopen for changes" not in client.get(f"/patients/{patient_id}").text
    with app.app_context():
        assert db.session.get(Intake, intake_id).status == "submitted"
    auth.logout()
    auth.login("practitioner")
    assert "Reopen for changes" in client.get(f"/patients/{patient_id}").text
    assert client.post(f"/intakes/{intake_id}/reopen").status_code == 302
    with app.app_context():
        assert db.session.get(Intake, intake_id).status == "draft"


def test_receptions_link_on_a_reopened_intake_starts_afresh_and_shows_nothing(
        app, client, auth, patient_id):
    intake_id = submitted(app, patient_id)
    auth.login("practitioner")
    client.post(f"/intakes/{intake_id}/reopen")
    auth.logout()
    auth.login("reception")
    token = link_token(client, patient_id)
    auth.logout()
    open_link(client, token)
    pages = every_step(client)
    assert not any(marker in pages for marker in MARKERS)
    with app.app_context():
        intakes = db.session.scalars(select(Intake).order_by(Intake.id)).all()
        assert [i.id for i in intakes][0] == intake_id and len(intakes) == 2
        assert intakes[0].complaint == COMPLAINT  # kept for clinicians, untouched


# -- a new link on a draft ------------------------------------------------------------------------

def test_receptions_new_link_on_a_draft_starts_a_fresh_intake(app, client, auth, patient_id):
    auth.login("reception")
    first = link_token(client, patient_id)
    auth.logout()
    fill(client, first, SECRET, upto="safety")  # the patient, part way
    auth.login("reception")
    second = link_token(client, patient_id)
    auth.logout()
    desk = other_browser(app)
    assert desk.get(f"/i/{second}").headers["Location"].endswith("/intake/about")
    pages = every_step(desk)
    assert not any(marker in pages for marker in MARKERS)
    assert "Step 1 of 8" in pages
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Intake)).scalar_one() == 2
        old = db.session.scalars(select(Intake).order_by(Intake.id)).first()
        assert old.draft["pain"]["complaint"] == [COMPLAINT]  # nothing lost


def test_receptions_link_reuses_a_draft_with_nothing_answered(app, client, auth, patient_id):
    auth.login("reception")
    link_token(client, patient_id)
    link_token(client, patient_id)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Intake)).scalar_one() == 1


def test_continuing_a_draft_follows_the_permission_table(app, patient_id):
    for role in sorted(ROLE_PERMISSIONS):
        with app.app_context():
            user = factories.user(role, f"wall-{role}@example.org")
            patient = db.session.get(Patient, patient_id)
            draft = intake_services.open_draft(patient) or Intake(patient=patient, draft={})
            draft.draft = {"pain": {"complaint": [COMPLAINT]}, "_reached": 2}
            db.session.add(draft)
            db.session.flush()
            invitation, _ = intake_services.create_invitation(patient, user, 14)
            db.session.flush()
            continues = invitation.intake_id == draft.id
            assert continues == role_can(role, "clinical.view"), role
            db.session.rollback()


# -- holding a link -------------------------------------------------------------------------------

def test_holding_a_link_does_not_show_answers_typed_in_another_browser(
        app, client, auth, patient_id):
    auth.login("reception")
    token = link_token(client, patient_id)  # reception sees the link once, at creation
    auth.logout()
    fill(client, token, SECRET, upto="goals")  # the patient, on their phone
    desk = other_browser(app)
    redirect = desk.get(f"/i/{token}")
    assert redirect.headers["Location"].endswith("/intake/consent")
    pages = every_step(desk)
    assert not any(marker in pages for marker in MARKERS)
    # The patient's own browser still has everything.
    assert COMPLAINT in client.get("/intake/pain").text
    assert BLEEDING in client.get("/intake/safety").text


def test_a_clinicians_link_on_a_reopened_intake_shows_the_answers_to_change(
        app, client, auth, patient_id):
    intake_id = submitted(app, patient_id)
    auth.login("practitioner")
    client.post(f"/intakes/{intake_id}/reopen")
    token = link_token(client, patient_id)
    auth.logout()
    phone = other_browser(app)
    open_link(phone, token)
    assert COMPLAINT in phone.get("/intake/pain").text


def test_reception_cannot_send_a_clinicians_link_again_to_an_address_of_its_own(
        app, client, auth, patient_id, smtp):
    """The reopen-and-new-link road, by email: a clinician's link opens every answer, so
    reception's "send it again" (to any address) would read them. Only a clinician may."""
    from tests.mail_server import use_smtp
    from tracker.messages.models import OutboundMessage
    with app.app_context():
        use_smtp(smtp)
        db.session.commit()
    intake_id = submitted(app, patient_id)
    auth.login("practitioner")
    client.post(f"/intakes/{intake_id}/reopen")
    share_url = client.post(f"/patients/{patient_id}/intake-links").headers["Location"]
    token = re.search(r'name="token" type="hidden" value="([^"]+)"',
                      client.get(share_url).text).group(1)
    client.post(share_url + "/email", data={"email": "amelie@example.net", "token": token})
    auth.logout()
    auth.login("reception")
    page = client.get(share_url).text
    assert "Send it again" not in page
    sent = client.post(share_url + "/email", data={"email": "desk.private@example.com",
                                                  "token": ""})
    assert sent.status_code == 400
    assert "Only a clinician can send this link again" in sent.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
            OutboundMessage.recipient == "desk.private@example.com")) == 0
    auth.logout()
    auth.login("practitioner")  # the clinician may, to the address they choose
    assert client.post(share_url + "/email", data={"email": "amelie.new@example.net",
                                                   "token": ""}).status_code == 302


# -- resubmission ---------------------------------------------------------------------------------

def test_resubmission_keeps_unresolved_flags_and_baseline_history(app, client, auth,
                                                                 patient_id):
    red = {"red_bladder_bowel": "yes", "red_fever": "yes"}
    with app.test_request_context():
        intake = factories.submitted_intake(patient_id, answers(safety=red))
        kinds = sorted(f.kind for f in db.session.scalars(select(SafetyFlag)))
        assert kinds == ["bleeding_risk", "cauda_equina", "red_flag"]
        intake_services.reopen(intake)
        db.session.commit()
        intake_id = intake.id
    auth.login("practitioner")
    token = link_token(client, patient_id)
    auth.logout()
    calm = {f"safety_{i.code}": "no" for i in safety.SAFETY_ITEMS} | {
        f"red_{f.code}": "no" for f in safety.RED_FLAGS}
    fill(client, token, answers(
        safety=calm | {"safety_pregnancy": "yes"},
        pain={"nrs_now": "0", "nrs_least_week": "0", "nrs_average_week": "1",
              "nrs_worst_week": "2"}))
    with app.app_context():
        flags = db.session.scalars(select(SafetyFlag)).all()
        assert all(f.active for f in flags)
        assert sorted(f.kind for f in flags) == [
            "bleeding_risk", "cauda_equina", "pregnancy", "red_flag"]
        now = db.session.scalars(select(Measurement.value).where(
            Measurement.instrument == "nrs", Measurement.time_frame == "now")
            .order_by(Measurement.taken_at)).all()
        assert now == [6, 0]  # history kept
        shown = {row.instrument.key: row.value
                 for row in intake_services.scores(db.session.get(Intake, intake_id))["rows"]}
        assert shown["nrs_now"] == 0  # the review shows the newest submission
    # A second identical resubmission adds no duplicate flags.
    with app.test_request_context():
        intake = db.session.get(Intake, intake_id)
        intake_services.reopen(intake)
        factories.submitted_intake(patient_id, answers(safety=calm | {"safety_pregnancy": "yes"}))
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(SafetyFlag)).scalar_one() == 4


# -- every page reception may open ----------------------------------------------------------------

@pytest.fixture
def clinic(app, patient_id):
    """A patient with a submitted intake and flag, a plan, an assessment and a signed session,
    each carrying a marker word that only clinicians may read."""
    with app.test_request_context():
        mei = factories.practitioner()
        factories.submitted_intake(patient_id, SECRET)
        plan = factories.plan(patient_id, mei, conditions=PLAN)
        _, visits = factories.book_course(plan)
        factories.signed_session(patient_id, mei, visits[0], subjective=SOAP)
        from tracker.plans.models import Assessment
        db.session.add(Assessment(patient_id=patient_id, practitioner_id=mei.id,
                                  assessed_on=date(2026, 1, 5), western_diagnosis=DIAGNOSIS))
        db.session.commit()
        return {"patient": patient_id, "appointment": visits[1].id, "plan": plan.id}


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_no_page_reception_may_open_shows_clinical_content(app, client, auth, clinic, role):
    auth.login(role, email=f"wall-{role}@example.org")
    pid = clinic["patient"]
    urls = [f"/patients/{pid}", "/patients/?q=Dubois", "/", "/schedule/", "/schedule/week",
            "/schedule/clinic", f"/schedule/appointments/{clinic['appointment']}",
            f"/schedule/patients/{pid}/card", f"/schedule/patients/{pid}/appointments.ics",
            f"/exports/patients/{pid}/fhir.json", "/exports/sessions.csv",
            f"/reports/patients/{pid}/summary", f"/patients/{pid}/sessions",
            f"/plans/{clinic['plan']}"]
    clinical = role_can(role, "clinical.view")
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if not clinical:
            assert response.status_code in (200, 302, 403, 404), url
            text = response.get_data(as_text=True)
            assert not any(marker in text for marker in MARKERS), (role, url)
    # Search by a clinical word finds nobody (no oracle on answers or diagnoses).
    for word in ("Zebracomplaint", "warfarin", "Zebradiagnosis", "lumbar"):
        page = client.get(f"/patients/?q={word}").text
        assert "Dubois" not in page, (role, word)
    if clinical:  # the markers are real: clinicians do see them
        assert BLEEDING in client.get(f"/patients/{pid}").text
        assert PLAN in client.get(f"/plans/{clinic['plan']}").text
