"""Assessments and treatment plans: validation, prefill, points, activation, versions, roles."""
import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import statements_for
from tracker.extensions import db
from tracker.plans.models import Assessment, PlanVersion, TreatmentPlan
from tracker.schedule.models import Appointment

TODAY = date.today()


def make_patient(app, **extra) -> int:
    with app.app_context():
        patient = factories.patient(**extra)
        db.session.commit()
        return patient.id


def next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


PRACTITIONER = {"id": "1"}


@pytest.fixture(autouse=True)
def _practitioner_id(app):
    """Plans name their practitioner; ids differ between SQLite and PostgreSQL runs."""
    yield
    PRACTITIONER["id"] = "1"


def login(auth, role="practitioner") -> int:
    user_id = auth.login(role)
    if role != "reception":
        PRACTITIONER["id"] = str(user_id)
    return user_id


def plan_data(**changes) -> dict:
    start = next_weekday(TODAY + timedelta(days=1), 1)
    data = {"practitioner_id": PRACTITIONER["id"], "assessment_id": "0",
            "conditions": "Chronic low back pain",
            "patterns": ["kidney-yang-deficiency", "qi-stagnation"], "style": "tcm",
            "variation": "core-plus", "rationale": "Warm the kidney, move qi.",
            "goals-0-description": "Reduce average pain", "goals-0-measure": "nrs_average",
            "goals-0-baseline": "7", "goals-0-target": "4", "goals-0-target_on": "",
            "points-0-point": "UB23", "points-0-side": "bilateral",
            "points-1-point": "LV3", "points-1-side": "left",
            "points-2-point": "Ashi: left trapezius", "points-2-side": "left",
            "points-3-point": "EX-B2", "points-3-side": "bilateral",
            "modalities": ["moxa-indirect"], "remedies-0-kind": "herbal",
            "remedies-0-name": "Du Huo Ji Sheng Tang", "remedies-0-dose": "3 g twice daily",
            "weekdays": ["1", "3"], "interval_weeks": "1", "start_time": "09:30",
            "minutes": "45", "start_on": start.isoformat(), "sessions_planned": "10",
            "end_on": "", "reeval_every": "6"}
    return data | changes


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def text(response) -> str:
    return html.unescape(response.data.decode())


def create_plan(client, patient_id, **changes) -> int:
    response = client.post(f"/plans/patients/{patient_id}/new", data=plan_data(**changes))
    assert response.status_code == 302, text(response)
    return int(re.search(r"/plans/(\d+)$", response.headers["Location"]).group(1))


def test_assessment_recorded_shown_and_prefills_a_plan(app, client, auth):
    user_id = login(auth)
    pid = make_patient(app)
    response = client.post(f"/plans/patients/{pid}/assessments/new", data={
        "assessed_on": TODAY.isoformat(), "western_diagnosis": "Chronic low back pain",
        "icd10": "m54.5", "patterns": ["kidney-yang-deficiency"], "tongue_colour": "pale",
        "tongue_shape": ["teeth-marked"], "coating_colour": "white", "coating_thickness": "thin",
        "coating_quality": ["moist"], "pulse_rate": "slow", "pulse_bpm": "58",
        "pulse_rhythm": "regular", "pulse_qualities": ["deep", "weak"],
        "palpation": "Ashi BL23 bilateral 6/10"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "M54.5" in page and "Kidney yang deficiency (SF97)" in page and "deep (sunken)" in page
    patient_page = text(client.get(f"/patients/{pid}"))
    assert "Assessments and plans" in patient_page and "Chronic low back pain" in patient_page
    form = text(client.get(f"/plans/patients/{pid}/new"))
    assert "Chronic low back pain (M54.5)" in form
    assert re.search(r'value="kidney-yang-deficiency"[^>]*checked|checked[^>]*value="kidney-yang'
                     r'-deficiency"', form)
    with app.app_context():
        stored = db.session.execute(select(Assessment)).scalar_one()
        assert (stored.patient_id, stored.practitioner_id) == (pid, user_id)
        assert (stored.icd10, stored.pulse_bpm, stored.patterns) == (
            "M54.5", 58, ["kidney-yang-deficiency"])
        assert (stored.pulse_qualities, stored.tongue_shape) == (["deep", "weak"],
                                                                 ["teeth-marked"])


@pytest.mark.parametrize("field, value, message", [
    ("assessed_on", "", "Enter the date of the assessment."),
    ("icd10", "back pain", "Enter an ICD-10 code such as M54.5"),
    ("pulse_bpm", "500", "between 20 and 250"),
    ("western_diagnosis", "", "Record a Western diagnosis or at least one TCM pattern."),
    ("tongue_colour", "plaid", "Not a valid choice"),
])
def test_assessment_validation(app, client, auth, field, value, message):
    login(auth)
    pid = make_patient(app)
    data = {"assessed_on": TODAY.isoformat(), "western_diagnosis": "Neck pain",
            "palpation": "Tender GB21 left"} | {field: value}
    response = client.post(f"/plans/patients/{pid}/assessments/new", data=data)
    assert response.status_code == 400
    assert message in text(response)
    assert "Tender GB21 left" in text(response)
    assert count(app, Assessment) == 0


def test_plan_saved_with_points_aliases_free_locations_and_remedies(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid)
    page = text(client.get(f"/plans/{plan_id}"))
    assert "BL23" in page and "Shenshu" in page and "LR3" in page and "Taichong" in page
    assert "Ashi: left trapezius" in page and "EX-B2" in page
    assert "Du Huo Ji Sheng Tang: 3 g twice daily" in page
    assert "Draft" in page and "Activate and book sessions" in page
    assert count(app, Appointment) == 0  # a draft books nothing


def test_midline_points_are_saved_and_shown_as_midline_whatever_the_side(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid, **{
        "points-3-point": "DU4", "points-3-side": "bilateral",   # the form's default side
        "points-4-point": "Ren 6", "points-4-side": "left",      # a side chosen by mistake
        "points-5-point": "EX-HN3 Yintang", "points-5-side": "right"})
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(client.get(f"/plans/{plan_id}"))))
    assert "GV4 Mingmen (midline)" in page and "CV6 Qihai (midline)" in page
    assert "EX-HN3 Yintang (midline)" in page and "BL23 Shenshu (bilateral)" in page
    assert "LR3 Taichong (left)" in page
    with app.app_context():
        plan = db.session.get(TreatmentPlan, plan_id)
        assert [(p.code, p.side) for p in plan.points] == [
            ("BL23", "bilateral"), ("LR3", "left"), (None, "left"), ("GV4", "midline"),
            ("CV6", "midline"), ("EX-HN3", "midline")]
    # The form shows the side it saved, and shows midline at once when it is sent back.
    edit = client.get(f"/plans/{plan_id}/edit").text
    assert re.search(r'name="points-3-side".*?<option selected value="midline"', edit, re.S)
    again = client.post(f"/plans/patients/{pid}/new", data=plan_data(**{
        "points-3-point": "GV20", "points-3-side": "bilateral", "points-1-point": "LI40"}))
    assert again.status_code == 400
    assert re.search(r'name="points-3-side".*?<option selected value="midline"', again.text,
                     re.S)


@pytest.mark.parametrize("changes, message", [
    ({"points-1-point": "LI40"}, "LI40 is not a WHO point code"),
    ({"weekdays": []}, "Choose at least one day."),
    ({"sessions_planned": "", "end_on": ""}, "Give a number of sessions or an end date."),
    ({"end_on": (TODAY + timedelta(days=60)).isoformat()}, "not both"),
    ({"sessions_planned": "0"}, "between 1 and 100 sessions"),
    ({"start_time": "25:00"}, "Not a valid time value"),
    ({"conditions": " "}, "Say which condition(s) this plan treats."),
    ({"goals-0-description": "", "goals-0-target": "3"}, "Say what this goal is"),
    ({"remedies-0-name": ""}, "Name the herb or supplement"),
    ({"reeval_every": "0"}, "between 1 and 50"),
])
def test_plan_validation_keeps_input_and_saves_nothing(app, client, auth, changes, message):
    login(auth)
    pid = make_patient(app)
    response = client.post(f"/plans/patients/{pid}/new", data=plan_data(**changes))
    assert response.status_code == 400
    assert message in text(response)
    assert "Warm the kidney, move qi." in text(response)
    assert count(app, TreatmentPlan) == 0


def test_add_more_rows_saves_nothing(app, client, auth):
    login(auth)
    pid = make_patient(app)
    response = client.post(f"/plans/patients/{pid}/new", data=plan_data(more_rows="1"))
    assert response.status_code == 200
    assert 'name="points-8-point"' in response.data.decode()
    assert count(app, TreatmentPlan) == 0


def test_activation_books_sessions_and_versions_the_plan(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid)
    preview = text(client.get(f"/plans/{plan_id}/schedule"))
    assert "Activate and book 10 sessions" in preview
    assert count(app, Appointment) == 0  # GET changes nothing
    response = client.post(f"/plans/{plan_id}/schedule", data={})
    assert response.status_code == 302
    assert count(app, Appointment) == 10
    with app.app_context():
        plan = db.session.get(TreatmentPlan, plan_id)
        assert plan.status == "active" and plan.version == 1
        numbers = [a.number for a in db.session.execute(
            select(Appointment).order_by(Appointment.starts_at)).scalars()]
        assert numbers == list(range(1, 11))
    page = text(client.get(f"/plans/{plan_id}"))
    assert "Re-evaluation" in page and "10</strong> planned" in page


def test_plan_at_a_date_shows_the_version_then(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid)
    client.post(f"/plans/{plan_id}/schedule", data={})
    with app.app_context():  # pretend version 1 was made a month ago
        version = db.session.execute(select(PlanVersion)).scalar_one()
        version.valid_from = version.valid_from - timedelta(days=30)
        db.session.commit()
    client.post(f"/plans/{plan_id}/edit", data=plan_data(**{"points-0-point": "KI3"}))
    current = text(client.get(f"/plans/{plan_id}"))
    assert "still follow the old plan" not in current  # points changed, not the schedule
    assert "KI3" in current and "BL23" not in current
    then = (TODAY - timedelta(days=10)).isoformat()
    earlier = text(client.get(f"/plans/{plan_id}?at={then}"))
    assert "BL23" in earlier and "KI3" not in earlier and "Version 1" in earlier
    before = text(client.get(f"/plans/{plan_id}?at={(TODAY - timedelta(days=60)).isoformat()}"))
    assert "not yet active on that date" in before
    assert client.get(f"/plans/{plan_id}?at=nonsense").status_code == 200


def test_copy_plan_makes_a_draft(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid)
    response = client.post(f"/plans/{plan_id}/copy")
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    with app.app_context():
        copy = db.session.execute(select(TreatmentPlan).where(
            TreatmentPlan.copied_from_id == plan_id)).scalar_one()
        assert copy.status == "draft" and [p.code for p in copy.points][:2] == ["BL23", "LR3"]
        assert copy.remedies[0].dose == "3 g twice daily"


def test_discontinue_needs_reason_and_removes_future_sessions(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid)
    client.post(f"/plans/{plan_id}/schedule", data={})
    response = client.post(f"/plans/{plan_id}/status", data={"status": "discontinued",
                                                              "reason": ""})
    assert response.status_code == 302
    assert "Give a reason" in text(client.get(response.headers["Location"]))
    assert count(app, Appointment) == 10
    client.post(f"/plans/{plan_id}/status", data={"status": "discontinued",
                                                  "reason": "Moved abroad"})
    with app.app_context():
        plan = db.session.get(TreatmentPlan, plan_id)
        assert plan.status == "discontinued" and plan.status_reason == "Moved abroad"
    assert count(app, Appointment) == 0
    # A discontinued plan is kept as it was.
    assert client.get(f"/plans/{plan_id}/edit").status_code == 302


def test_reception_cannot_read_or_write_clinical_content(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid)
    client.post(f"/plans/{plan_id}/schedule", data={})
    client.post(f"/plans/patients/{pid}/assessments/new", data={
        "assessed_on": TODAY.isoformat(), "western_diagnosis": "Secret diagnosis"})
    auth.logout()
    auth.login("reception")
    for url in (f"/plans/{plan_id}", f"/plans/{plan_id}/edit", f"/plans/patients/{pid}/new",
                f"/plans/patients/{pid}/assessments/new", "/plans/assessments/1",
                f"/plans/{plan_id}/schedule", "/plans/points?q=li"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/plans/{plan_id}/status", data={"status": "on_hold",
                                                         "reason": "x"}).status_code == 403
    page = text(client.get(f"/patients/{pid}"))
    assert "Secret diagnosis" not in page and "Assessments and plans" not in page
    assert "Upcoming appointments" in page
    appt_id = int(re.search(r"/schedule/appointments/(\d+)", page).group(1))
    appt_page = text(client.get(f"/schedule/appointments/{appt_id}"))
    assert "Session 1 of 10" in appt_page
    assert "Shenshu" not in appt_page and "Warm the kidney" not in appt_page
    assert "/plans/" not in appt_page


@pytest.mark.parametrize("at", ["9999-12-31", "0001-01-01", "2026-02-30", "%00"])
def test_plan_as_at_date_survives_extreme_dates(app, client, auth, at):
    login(auth)
    plan_id = create_plan(client, make_patient(app))
    assert client.get(f"/plans/{plan_id}?at={at}").status_code == 200


@pytest.mark.parametrize("changes, message", [
    ({"start_on": "9999-12-31"}, "within two years of today"),
    ({"start_on": "1900-01-01"}, "within two years of today"),
    ({"goals-0-target_on": "9999-12-31"}, "within two years of today"),
])
def test_plan_dates_far_from_today_are_refused(app, client, auth, changes, message):
    login(auth)
    response = client.post(f"/plans/patients/{make_patient(app)}/new", data=plan_data(**changes))
    assert response.status_code == 400 and message in text(response)


def test_changing_the_practitioner_of_an_active_plan_asks_to_regenerate(app, client, auth):
    login(auth)
    pid = make_patient(app)
    plan_id = create_plan(client, pid)
    client.post(f"/plans/{plan_id}/schedule", data={})
    from tests.conftest import make_user
    other = make_user(app, "practitioner", "tomas@example.org", display_name="Tomás Herrera")
    response = client.post(f"/plans/{plan_id}/edit", data=plan_data(practitioner_id=str(other)))
    assert response.headers["Location"].endswith(f"/plans/{plan_id}/schedule")
    assert "still follow the old plan" in text(client.get(f"/plans/{plan_id}"))
    client.post(f"/plans/{plan_id}/schedule", data={})
    assert "still follow the old plan" not in text(client.get(f"/plans/{plan_id}"))
    with app.app_context():
        owners = {a.practitioner_id for a in db.session.execute(select(Appointment)).scalars()}
    assert owners == {other}


def test_new_plan_goals_are_proposed_from_the_intake_and_start_from_the_course_baseline(
        app, client, auth):
    """A scored goal's start is the course's baseline (reports.summary.goal_starts), never a
    number typed on the plan: the form proposes the goals and leaves the box for "Other"."""
    from tracker.measurements import services as measurements
    from tracker.plans.models import PlanGoal
    from tracker.timeutil import utcnow
    login(auth)
    pid = make_patient(app)
    with app.app_context():
        measurements.add(pid, "nrs", 7.0, source="intake", taken_at=utcnow(),
                         time_frame="average_week")
        measurements.add(pid, "peg3", 6.3, source="intake", taken_at=utcnow())
        db.session.commit()
    form = client.get(f"/plans/patients/{pid}/new").data.decode()
    assert re.search(r'name="goals-0-description"[^>]*value="Reduce average pain"', form)
    assert re.search(r'name="goals-1-description"[^>]*value="Less pain interference"', form)
    assert not re.search(r'name="goals-0-baseline"[^>]*value="[^"]', form)
    create_plan(client, pid, **{"goals-1-description": "Minutes walked a day",
                                "goals-1-measure": "other", "goals-1-baseline": "20",
                                "goals-1-target": "60"})
    with app.app_context():
        stored = {g.measure: g.baseline for g in db.session.scalars(select(PlanGoal))}
    assert stored == {"nrs_average": None, "other": 20}  # the typed 7 of plan_data not kept


def test_patient_page_queries_do_not_grow_with_the_number_of_plans(app, client, auth):
    """A patient treated course after course: the page reads all plans' progress at once."""
    user_id = login(auth)
    pid = make_patient(app)

    def statements():
        count, page = statements_for(app, client, f"/patients/{pid}")
        return count, html.unescape(page)

    def booked_plan(weeks_ahead):
        start = next_weekday(TODAY + timedelta(weeks=weeks_ahead), 1)
        with app.test_request_context():
            factories.active_plan(pid, user_id, start_on=start, sessions_planned=4)
            db.session.commit()

    booked_plan(1)
    one, page = statements()
    assert "0 of 4 attended" in page
    for weeks in (4, 8, 12):
        booked_plan(weeks)
    four, page = statements()
    assert page.count("0 of 4 attended") == 4
    assert four == one


def test_plan_page_says_how_many_visits_are_not_at_the_plans_time(app, client, auth):
    """The frequency says 09:30; a visit moved around a clash is at 11:00: the page says so
    rather than letting the two disagree silently. Cancelled visits do not count."""
    from datetime import time as clock_time

    from tracker import clock
    from tracker.schedule.models import Appointment
    user_id = login(auth)
    pid = make_patient(app)
    with app.app_context():
        plan = factories.plan_row(pid, user_id, start_time=clock_time(9, 30))
        day = clock.today() + timedelta(days=3)
        at = [clock.to_utc(day + timedelta(days=7 * i), t) for i, t in enumerate(
            (clock_time(9, 30), clock_time(11, 0), clock_time(14, 0)))]
        for number, when in enumerate(at, start=1):
            factories.appointment(pid, user_id, when, plan=plan, number=number)
        db.session.commit()
        plan_id = plan.id
    page = text(client.get(f"/plans/{plan_id}"))
    assert "2 of these are at another time than the plan's 09:30" in page
    with app.app_context():
        db.session.scalars(select(Appointment).where(
            Appointment.plan_id == plan_id).order_by(Appointment.starts_at.desc())).first() \
            .status = "cancelled_clinic"
        db.session.commit()
    assert "1 of these is at another time than the plan's 09:30" in text(
        client.get(f"/plans/{plan_id}"))
