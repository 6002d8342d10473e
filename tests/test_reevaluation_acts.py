"""Re-evaluation that acts (issue 15, item 3): the last visit of a course collects the outcome
set; the decision signed at a re-evaluation drives the plan (discharge completes it and shows
the discharge summary, refer produces a referral letter as HTML and PDF, modify opens the plan's
next version) and appears in the summary, the CSV and the FHIR bundle."""
import csv
import io
import re
from datetime import date, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests import factories
from tests.test_sessions import payload
from tracker import clock
from tracker.extensions import db
from tracker.plans.models import TreatmentPlan
from tracker.schedule import services as schedule
from tracker.schedule.models import Appointment
from tracker.sessions.models import SessionRecord

OUTCOME = {"nrs_average_week": "4", "nrs_worst_week": "6", "peg_enjoyment": "3",
           "peg_activity": "5", "sleep": "7", "pgic": "2", "medication_days": "1"}


@pytest.fixture
def course(app, auth):
    """A ten-visit plan re-evaluated every sixth: visits 1-9 signed, visit 10 today, and one
    more visit booked next week (the course ran over)."""
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient("Ines", "Moreau", date(1968, 3, 4),
                                    referring_physician="Dr Paul Okafor")
        plan = factories.plan_row(patient, user_id, sessions_planned=10, reeval_every=6,
                                  start_on=clock.today() - timedelta(days=40))
        for n in range(1, 10):
            visit = factories.appointment(patient, user_id,
                                          clock.now() - timedelta(days=40 - 4 * n),
                                          plan=plan, number=n)
            factories.signed_session(patient, user_id, visit, pain_before=7 - n // 3)
        last = factories.appointment(patient, user_id, plan=plan, number=10)
        later = factories.appointment(patient, user_id, clock.now() + timedelta(days=7),
                                      plan=plan, number=11)
        db.session.commit()
        return {"patient": patient.id, "plan": plan.id, "last": last.id, "later": later.id}


def sign_last_visit(client, course, decision, notes=""):
    response = client.post(f"/appointments/{course['last']}/session")
    session_id = int(re.search(r"/sessions/(\d+)/edit", response.headers["Location"]).group(1))
    page = client.get(f"/sessions/{session_id}/edit").text
    assert "Re-evaluation: outcome measures" in page  # the discharge visit asks for the set
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, **OUTCOME, reeval_decision=decision, reeval_notes=notes, action="sign"))
    assert response.status_code == 302, response.text
    return session_id, response.headers["Location"]


def test_the_last_visit_of_a_course_is_a_reevaluation(app):
    with app.app_context():
        user = factories.practitioner()
        patient = factories.patient()
        plan = factories.plan_row(patient, user, sessions_planned=10, reeval_every=6)
        visits = {n: factories.appointment(patient, user, plan=plan, number=n)
                  for n in (5, 6, 9, 10)}
        assert {n: schedule.is_reeval(a) for n, a in visits.items()} == {
            5: False, 6: True, 9: False, 10: True}
        assert factories.opened_session(visits[10], user).is_reevaluation
        # A plan with an end date and no session count keeps its rhythm only.
        plan.sessions_planned = None
        assert not schedule.is_reeval(visits[10]) and schedule.is_reeval(visits[6])


def test_the_plan_page_marks_the_discharge_visit(app, client, course):
    page = client.get(f"/plans/{course['plan']}").text
    assert page.count("Re-evaluation</span>") >= 2  # visit 6 (attended) and visit 10


def test_discharge_completes_the_plan_and_offers_the_discharge_summary(app, client, course):
    session_id, location = sign_last_visit(client, course, "discharge", "Goals met.")
    assert location.endswith(f"/reports/patients/{course['patient']}/summary?plan="
                             f"{course['plan']}")
    with app.app_context():
        plan = db.session.get(TreatmentPlan, course["plan"])
        assert plan.status == "completed"
        assert plan.status_reason == "Discharged at the re-evaluation of session 10: Goals met."
        later = db.session.get(Appointment, course["later"])  # off the diary
        assert later is None or later.status != "scheduled"
    page = client.get(location).text
    assert "Discharged: the plan is completed" in page
    assert "Re-evaluations and decisions" in page and "Discharge</strong>. Goals met." in page


def test_refer_produces_a_referral_letter_as_html_and_pdf(app, client, course):
    session_id, location = sign_last_visit(client, course, "refer",
                                           "Night pain and weight loss: please assess.")
    assert location.endswith(f"/reports/patients/{course['patient']}/referral?session="
                             f"{session_id}")
    page = client.get(location)
    assert page.status_code == 200
    assert "Referral letter" in page.text and "Dr Paul Okafor" in page.text
    assert "Night pain and weight loss: please assess." in page.text
    assert "Average pain, past 7 days (NRS 0-10): 4" in page.text
    assert "Treatment summary" in page.text  # the course's summary follows the letter
    pdf = client.get(f"/reports/patients/{course['patient']}/referral.pdf?session={session_id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "referral-moreau" in pdf.headers["Content-Disposition"]
    with app.app_context():  # referring does not end the plan
        assert db.session.get(TreatmentPlan, course["plan"]).status == "active"
    # Only a signed re-evaluation that referred has a letter.
    with app.app_context():
        other = db.session.scalar(db.select(SessionRecord.id).where(
            SessionRecord.plan_id == course["plan"], SessionRecord.number == 3))
    assert client.get(f"/reports/patients/{course['patient']}/referral?session={other}"
                      ).status_code == 404
    assert client.get(f"/reports/patients/{course['patient']}/referral").status_code == 404


def test_modify_opens_the_plans_next_version(app, client, course):
    _, location = sign_last_visit(client, course, "modify")
    assert location.endswith(f"/plans/{course['plan']}/edit")
    assert "saving it here makes its next version" in client.get(location).text


def test_continue_changes_nothing(app, client, course):
    _, location = sign_last_visit(client, course, "continue")
    assert "/dashboard" in location or location.endswith("/")
    with app.app_context():
        assert db.session.get(TreatmentPlan, course["plan"]).status == "active"


def test_the_decision_appears_in_summary_csv_and_fhir(app, client, auth, course):
    session_id, _ = sign_last_visit(client, course, "refer", "Red flags: see letter.")
    summary = client.get(f"/reports/patients/{course['patient']}/summary?plan={course['plan']}")
    assert "Session 10" in summary.text and "Refer</strong>. Red flags: see letter." in \
        summary.text
    pdf = client.get(f"/reports/patients/{course['patient']}/summary.pdf?plan={course['plan']}")
    assert pdf.status_code == 200
    auth.logout()
    auth.login("admin")
    table = list(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    decisions = {r["session_number"]: r["reeval_decision"] for r in table
                 if r["plan_id"] == str(course["plan"])}
    assert decisions["10"] == "refer" and decisions["9"] == "" and decisions["6"] == ""
    research = list(csv.DictReader(io.StringIO(
        client.get("/exports/sessions.csv?pseudonymised=1").text)))
    assert "refer" in {r["reeval_decision"] for r in research}
    bundle = client.get(f"/exports/patients/{course['patient']}/fhir.json").json
    Bundle.model_validate(bundle) if hasattr(Bundle, "model_validate") else Bundle.parse_obj(
        bundle)
    found = [e["resource"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "Observation"
             and e["resource"]["code"]["coding"][0]["code"] == "reeval-decision"]
    assert len(found) == 1
    value = found[0]["valueCodeableConcept"]["coding"][0]
    assert (value["code"], value["display"]) == ("refer", "Refer")
    assert found[0]["note"] == [{"text": "Red flags: see letter."}]
