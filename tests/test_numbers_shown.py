"""The numbers audit: one figure reads the same on every page. Attendance by one declaration of
its categories and one rate (schedule.services.Attendance); a worse score never a "negative
reduction"; a closed course offers no backdated baseline; the patient page's headline with its
scale; goals written once; one precision on the outcomes dashboard; attendance for every plan."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import make_user
from tracker import clock
from tracker.clinical.outcome_rule import change_text
from tracker.extensions import db
from tracker.plans.models import TreatmentPlan
from tracker.reports import chart, curve, dashboard
from tracker.reports import demo as reports_demo
from tracker.schedule.models import Appointment
from tracker.schedule.services import Attendance


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def course(app):
    """An active course: visits 1-2 attended (pain before needling 2, then 7: 250 % worse),
    visit 3 cancelled with notice, 4 a late cancellation, 5 a no-show; average pain over the
    past week asked at visit 2 only (no baseline for it)."""
    mei = make_user(app, "practitioner", "mei@example.org", display_name="Mei Lin")
    with app.app_context():
        patient = factories.patient("Rosa", "Count")
        plan = factories.plan_row(patient, mei, conditions="Neck pain",
                                  start_on=clock.today() - timedelta(days=20))
        start = clock.now() - timedelta(days=20)
        visits = [factories.appointment(patient, mei, start + timedelta(days=2 * i), plan=plan,
                                        number=i + 1) for i in range(5)]
        factories.signed_session(patient, mei, visits[0], pain_before=2, pain_after=1)
        factories.signed_session(patient, mei, visits[1], pain_before=7, pain_after=6,
                                 reevaluation={"nrs_average_week": 5})
        for appt, status in zip(visits[2:], ("cancelled_patient", "late_cancel", "no_show"),
                                strict=True):
            appt.status = status
        db.session.commit()
        return {"patient_id": patient.id, "plan_id": plan.id}


def summary(client, course, version="clinical"):
    page = client.get(f"/reports/patients/{course['patient_id']}/summary"
                      f"?plan={course['plan_id']}&version={version}")
    assert page.status_code == 200
    return words(page.text)


def close(app, course, status="discontinued"):
    with app.app_context():
        db.session.get(TreatmentPlan, course["plan_id"]).status = status
        db.session.commit()


# --- 1. Attendance: one set of categories, one set of words, one rate --------------------------

def test_a_late_cancellation_reads_the_same_on_the_plan_page_summary_and_patient_page(
        app, client, auth, course):
    auth.login("practitioner", "mei@example.org")
    plan_page = words(client.get(f"/plans/{course['plan_id']}").text)
    for shown in ("2 attended", "1 cancelled with notice", "1 late cancellation", "1 no-show"):
        assert shown in plan_page, shown
    assert "2 cancelled" not in plan_page  # a late cancellation is not counted as cancelled
    said = "planned sessions attended; 1 cancelled with notice; 1 late cancellation; 1 no-show."
    assert said in summary(client, course)
    assert said in summary(client, course, "patient")
    assert "missed without notice" not in summary(client, course, "patient")
    patient_page = words(client.get(f"/patients/{course['patient_id']}").text)
    assert ("2 of 10 attended, 1 cancelled with notice, 1 late cancellation, 1 no-show"
            in patient_page)
    with app.app_context():
        visit = db.session.scalars(select(Appointment).where(
            Appointment.plan_id == course["plan_id"]).order_by(Appointment.id)).first()
    visit_page = words(client.get(f"/schedule/appointments/{visit.id}").text)
    assert ("2 attended, 0 upcoming, 1 cancelled with notice, 1 late cancellation, 1 no-show"
            in visit_page)


def test_the_dashboard_counts_attendance_by_the_summarys_rule(app, client, auth, course):
    with app.app_context():
        d = dashboard.compute()
    # 2 attended of 2 + 1 no-show + 1 late cancellation; the cancellation with notice is out
    assert (d.attended, d.appointments, d.attendance_rate, d.no_show_rate) == (2, 4, 50.0, 25.0)
    assert Attendance.of({"attended": 2, "no_show": 1, "late_cancel": 1,
                          "cancelled_clinic": 1}).rate == 50.0
    auth.login("admin")
    page = words(client.get("/reports/outcomes").text)
    assert "50 %" in page and "2 of 4 appointments" in page
    assert ("attended ÷ (attended + no-shows + late cancellations); cancellations with notice "
            "are not counted") in page


# --- 2. A worse score is an increase, never a negative reduction -------------------------------

def test_a_worse_score_reads_as_an_increase(client, auth, course):
    auth.login("practitioner", "mei@example.org")
    text = summary(client, course)
    assert "baseline 2, latest 7 (250 % increase): Worse than baseline" in text
    assert "-250" not in text and "% reduction" not in text


def test_change_words_at_exact_values():
    assert change_text(-250.0) == "250 % increase"
    assert change_text(-100.0) == "100 % increase"
    assert change_text(57.1) == "57 % reduction"
    assert change_text(0.0) == "0 % change"
    assert change_text(29.6) == "29.6 % reduction"  # the threshold rule of percent_text holds
    assert change_text(40.0, higher_is_better=True) == "40 % increase"   # better sleep
    assert change_text(-40.0, higher_is_better=True) == "40 % reduction"
    assert change_text(None) == ""


# --- 3. A closed course offers no backdated baseline ------------------------------------------

def test_record_a_baseline_only_while_the_course_is_open(app, client, auth, course):
    auth.login("practitioner", "mei@example.org")
    text = summary(client, course)
    assert "No baseline for this course Record one" in text
    close(app, course)
    text = summary(client, course)
    assert "No baseline was recorded for this course" in text
    assert "Record one" not in text
    close(app, course, "on_hold")
    assert "Record one" in summary(client, course)


# --- 4. The patient page's headline: the scale and the direction ------------------------------

def test_patient_page_headline_gives_scale_and_direction(client, auth, course):
    auth.login("practitioner", "mei@example.org")
    page = words(client.get(f"/patients/{course['patient_id']}").text)
    assert "Neck pain: pain now 2 → 7 out of 10 (250 % increase), worse than baseline." in page


# --- 5. A goal is written one way on the plan page and the summary ----------------------------

def test_plan_page_goal_reads_like_the_summary(app, client, auth):
    make_user(app, "practitioner", "mei@example.org", display_name="Mei Lin")
    with app.app_context():
        from tracker.accounts.services import find_by_email
        patient = reports_demo.seed_demo(find_by_email("mei@example.org"))
        ids = patient.id, db.session.scalar(select(TreatmentPlan.id).where(
            TreatmentPlan.patient_id == patient.id))
        db.session.commit()
    auth.login("practitioner", "mei@example.org")
    goal = "Average pain, past 7 days (NRS 0-10) from 6 to 3 or less"
    plan_page = client.get(f"/plans/{ids[1]}")
    assert plan_page.status_code == 200, ids
    plan_page = words(plan_page.text)
    assert goal in plan_page and "6.0" not in plan_page and "3.0" not in plan_page
    page = client.get(f"/reports/patients/{ids[0]}/summary?plan={ids[1]}")
    assert page.status_code == 200, ids
    assert goal in words(page.text)


# --- 6. One precision on the outcomes dashboard -----------------------------------------------

def test_dashboard_chart_and_table_show_the_same_whole_percent():
    svg = str(chart.bar_chart([("Visit 6", 42.9, "3 of 7")], "Responders", "c"))
    assert "43 %" in svg and "42.9 %" not in svg
    step = str(curve.step_chart([(4, 42.9)], 10, "Responded", "k"))
    assert "by visit 4: 43 %" in step
    assert dashboard.interval_text((35.9, 91.8)) == "36–92 %"
    assert dashboard.interval_text((9.5, 90.6)) == "10–91 %"  # no threshold decimal here
    assert dashboard.interval_text(None) == ""


# --- 7. Attendance for every plan on the patient page -----------------------------------------

def test_a_discontinued_plan_shows_its_attendance(app, client, auth, course):
    close(app, course)
    auth.login("practitioner", "mei@example.org")
    page = words(client.get(f"/patients/{course['patient_id']}").text)
    assert "2 of 10 attended, 1 cancelled with notice, 1 late cancellation, 1 no-show" in page
