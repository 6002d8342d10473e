"""Patient intake: links, steps, drafts, CSRF recovery, submission, scoring, flags, review."""
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import make_user
from tests.intake_helpers import answers, fill, link_token, open_link, reception_link
from tests.test_fuzz import HOSTILE
from tracker.clinical import body_regions, safety
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.intake.models import Intake, IntakeInvitation
from tracker.measurements.models import Measurement
from tracker.patients import services as patient_services
from tracker.timeutil import utcnow


@pytest.fixture
def patient_id(app):
    with app.app_context():
        patient = patient_services.save(None, {
            "given_name": "Amélie", "family_name": "Dubois", "date_of_birth":
            __import__("datetime").date(1970, 5, 4), "phone": "+44 7700 900123"})
        db.session.commit()
        return patient.id


@pytest.fixture
def token(client, auth, patient_id):
    return reception_link(client, auth, patient_id, opened=True)


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# -- links ----------------------------------------------------------------------------------------

def test_link_is_random_hashed_and_shown_once_with_a_qr_code(app, client, auth, patient_id):
    auth.login("reception")
    response = client.post(f"/patients/{patient_id}/intake-links", follow_redirects=True)
    assert "<svg" in response.text and "Copy link" in response.text
    token = response.text.split("https://localhost/i/")[1].split('"')[0]
    assert len(token) >= 43  # 32 random bytes, base64url
    with app.app_context():
        stored = db.session.scalars(select(IntakeInvitation)).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64
        lifetime = stored.expires_at - stored.created_at
        assert timedelta(days=13, hours=23) < lifetime <= timedelta(days=14)
    again = client.get(f"/intake-links/{stored.id}")
    assert token not in again.text and "cannot be shown again" in again.text
    page = client.get(f"/patients/{patient_id}")
    assert "Not started" in page.text


def test_link_opens_the_first_step_without_an_account(client, token):
    response = client.get(f"/i/{token}", follow_redirects=True)
    assert response.status_code == 200
    assert "Step 1 of 8" in response.text and 'value="Amélie"' in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert "Log out" not in response.text


@pytest.mark.parametrize("bad", ["nope", "x" * 43, "A" * 500])
def test_unknown_link_reveals_nothing(client, token, bad):
    response = client.get(f"/i/{bad}")
    assert response.status_code == 404
    assert "Amélie" not in response.text and "Dubois" not in response.text


def test_guessing_links_is_throttled_per_address(make_app, patient_id):
    app = make_app(INTAKE_THROTTLE_LIMIT=3)
    make_user(app)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/i/guess-abcdefghijklmnopqrstuvwxyz").status_code == 404
    assert client.get("/i/guess-abcdefghijklmnopqrstuvwxyz").status_code == 429


def test_revoked_and_expired_links_stop_working_without_naming_the_patient(
        app, client, auth, token, patient_id):
    with app.app_context():
        invitation = db.session.scalars(select(IntakeInvitation)).one()
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        invitation_id = invitation.id
    response = client.get(f"/i/{token}", follow_redirects=True)
    assert response.status_code == 410 and "expired" in response.text
    assert "Amélie" not in response.text
    auth.login("reception")
    other = link_token(client, patient_id)
    assert client.post(f"/intake-links/{invitation_id + 1}/revoke").status_code == 302
    auth.logout()
    response = client.get(f"/i/{other}")
    assert response.status_code == 410 and "no longer active" in response.text


def test_a_clinicians_new_link_continues_the_unfinished_intake(app, client, auth, token,
                                                               patient_id):
    fill(client, token, upto="pain")
    auth.login("practitioner")  # continuing a draft is clinical (reception's starts afresh)
    second = link_token(client, patient_id)
    auth.logout()
    response = client.get(f"/i/{second}/pain", follow_redirects=True)
    assert "Low back pain down my left leg" in response.text
    assert count(app, Intake) == 1


# -- steps and validation -------------------------------------------------------------------------

@pytest.mark.parametrize(("step", "change", "message"), [
    ("about", {"given_name": ""}, "Please enter your first name."),
    ("about", {"date_of_birth": "2999-01-01"}, "cannot be in the future"),
    ("about", {"email": "not-an-email"}, "Please check your email address"),
    ("about", {"phone": "call me"}, "Enter a phone number"),
    ("pain", {"complaint": ""}, "what brings you here"),
    ("pain", {"conditions": []}, "Please tick at least one"),
    ("pain", {"conditions": ["other"]}, "please tell us what it is"),
    ("pain", {"regions": []}, "mark at least one area"),
    ("pain", {"nrs_least_week": "9"}, "Your least pain (9) is higher than your worst pain (8)"),
    ("pain", {"nrs_average_week": "9"}, "between your least and your worst"),
    ("pain", {"nrs_now": "11"}, "Not a valid choice"),
    ("pain", {"conditions": ["fibromyalgia"]}, "You ticked fibromyalgia"),
    ("sleep", {"phq2_1": ""}, "Please choose an answer."),
    ("health", {"medications-0-name": ""}, "add the medicine"),
    ("safety", {"safety_pregnancy": ""}, "Please answer yes, no or not sure."),
    ("safety", {"red_fever": ""}, "Please answer yes, no or not sure."),
    ("goals", {"goals": ""}, "at least one thing"),
    ("consent", {"agree": ""}, "Please tick the box"),
    ("consent", {"consent_name": ""}, "type your full name"),
])
def test_each_step_explains_bad_answers_beside_the_field_and_keeps_the_rest(
        app, client, token, step, change, message):
    data = answers(**{step: change})
    order = ["about", "pain", "sleep", "health", "safety", "goals", "consent"]
    if order.index(step):
        fill(client, token, upto=order[order.index(step) - 1])
    response = client.post(f"/intake/{step}", data=data[step])
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'").replace("&#34;", '"')
    assert 'aria-invalid="true"' in response.text
    # Everything else the patient typed on this step comes back.
    for name, value in data[step].items():
        if name not in change and isinstance(value, str) and len(value) > 2:
            assert value in response.text, name
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().status == "draft"


def test_red_flag_questions_only_for_back_pain(client, token):
    fill(client, token, answers(pain={"conditions": ["migraine"], "regions": ["temple_l"]}),
         upto="health")
    page = client.get("/intake/safety").text
    assert "A few more questions about your back" not in page
    response = client.post("/intake/safety", data=answers(safety={"red_fever": ""})["safety"])
    assert response.status_code == 302


def test_cannot_skip_ahead_past_unanswered_steps(client, token):
    response = client.get("/intake/consent")
    assert response.status_code == 302 and response.headers["Location"].endswith("/about")


def test_back_keeps_unvalidated_typing(client, token):
    fill(client, token, upto="about")
    client.post("/intake/pain", data={"complaint": "half typed", "action": "back"})
    assert "half typed" in client.get("/intake/pain").text


def test_medicine_rows_can_be_added(client, token):
    fill(client, token, upto="sleep")
    data = answers()["health"] | {"action": "add_medication"}
    response = client.post("/intake/health", data=data)
    assert response.status_code == 200
    assert 'name="medications-3-name"' in response.text and "Warfarin" in response.text


# -- nothing lost ---------------------------------------------------------------------------------

def test_draft_resumes_where_the_patient_left_off(make_app, token):
    first = make_app().test_client()
    fill(first, token, upto="sleep")
    # A different browser (a closed tab, a new phone session): no cookies at all.
    # It resumes where the patient left off, but shows nothing typed in the other browser:
    # reception saw this link when creating it, and holding a link is not enough to read it.
    second = make_app().test_client()
    second.__class__ = type(first)
    response = second.get(f"/i/{token}")
    assert response.headers["Location"].endswith("/intake/health")
    page = second.get("/intake/pain").text
    assert "Low back pain down my left leg" not in page
    assert not re.search(r'<input checked id="nrs_worst_week-8"', page)
    # The browser that typed them still sees them.
    page = first.get("/intake/pain").text
    assert "Low back pain down my left leg" in page
    assert re.search(r'<input checked id="nrs_worst_week-8"', page)
    assert re.search(r'<input checked id="regions-\d+" name="regions" type="checkbox" '
                     r'value="hip_l"', page)


def test_expired_csrf_token_reshows_the_step_with_the_answers(make_app, patient_id):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app)
    from tracker.intake import services
    with app.app_context():
        from tracker.patients.models import Patient
        _, token = services.create_invitation(db.session.get(Patient, patient_id), None, 14)
        db.session.commit()
    client = app.test_client()
    client.get(f"/i/{token}", base_url="https://localhost")
    data = answers()["about"] | {"csrf_token": "stale-token-from-an-hour-ago",
                                 "family_doctor": "Dr Careful Typing"}
    response = client.post("/intake/about", data=data, base_url="https://localhost",
                           headers={"Referer": "https://localhost/"})
    assert response.status_code == 400
    assert "press <strong>Save and continue</strong> again" in response.text
    assert "Dr Careful Typing" in response.text
    fresh = response.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/intake/about", data=data | {"csrf_token": fresh},
                           base_url="https://localhost", headers={"Referer": "https://localhost/"})
    assert response.status_code == 302


def test_typing_on_a_link_that_expired_mid_step_is_kept(app, client, token):
    fill(client, token, upto="about")
    with app.app_context():
        invitation = db.session.scalars(select(IntakeInvitation)).one()
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.post("/intake/pain", data={"complaint": "typed slowly"})
    assert response.status_code == 410 and "have been saved" in response.text
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().draft["pain"]["complaint"] == [
            "typed slowly"]


# -- submission -----------------------------------------------------------------------------------

def test_submit_stores_structured_answers_baseline_and_flags_once(app, client, token):
    response = fill(client, token)
    assert response.headers["Location"].endswith("/done")
    again = client.post("/intake/consent", data=answers()["consent"])
    assert again.status_code == 200 and "Thank you" in again.text
    assert "Thank you" in client.get(f"/i/{token}", follow_redirects=True).text
    with app.app_context():
        intake = db.session.scalars(select(Intake)).one()
        assert intake.status == "submitted" and intake.consent_version == 1
        assert [c.code for c in intake.conditions] == ["sciatica"]
        assert sorted(r.code for r in intake.regions) == ["hip_l", "lower_back", "upper_leg_l"]
        assert [(m.name, m.dose) for m in intake.medications] == [("Warfarin", "5 mg")]
        rows = {(m.instrument, m.time_frame): m for m in db.session.scalars(select(Measurement))}
        assert len(rows) == 10
        assert rows[("nrs", "now")].value == 6 and rows[("nrs", "worst_week")].value == 8
        assert rows[("peg3", "")].value == 6.0  # items 6, 7, 5
        assert rows[("phq2", "")].value == 3 and rows[("gad2", "")].value == 1
        assert rows[("wpi", "")].value == 3 and rows[("med_days", "week")].value == 4
        assert all(m.source == "intake" for m in rows.values())
        flags = db.session.scalars(select(SafetyFlag)).all()
        assert [f.kind for f in flags] == ["bleeding_risk"]
        assert "warfarin" in flags[0].detail


def test_direct_double_submit_stores_one_intake(app, token, client):
    fill(client, token, upto="consent")
    for _ in range(2):
        client.post("/intake/review")
    assert count(app, Measurement) == 10 and count(app, SafetyFlag) == 1


def test_submitted_link_no_longer_edits(app, client, token):
    fill(client, token)
    response = client.post("/intake/about", data=answers(about={"given_name": "Changed"})[
        "about"])
    assert response.status_code == 200 and "Thank you" in response.text
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().given_name == "Amélie"


def test_review_reads_back_conditions_regions_medicines_and_screen_answers(
        app, client, auth, token):
    fill(client, token, answers())
    auth.login("practitioner")
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    page = client.get(f"/intakes/{intake_id}").text
    assert "<dt>Conditions</dt><dd>Sciatica</dd>" in page
    assert "<li>Warfarin, 5 mg, daily</li>" in page
    assert re.search(r'<tr class="answer-yes"><th scope="row">[^<]*</th><td>Yes: warfarin</td>',
                     page)
    assert "Back pain red-flag questions" in page
    for code in ("lower_back", "hip_l", "upper_leg_l"):
        assert f'class="region on" data-region="{code}"' in page


def test_red_flags_raise_an_urgent_banner_and_cauda_equina_says_emergency(
        app, client, auth, token):
    fill(client, token, answers(safety={"red_bladder_bowel": "yes", "red_fever": "yes"}))
    auth.login("practitioner")
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    page = client.get(f"/intakes/{intake_id}").text
    assert "alert-urgent" in page and "same-day emergency care" in page
    assert page.index("Red flags") < page.index("Scores at intake")
    assert "positive screen" in page  # PHQ-2 of 3
    assert 'class="region on" data-region="lower_back"' in page


def test_fibromyalgia_answers_give_wpi_sss_and_screen(app, client, auth, token):
    regions = ["shoulder_girdle_l", "shoulder_girdle_r", "neck", "upper_back", "lower_back",
               "hip_l", "hip_r", "upper_leg_l"]
    fill(client, token, answers(pain={
        "conditions": ["fibromyalgia"], "regions": regions, "sss_fatigue": "3",
        "sss_unrefreshed": "2", "sss_cognitive": "1", "sss_headaches": "y"}))
    with app.app_context():
        rows = {m.instrument: m.value for m in db.session.scalars(select(Measurement))}
        assert rows["wpi"] == 8 and rows["sss"] == 7
        intake_id = db.session.scalars(select(Intake)).one().id
    auth.login("practitioner")
    assert "ACR 2016 fibromyalgia criteria</th><td>Met" in client.get(
        f"/intakes/{intake_id}").text


# -- review and roles -----------------------------------------------------------------------------

def test_practitioner_reviews_and_flags_reach_the_patient_page(app, client, auth, token,
                                                               patient_id):
    fill(client, token)
    auth.login("practitioner")
    listing = client.get("/intakes/").text
    assert "Amélie Dubois" in listing
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    assert "Mark reviewed" in client.get(f"/intakes/{intake_id}").text
    client.post(f"/intakes/{intake_id}/review")
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        assert intake.status == "reviewed" and intake.reviewed_by_id is not None
    assert "No intakes are waiting" in client.get("/intakes/").text
    page = client.get(f"/patients/{patient_id}").text
    assert "Bleeding risk" in page and "Reviewed" in page


def test_reception_sees_submission_but_not_answers(app, client, auth, token, patient_id):
    fill(client, token)
    auth.login("reception")
    page = client.get(f"/patients/{patient_id}").text
    assert "Awaiting review" in page and "Submitted" in page
    assert "Bleeding risk" not in page and "Read the intake" not in page
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    assert client.get(f"/intakes/{intake_id}").status_code == 403
    assert client.get("/intakes/").status_code == 403
    assert client.post(f"/intakes/{intake_id}/review").status_code == 403


def test_reopen_lets_the_patient_change_and_resubmit(app, client, auth, token):
    fill(client, token)
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    auth.login("reception")
    assert client.post(f"/intakes/{intake_id}/reopen").status_code == 403  # clinical
    auth.logout()
    auth.login("practitioner")
    client.post(f"/intakes/{intake_id}/reopen")
    auth.logout()
    assert "Amélie" in client.get(f"/i/{token}", follow_redirects=True).text
    fill(client, token, answers(safety={"safety_bleeding": "no", "safety_pregnancy": "yes"}))
    with app.app_context():
        # The earlier flag stays until a clinician resolves it; the earlier scores stay too.
        assert sorted(f.kind for f in db.session.scalars(select(SafetyFlag))) == [
            "bleeding_risk", "pregnancy"]
        assert count(app, Measurement) == 20


def test_resolving_a_flag_needs_a_reason_and_is_audited(app, client, auth, token, patient_id):
    from tracker.audit.models import AuditEntry
    fill(client, token)
    auth.login("practitioner")
    with app.app_context():
        flag_id = db.session.scalars(select(SafetyFlag)).one().id
    client.post(f"/flags/{flag_id}/resolve", data={"resolution": ""})
    client.post(f"/flags/{flag_id}/resolve", data={"resolution": "Stopped warfarin in May"})
    with app.app_context():
        flag = db.session.get(SafetyFlag, flag_id)
        assert not flag.active and flag.resolution == "Stopped warfarin in May"
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "SafetyFlag", AuditEntry.action == "update")).first()
    assert "Bleeding risk" not in client.get(f"/patients/{patient_id}").text


def test_patient_edits_are_audited_as_the_link(app, client, token):
    from tracker.audit.models import AuditEntry
    fill(client, token)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "Intake", AuditEntry.action == "update")).first()
        assert entry.user_email.startswith("patient (intake link")
        assert "draft" not in (entry.changes or {})


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_input_on_any_step_never_breaks_the_form(app, client, token, data):
    code = data.draw(st.sampled_from(["about", "pain", "sleep", "health", "safety", "goals",
                                      "consent"]))
    fields = list(answers()[code]) + ["action", "medications-40-name", "conditions"]
    payload = {name: data.draw(HOSTILE) for name in fields if data.draw(st.booleans())}
    response = client.post(f"/intake/{code}", data=payload)
    assert response.status_code < 500, payload
    with app.app_context():
        assert count(app, Measurement) == 0


def test_html_in_patient_answers_is_escaped_on_review_and_patient_pages(
        app, client, auth, token, patient_id):
    html = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    fill(client, token, answers(pain={"complaint": html}, goals={"goals": html},
                                health={"medications-0-name": html},
                                safety={"safety_bleeding_detail": html}))
    auth.login("practitioner")
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    for url in (f"/intakes/{intake_id}", f"/patients/{patient_id}", "/", "/intakes/"):
        text = client.get(url).text
        assert "<script>alert" not in text and "<img src=x" not in text, url
    assert "&lt;script&gt;" in client.get(f"/intakes/{intake_id}").text


def test_patient_corrections_can_be_applied_to_the_register(app, client, auth, token,
                                                             patient_id):
    fill(client, token, answers(about={"phone": "+44 7700 900999", "family_doctor": "Dr X"}))
    auth.login("practitioner")
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    page = client.get(f"/intakes/{intake_id}").text
    # phone, email, address and the emergency contact were not in the register
    assert "differs from the register" in page and "corrections (5)" in page
    client.post(f"/intakes/{intake_id}/apply-details")
    with app.app_context():
        from tracker.patients.models import Patient
        patient = db.session.get(Patient, patient_id)
        assert patient.phone == "+44 7700 900999" and patient.phone_digits == "447700900999"
    assert "differs from the register" not in client.get(f"/intakes/{intake_id}").text


# -- review before sending (issue 16) -------------------------------------------------------------

def draft_of(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(Intake)).one().draft


def test_the_last_step_leads_to_a_review_page_and_only_send_submits(app, client, token):
    response = fill(client, token, upto="consent")
    assert response.headers["Location"].endswith("/intake/review")
    assert count(app, Measurement) == 0 and draft_of(app)["_reached"] == 7
    page = client.get("/intake/review").text
    assert "Nothing has been sent yet" in page
    for text in ("Low back pain down my left leg", "Warfarin, 5 mg, daily", "Walk the dog",
                 "Amélie Dubois", "Sciatica"):
        assert text in page, text
    changes = re.findall(r'href="/intake/(\w+)"[^>]*data-change', page)
    assert changes == ["about", "pain", "sleep", "health", "safety", "goals", "consent"]
    assert 'action="/intake/review"' in page and "Send my answers" in page
    response = client.post("/intake/review")
    assert response.headers["Location"].endswith("/intake/done")
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().status == "submitted"
    assert count(app, Measurement) == 10


def test_no_review_and_no_sending_before_every_step_is_answered(app, client, token):
    fill(client, token, upto="goals")
    for method in ("GET", "POST"):
        response = client.open("/intake/review", method=method)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/intake/consent"), method
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().status == "draft"
    assert count(app, Measurement) == 0 and count(app, SafetyFlag) == 0


def test_change_link_opens_the_step_with_its_answers_and_returns_to_the_review(app, client,
                                                                               token):
    fill(client, token, upto="consent")
    page = client.get("/intake/pain").text
    assert "Low back pain down my left leg" in page
    assert "Save and check your answers" in page  # every step answered: back to the review
    data = answers(pain={"complaint": "Mostly the left hip now"})["pain"]
    response = client.post("/intake/pain", data=data)
    assert response.headers["Location"].endswith("/intake/review")
    review = client.get("/intake/review").text
    assert "Mostly the left hip now" in review and "Low back pain" not in review
    assert count(app, Measurement) == 0


def test_a_change_that_makes_a_step_incomplete_is_shown_before_anything_is_sent(
        app, client, token):
    # No back pain at first, so no red-flag questions were asked ...
    fill(client, token, answers(pain={"conditions": ["migraine"], "regions": ["temple_l"]},
                                safety={f"red_{f.code}": "" for f in safety.RED_FLAGS}),
         upto="consent")
    # ... then the patient changes the pain step to back pain from the review page.
    client.post("/intake/pain", data=answers()["pain"])
    review = client.get("/intake/review").text
    assert "still need your attention" in review
    response = client.post("/intake/review")
    assert response.status_code == 400
    assert "A few more questions about your back" in response.text
    assert 'aria-invalid="true"' in response.text
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().status == "draft"


def test_review_send_checks_its_csrf_token(make_app, patient_id):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app)
    client, token = _csrf_client(app, patient_id)
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}
    for code in ["about", "pain", "sleep", "health", "safety", "goals", "consent"]:
        fresh = _token_on(client.get(f"/intake/{code}", base_url="https://localhost").text)
        response = client.post(f"/intake/{code}", data=answers()[code] | {"csrf_token": fresh},
                               **https)
        assert response.status_code == 302, code
    response = client.post("/intake/review", data={"csrf_token": "stale"}, **https)
    assert response.status_code == 400 and "press <strong>Send my answers</strong> again" in (
        response.text)
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().status == "draft"
    fresh = _token_on(response.text)
    response = client.post("/intake/review", data={"csrf_token": fresh}, **https)
    assert response.headers["Location"].endswith("/intake/done")


# -- questions that follow an answer (issue 16) ---------------------------------------------------

def test_follow_up_fields_are_in_the_page_without_javascript(client, token):
    fill(client, token, upto="health")
    page = client.get("/intake/safety").text
    assert 'data-show-when="safety_bleeding=yes"' in page
    follow_up = page.split('data-show-when="safety_bleeding=yes"')[1].split("</div>")[0]
    assert "hidden" not in follow_up and 'name="safety_bleeding_detail"' in page


def test_without_javascript_the_region_list_is_the_field_and_the_map_waits(client, token):
    fill(client, token, upto="about")
    page = client.get("/intake/pain").text
    assert re.search(r'class="bodypicker[^"]*" data-bodypicker hidden', page)
    assert "<details" not in page  # the list folds away only where the map works
    assert page.count('name="regions"') == len(body_regions.regions())
    assert "Tick each area where you have pain" in page
    fibro = page.split('<fieldset class="fibro"')[1].split(">")[0]
    assert 'data-show-when="conditions=fibromyalgia"' in fibro and "hidden" not in fibro


def test_a_no_clears_its_follow_up_instead_of_failing(app, client, token):
    fill(client, token, upto="health")
    data = answers(safety={"safety_pregnancy": "no", "safety_pregnancy_detail": "x" * 600,
                           "safety_bleeding": "unsure",
                           "safety_bleeding_detail": "typed under yes, then changed"})["safety"]
    response = client.post("/intake/safety", data=data)
    assert response.status_code == 302  # 600 characters would fail the 500 limit if kept
    kept = draft_of(app)["safety"]
    assert "safety_pregnancy_detail" not in kept and "safety_bleeding_detail" not in kept
    assert "typed under yes" not in client.get("/intake/safety").text
    # A "Yes" keeps its detail, which is checked as before.
    data = answers(safety={"safety_pregnancy": "yes", "safety_pregnancy_detail": "x" * 600}
                   )["safety"]
    response = client.post("/intake/safety", data=data)
    assert response.status_code == 400 and "safety_pregnancy_detail-error" in response.text


def test_pain_follow_ups_apply_only_to_their_condition(app, client, token):
    fill(client, token, answers(pain={"condition_other": "not ticked", "sss_fatigue": "9",
                                      "sss_headaches": "y"}))
    with app.app_context():
        intake = db.session.scalars(select(Intake)).one()
        assert intake.status == "submitted" and intake.condition_other == ""
        assert not db.session.scalars(select(Measurement).where(
            Measurement.instrument == "sss")).first()


def test_a_no_stores_no_detail_with_the_answer(app, client, token):
    from tracker.intake.models import IntakeAnswer
    fill(client, token, answers(safety={"safety_device": "no",
                                        "safety_device_detail": "old typing"}))
    with app.app_context():
        row = db.session.scalars(select(IntakeAnswer).where(
            IntakeAnswer.code == "device")).one()
        assert row.answer == "no" and row.detail == ""
        bleeding = db.session.scalars(select(IntakeAnswer).where(
            IntakeAnswer.code == "bleeding")).one()
        assert bleeding.detail == "warfarin"


# -- answers saved as the patient types (issue 16) ------------------------------------------------

def test_typing_is_saved_on_the_server_without_moving_on(app, client, token):
    fill(client, token, upto="about")
    response = client.post("/intake/pain/save", data={"complaint": "half a sentence",
                                                      "action": "next"})
    assert response.status_code == 200 and response.json == {"saved": True}
    draft = draft_of(app)
    assert draft["pain"]["complaint"] == ["half a sentence"] and "action" not in draft["pain"]
    assert draft["_reached"] == 1  # still on the pain step: nothing checked, nothing skipped
    assert "half a sentence" in client.get("/intake/pain").text
    assert client.get("/intake/sleep").headers["Location"].endswith("/intake/pain")
    # A save landing late from the step before does not move where the link resumes.
    client.post("/intake/about/save", data=answers()["about"])
    assert open_link(client, token).headers["Location"].endswith("/intake/pain")


def test_saving_as_typed_stays_within_the_link(app, make_app, client, token):
    fill(client, token, upto="about")
    stranger = make_app().test_client()  # no cookie: holding the URL is not enough
    response = stranger.post("/intake/pain/save", data={"complaint": "from elsewhere"})
    assert response.status_code == 403 and "complaint" not in response.text
    assert client.post("/intake/goals/save", data={"goals": "ahead"}).status_code == 409
    assert client.post("/intake/nowhere/save", data={}).status_code == 404
    assert "pain" not in draft_of(app) and "goals" not in draft_of(app)
    fill(client, token)
    response = client.post("/intake/pain/save", data={"complaint": "after sending"})
    assert response.status_code == 410 and response.json["saved"] is False
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().complaint != "after sending"


def test_saving_as_typed_on_a_revoked_link_writes_nothing(app, client, token):
    fill(client, token, upto="about")
    with app.app_context():
        db.session.scalars(select(IntakeInvitation)).one().revoked_at = utcnow()
        db.session.commit()
    response = client.post("/intake/pain/save", data={"complaint": "too late"})
    assert response.status_code == 410 and "pain" not in draft_of(app)


def test_saving_as_typed_needs_the_pages_csrf_token(make_app, patient_id):
    app = make_app(WTF_CSRF_ENABLED=True)
    make_user(app)
    client, _ = _csrf_client(app, patient_id)
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}
    page = client.get("/intake/about", base_url="https://localhost").text
    response = client.post("/intake/about/save", data={"family_doctor": "Dr Forged"}, **https)
    assert response.status_code == 400 and response.json["reason"] == "csrf"
    assert "about" not in draft_of(app)
    response = client.post("/intake/about/save", data={
        "family_doctor": "Dr Typed", "csrf_token": _token_on(page)}, **https)
    assert response.status_code == 200
    assert draft_of(app)["about"]["family_doctor"] == ["Dr Typed"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_input_saved_as_typed_never_breaks(app, client, token, data):
    if draft_of(app).get("_reached", 0) < 4:  # once: every step up to safety may be saved
        fill(client, token, upto="health")
    code = data.draw(st.sampled_from(["about", "pain", "safety"]))
    fields = list(answers()[code]) + ["action", "conditions", "csrf_token"]
    payload = {name: data.draw(HOSTILE) for name in fields if data.draw(st.booleans())}
    response = client.post(f"/intake/{code}/save", data=payload)
    assert response.status_code < 500 and response.is_json, payload
    assert count(app, Measurement) == 0


def _csrf_client(app, patient_id):
    from tracker.intake import services
    from tracker.patients.models import Patient
    with app.app_context():
        _, token = services.create_invitation(db.session.get(Patient, patient_id), None, 14)
        db.session.commit()
    client = app.test_client()
    client.get(f"/i/{token}", base_url="https://localhost")
    return client, token


def _token_on(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
