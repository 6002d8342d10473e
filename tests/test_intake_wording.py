"""What a nervous patient reads on the intake (review of the intake on a 360 px phone): urgent
help as soon as an emergency sign is answered, neutral headings, each question asked once and
marked when required, a way to say "none of these", every pain-number conflict at once, one
time estimate and step count, plain region words and the patient's own word for the form."""
import html
import re

import pytest
from flask import render_template
from sqlalchemy import select

from tests.intake_helpers import answers, fill, reception_link
from tracker.clinical import body_regions, safety
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.intake import steps, urgent
from tracker.intake.models import Intake, IntakeInvitation
from tracker.patients import services as patient_services
from tracker.settings.services import get_settings
from tracker.timeutil import utcnow

URGENT = safety.URGENT_HELP[0]  # "... call your emergency number or go to an emergency ..."
MOOD = safety.MOOD_HELP[1]
EMERGENCY_CODES = [f.code for f in safety.RED_FLAGS if f.emergency]


@pytest.fixture
def patient_id(app):
    with app.app_context():
        patient = patient_services.save(None, {
            "given_name": "Dana", "family_name": "Okafor", "email": "dana.okafor@example.net",
            "date_of_birth": __import__("datetime").date(1968, 3, 9), "phone": "07700 900555"})
        db.session.commit()
        return patient.id


@pytest.fixture
def token(client, auth, patient_id):
    return reception_link(client, auth, patient_id, opened=True)


def text(response) -> str:
    return html.unescape(response.text)


def help_box(page: str, kind: str) -> str | None:
    """The opening tag of a help box, or None when the page has none."""
    found = re.search(rf'<section class="help-now help-{kind}"[^>]*>', page)
    return found.group(0) if found else None


# -- 1. urgent help, on the step and after sending ------------------------------------------------

@pytest.mark.parametrize("code", EMERGENCY_CODES)
def test_an_emergency_sign_shows_urgent_help_on_the_step_and_after_sending(
        app, client, token, code):
    data = answers(safety={f"red_{code}": "yes"})
    fill(client, token, data, upto="safety")
    step = text(client.get("/intake/safety"))
    box = help_box(step, "emergency")
    assert box is not None and " hidden" not in box  # shown at once, without a script
    assert URGENT in step and "emergency department now" in step
    # Beside the answers that call for it, before the next questions.
    assert step.index(safety.RED_FLAG_PATIENT_GROUPS["cauda_equina"]) < step.index(URGENT) < \
        step.index(safety.RED_FLAG_PATIENT_GROUPS["not_improving"])
    fill(client, token, data)
    done = text(client.get("/intake/done"))
    assert URGENT in done and safety.URGENT_HELP_TITLE in done
    assert done.index(URGENT) < done.index("<h1>Thank you")  # first, before "we will read them"
    with app.app_context():  # the same answer is the staff's emergency flag
        assert [f.kind for f in db.session.scalars(select(SafetyFlag))
                if f.kind in safety.URGENT_FLAGS] == ["cauda_equina"]


def test_the_help_box_waits_hidden_for_the_answer_when_all_is_well(client, token):
    fill(client, token, upto="safety")
    step = text(client.get("/intake/safety"))
    box = help_box(step, "emergency")
    assert box is not None and " hidden" in box
    # intake.js shows it when any emergency question is answered "yes".
    assert f'data-show-when="{urgent.show_when(safety.EMERGENCY)}"' in box
    assert urgent.show_when(safety.EMERGENCY) == ";".join(
        f"red_{code}=yes" for code in EMERGENCY_CODES)
    fill(client, token)
    assert URGENT not in text(client.get("/intake/done"))


def test_a_fever_is_not_an_emergency_for_the_patient_but_a_red_flag_for_staff(
        app, client, token):
    fill(client, token, answers(safety={"red_fever": "yes", "red_saddle_numbness": "unsure"}))
    assert URGENT not in text(client.get("/intake/done"))
    with app.app_context():
        kinds = sorted(f.kind for f in db.session.scalars(select(SafetyFlag)))
    assert "red_flag" in kinds and "cauda_equina" not in kinds


def test_one_rule_decides_the_staff_flag_and_the_patient_help():
    for flag in safety.RED_FLAGS:
        red = {f.code: "no" for f in safety.RED_FLAGS} | {flag.code: "yes"}
        kinds = [kind for kind, _ in safety.screen_flags({}, None, red)]
        helps = safety.patient_help(red, None)
        assert ("cauda_equina" in kinds) == (safety.EMERGENCY in helps) == flag.emergency
    assert safety.patient_help(None, {"phq2_2": "3"}) == [safety.LOW_MOOD]
    assert safety.patient_help(None, {"phq2_2": "2", "phq2_1": "3"}) == []


def test_an_emergency_answer_in_a_step_no_longer_asked_does_not_alarm(client, token):
    """Red flags answered, then back pain taken off the pain step: no longer asked, not sent."""
    fill(client, token, answers(safety={"red_bladder_bowel": "yes"}), upto="safety")
    client.post("/intake/pain", data=answers(pain={
        "conditions": ["migraine"], "regions": ["temple_l"]})["pain"])
    fill(client, token, answers(pain={"conditions": ["migraine"], "regions": ["temple_l"]},
                                safety={"red_bladder_bowel": "yes"}))
    assert URGENT not in text(client.get("/intake/done"))


def test_low_mood_nearly_every_day_gets_a_gentle_line_on_where_to_get_help(client, token):
    data = answers(sleep={"phq2_2": "3"})
    fill(client, token, data, upto="sleep")
    step = text(client.get("/intake/sleep"))
    box = help_box(step, "low_mood")
    assert box is not None and " hidden" not in box and MOOD in step
    assert "call your emergency number" in MOOD
    assert not re.search(r"\b\d{3}\b", " ".join(safety.MOOD_HELP))  # no invented number
    fill(client, token, data)
    done = text(client.get("/intake/done"))
    assert MOOD in done and URGENT not in done


def test_the_done_page_tells_only_the_browser_that_typed_the_answers(app, client, token):
    fill(client, token, answers(safety={"red_saddle_numbness": "yes"}))
    other = app.test_client()  # another browser holding the link (reception saw it once)
    page = text(other.get(f"/i/{token}", follow_redirects=True))
    assert "Thank you" in page and URGENT not in page


# -- 2. neutral headings for the patient, clinical names for staff --------------------------------

def test_back_questions_are_headed_in_neutral_words(app, client, auth, token):
    fill(client, token, upto="health")
    step = text(client.get("/intake/safety"))
    assert safety.RED_FLAG_PATIENT_HEADING in step
    for clinical in safety.RED_FLAG_GROUPS.values():
        assert clinical not in step
    assert "tumour" not in step.lower() and "cauda" not in step.lower()
    fill(client, token, answers(safety={"red_saddle_numbness": "yes"}))
    auth.login("practitioner")
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    staff = text(client.get(f"/intakes/{intake_id}"))
    assert "Possible cauda equina syndrome" in staff


# -- 3. required questions marked, each asked once -----------------------------------------------

def test_back_questions_are_marked_required_and_cancer_is_asked_once(client, token):
    fill(client, token, upto="health")
    step = client.get("/intake/safety").text
    for flag in safety.RED_FLAGS:
        legend = re.search(rf'<fieldset[^>]*id="red_{flag.code}"[^>]*>\s*<legend>(.*?)</legend>',
                           step, re.S)
        if flag.same_as:
            assert legend is None
            continue
        assert legend and 'class="req"' in legend.group(1), flag.code
    assert step.count("ever had cancer") == 1


@pytest.mark.parametrize(("answer", "kinds"), [
    ("yes", {"cancer", "red_flag"}), ("unsure", {"cancer", "red_flag_unsure"}), ("no", set())])
def test_the_cancer_answer_still_raises_the_back_pain_red_flag(app, client, token, answer,
                                                               kinds):
    data = answers(safety={"safety_cancer": answer, "safety_bleeding": "no",
                           "safety_bleeding_detail": "", "red_cancer_history": ""},
                   health={"medications-0-name": "", "medications-0-dose": "",
                           "medications-0-how_often": ""})
    fill(client, token, data)
    with app.app_context():
        intake = db.session.scalars(select(Intake)).one()
        stored = {(a.kind, a.code): a.answer for a in intake.answers}
        flags = db.session.scalars(select(SafetyFlag)).all()
    assert stored[("red_flag", "cancer_history")] == answer
    assert {f.kind for f in flags} == kinds
    if answer != "no":
        assert any("Have you ever had cancer?" in f.detail for f in flags
                   if f.kind.startswith("red_flag"))


def test_the_cancer_question_is_not_read_back_twice(client, token):
    fill(client, token, answers(safety={"safety_cancer": "yes",
                                        "safety_cancer_detail": "breast, 2015"}), upto="consent")
    page = text(client.get("/intake/review"))
    assert "Have you ever had cancer, or do you have it now?" in page
    assert "Have you ever had cancer?" not in page


# -- 4. "None of these / not sure" --------------------------------------------------------------

def test_none_of_these_answers_the_conditions_question(app, client, token):
    data = answers(pain={"conditions": ["none"], "regions": ["neck"]})
    fill(client, token, data, upto="about")
    page = text(client.get("/intake/pain"))
    assert "None of these / not sure" in page
    response = client.post("/intake/pain", data=data["pain"])
    assert response.status_code == 302
    fill(client, token, data)
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().conditions == []


def test_none_of_these_cannot_be_ticked_with_a_condition(client, token):
    fill(client, token, upto="about")
    response = client.post("/intake/pain", data=answers(pain={
        "conditions": ["none", "migraine"]})["pain"])
    assert response.status_code == 400
    assert "untick one of them" in text(response)
    empty = client.post("/intake/pain", data=answers(pain={"conditions": []})["pain"])
    assert "tick “None of these / not sure”" in text(empty)
    assert "tick “Other”" not in text(empty)


# -- 5. every pain-number conflict at once, beside its field ---------------------------------

def test_pain_numbers_that_disagree_are_all_shown_at_once(client, token):
    fill(client, token, upto="about")
    response = client.post("/intake/pain", data=answers(pain={
        "nrs_worst_week": "5", "nrs_least_week": "7", "nrs_average_week": "9"})["pain"])
    page = text(response)
    assert response.status_code == 400
    least = re.search(r'id="nrs_least_week-error">([^<]*)<', page).group(1)
    average = re.search(r'id="nrs_average_week-error">([^<]*)<', page).group(1)
    assert "least pain (7) is higher than your worst pain (5)" in least
    assert "average pain (9)" in average
    assert "Please check these 2 answers" in page


# -- 6. one time estimate, one step count ---------------------------------------------------

def test_the_message_and_the_first_page_give_the_same_time_and_steps(app, client, token):
    page = text(client.get("/intake/about"))
    assert f"It takes {steps.TIME_ESTIMATE}." in page
    assert f"Step 1 of {steps.PAGES}" in page
    listed = page.split('class="steps"')[1].split("</ol>")[0]
    assert len(re.findall(r"<li[ >]", listed)) == steps.PAGES
    with app.test_request_context():
        invitation = db.session.scalars(select(IntakeInvitation)).one()
        body = render_template("messages/intake_link.txt", patient=invitation.intake.patient,
                               url="https://x/i/t", expires="Fri", clinic=get_settings())
    assert " ".join(body.split()).count(steps.TIME_ESTIMATE) == 1
    assert "ten minutes" not in body
    fill(client, token, upto="consent")
    review = text(client.get("/intake/review"))
    assert f"Step {steps.PAGES} of {steps.PAGES}" in review


# -- 7. plain words ----------------------------------------------------------------------------

def test_regions_are_named_in_plain_words_for_the_patient_only(app, client, auth, token):
    data = answers(pain={"regions": ["shoulder_girdle_r", "lower_back", "hip_l"]})
    fill(client, token, data, upto="about")
    step = text(client.get("/intake/pain"))
    assert "Right shoulder and shoulder blade" in step and "shoulder girdle" not in step.lower()
    assert "trochanter" not in step.lower()
    fill(client, token, data, upto="consent")
    review = text(client.get("/intake/review"))
    assert "Right shoulder and shoulder blade" in review and "shoulder girdle" not in review.lower()
    client.post("/intake/review")
    auth.login("practitioner")
    with app.app_context():
        intake_id = db.session.scalars(select(Intake)).one().id
    assert body_regions.label("shoulder_girdle_r") in text(client.get(f"/intakes/{intake_id}"))


def test_the_expired_page_calls_it_a_questionnaire_as_the_message_does(app, client, token):
    with app.app_context():
        db.session.scalars(select(IntakeInvitation)).one().expires_at = utcnow()
        db.session.commit()
    page = text(client.get(f"/i/{token}"))
    assert "questionnaire" in page and "intake link" not in page.lower()


# -- 9. an email address wraps after its "@", not mid-word ---------------------------------------

def test_an_email_address_may_wrap_only_after_its_at_sign(client, token):
    fill(client, token, answers(about={"email": "dana.okafor@example.net"}), upto="consent")
    page = client.get("/intake/review").text
    assert "dana.okafor@<wbr>example.net" in page
