"""Review fixes: a plan goal starts from the course's baseline (never a second number), a red-flag
patient's flags on the plan pages, the dashboard's intake card total and ending-soon rows."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import make_user
from tracker import clock
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.intake.models import Intake
from tracker.plans.models import PlanGoal, TreatmentPlan
from tracker.reports import demo as reports_demo
from tracker.templating import date_text


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


# --- 1. A goal's "from" is the course's baseline ---------------------------------------------

@pytest.fixture
def course(app):
    """The demo course (intake: average pain 6, worst 8), its goal's typed baseline set to 8:
    the number of another measure, as the demo seed used to write."""
    make_user(app, "practitioner", "mei@example.org", display_name="Mei Lin")
    with app.app_context():
        from tracker.accounts.services import find_by_email
        patient = reports_demo.seed_demo(find_by_email("mei@example.org"))
        plan_id = db.session.scalar(select(TreatmentPlan.id).where(
            TreatmentPlan.patient_id == patient.id))
        goal = db.session.scalars(select(PlanGoal).where(PlanGoal.plan_id == plan_id)).one()
        goal.baseline = 8.0
        db.session.commit()
        return {"patient_id": patient.id, "plan_id": plan_id}


@pytest.mark.parametrize("version", ["clinical", "patient"])
def test_summary_goal_starts_from_the_course_baseline_its_table_shows(client, auth, course,
                                                                      version):
    auth.login("practitioner", "mei@example.org")
    page = client.get(f"/reports/patients/{course['patient_id']}/summary"
                      f"?plan={course['plan_id']}&version={version}")
    assert page.status_code == 200
    text = words(page.text)
    goal = re.search(r"Walk the dog for an hour: [^<]*?from (\d+) to 3", text)
    assert goal, text[:3000]
    assert goal.group(1) == "6"  # the intake's average pain, the table's baseline; not 8
    assert "from 8 to 3" not in text


def test_plan_page_goal_shows_the_course_baseline(client, auth, course):
    auth.login("practitioner", "mei@example.org")
    text = words(client.get(f"/plans/{course['plan_id']}").text)
    assert ("Walk the dog for an hour: Average pain, past 7 days (NRS 0-10) "
            "from 6 to 3 or less") in text
    assert "baseline 8" not in text


def test_goal_without_a_course_baseline_says_so(app, client, auth):
    user_id = auth.login("practitioner", "nob@example.org")
    with app.app_context():
        patient = factories.patient("Nora", "Base")
        plan = factories.plan(patient, user_id, goals=[
            {"description": "Less pain", "measure": "nrs_average", "baseline": 8.0,
             "target": 3.0, "target_on": None}])
        db.session.commit()
        ids = patient.id, plan.id
    text = words(client.get(f"/reports/patients/{ids[0]}/summary?plan={ids[1]}").text)
    assert re.search(r"Less pain: Average pain, past 7 days[^<]*? to 3 or less "
                     r"\(no baseline for this course\)", text), text[:3000]
    assert "from 8" not in text
    plan_text = words(client.get(f"/plans/{ids[1]}").text)
    assert "to 3 or less (no baseline for this course yet)" in plan_text
    assert "baseline 8" not in plan_text


def test_demo_seed_writes_no_second_baseline(app):
    """The demo's plans leave the goal's typed baseline empty: the course has its own."""
    with app.app_context():
        import random

        from tracker.schedule import demo as schedule_demo
        pr = factories.practitioner("seed@example.org")
        patients = [factories.patient("Seed", f"P{i}", primary_practitioner_id=pr.id)
                    for i in range(2)]
        assert schedule_demo.seed_demo(random.Random(3), patients, [pr]) == 1
        goals = db.session.scalars(select(PlanGoal)).all()
        assert goals and all(g.baseline is None for g in goals)


# --- 2. The patient's flags on the plan pages --------------------------------------------------

def test_plan_and_activate_pages_show_the_patients_safety_flags(app, client, auth):
    user_id = auth.login("practitioner", "flags@example.org")
    with app.app_context():
        patient = factories.patient("Rita", "Flag")
        db.session.add_all([
            SafetyFlag(patient_id=patient.id, kind="red_flag", detail="Night pain, weight loss"),
            SafetyFlag(patient_id=patient.id, kind="bleeding_risk", detail="Apixaban 5 mg"),
            SafetyFlag(patient_id=patient.id, kind="epilepsy", active=False)])
        plan = factories.plan(patient, user_id)
        db.session.commit()
        plan_id = plan.id
    for url in (f"/plans/{plan_id}", f"/plans/{plan_id}/schedule"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'aria-label="Safety flags"' in page.text, url
        text = words(page.text)
        assert "Back pain red flag: refer for medical assessment" in text, url
        assert "Night pain, weight loss" in text
        assert "Bleeding risk: bleeding disorder or blood thinners" in text, url
        assert "Apixaban 5 mg" in text
        assert "Epilep" not in text  # resolved flags are not shown
        # The urgent one first, drawn as urgent (the session form's partial).
        assert page.text.index("alert-urgent") < page.text.index("Bleeding risk")


# --- 3. The dashboard ---------------------------------------------------------------------------

def test_intake_card_says_how_many_more_than_it_lists(app, client, auth):
    auth.login("practitioner", "intakes@example.org")
    with app.app_context():
        for i in range(9):
            patient = factories.patient("Waiting", f"Number{i}")
            db.session.add(Intake(patient_id=patient.id, status="submitted",
                                  submitted_at=datetime.now(UTC) - timedelta(hours=i)))
        db.session.commit()
    page = client.get("/")
    text = words(page.text)
    assert re.search(r"Intakes\s*<span class=\"badge nav-count\">.*?9", page.text, re.S)
    assert "1 more waiting: All 9 intakes awaiting review" in text
    assert text.count("Waiting Number") == 8


def test_intake_card_without_more_says_no_more(app, client, auth):
    auth.login("practitioner", "few@example.org")
    with app.app_context():
        patient = factories.patient("Only", "One")
        db.session.add(Intake(patient_id=patient.id, status="submitted",
                              submitted_at=datetime.now(UTC)))
        db.session.commit()
    text = words(client.get("/").text)
    assert "All intakes awaiting review" in text
    assert "more waiting" not in text


def test_ending_soon_rows_say_sessions_left_or_end_date(app, client, auth):
    user_id = auth.login("practitioner", "ending@example.org")
    with app.app_context():
        by_count = factories.plan_row(factories.patient("Carla", "Count"), user_id,
                                      sessions_planned=10)
        factories.appointment(by_count.patient_id, user_id, clock.now() + timedelta(days=2),
                              plan=by_count, number=10, status="scheduled")
        last = factories.plan_row(factories.patient("Lena", "Last"), user_id,
                                  sessions_planned=6)
        ends = clock.today() + timedelta(days=5)
        factories.plan_row(factories.patient("Dora", "Date"), user_id, sessions_planned=None,
                           end_on=ends)
        db.session.commit()
        assert last.id
        ends_text = date_text(ends)
    text = words(client.get("/").text)
    assert "Carla Count 1 session left" in text
    assert "Lena Last no sessions left booked" in text
    assert f"Dora Date ends {ends_text}" in text
