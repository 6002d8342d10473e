"""Double submits: every create or book form carries a one-time key, so a replay (the same post
sent again after the first finished) and a double tap (two posts at the same instant) create one
row, and the second request is answered with the first one's result, never a 500."""
from datetime import time

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import PASSWORD, Client
from tests.fault.formdata import at_once, form_data
from tracker import clock
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.measurements.models import Measurement
from tracker.patients.models import Patient
from tracker.plans.models import Assessment, PlanVersion, TreatmentPlan
from tracker.schedule.models import Appointment
from tracker.sessions.models import SessionRecord
from tracker.submissions import Submission


@pytest.fixture
def world(app):
    with app.app_context():
        mei = factories.practitioner("mei@example.org")
        factories.user("admin", "boss@example.org")
        ana = factories.patient()
        draft = factories.plan(ana, mei, sessions_planned=6)
        db.session.commit()
        return {"patient": ana.id, "plan": draft.id, "user": mei.id}


def login(app, email: str = "mei@example.org") -> Client:
    app.test_client_class = Client
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _appointment(app, world) -> int:
    with app.app_context():
        start = clock.to_utc(clock.today(), time(11, 0))
        from tracker.schedule import services
        appt = services.book(world["patient"], world["user"], start, 45, None, "")
        db.session.commit()
        return appt.id


# (name, page, action on the page, fields typed, what one submit creates)
def cases(app, world):
    p, plan = world["patient"], world["plan"]
    with app.app_context():
        day = clock.today().fromordinal(clock.today().toordinal() + 1).isoformat()
    return {
        "patient": ("/patients/new", None,
                    {"given_name": "Zoe", "family_name": "Quinn", "date_of_birth": "1980-02-03"},
                    (Patient,)),
        "assessment": (f"/plans/patients/{p}/assessments/new", None,
                       {"western_diagnosis": "Chronic low back pain"}, (Assessment,)),
        "draft plan": (f"/plans/patients/{p}/new", None,
                       {"conditions": "Neck pain", "sessions_planned": "6", "weekdays": "1",
                        "start_time": "10:00"}, (TreatmentPlan,)),
        "appointment": (f"/schedule/patients/{p}/appointments/new", None,
                        {"day": day, "start": "15:00", "book_anyway": "y"}, (Appointment,)),
        "entered score": (f"/reports/patients/{p}/scores/new", None,
                          {"name": "Oswestry", "score": "30", "scale_max": "100"},
                          (Measurement,)),
        "baseline": (f"/reports/patients/{p}/baseline/new", None,
                     {"nrs_now": "6", "nrs_average_week": "6", "nrs_worst_week": "8",
                      "nrs_least_week": "3"}, (Measurement,)),
        "walk-in": (f"/patients/{p}", f"/patients/{p}/sessions/new", {}, (SessionRecord,)),
        "copy plan": (f"/plans/{plan}", f"/plans/{plan}/copy", {}, (TreatmentPlan,)),
        "activate and book": (f"/plans/{plan}/schedule", None, {},
                              (Appointment, Appointment.plan_id == plan)),
    }


NAMES = ["patient", "assessment", "draft plan", "appointment", "entered score", "baseline",
         "walk-in", "copy plan", "activate and book"]


def _prepare(app, world, name):
    page, action, typed, (model, *where) = cases(app, world)[name]
    client = login(app)
    html = client.get(page).text
    data = form_data(html, action, **typed)
    assert data.get("submission_key"), f"{name}: the form carries no submission key"
    return client, (action or page), data, model, where


def _created(app, model, where, before) -> int:
    return count(app, model, *where) - before


@pytest.mark.parametrize("name", NAMES)
def test_a_replayed_post_creates_one_row_and_answers_with_the_first_result(
        app, world, name):
    client, url, data, model, where = _prepare(app, world, name)
    before = count(app, model, *where)
    first = client.post(url, data=data)
    assert first.status_code == 302, (name, first.status_code, first.text[:2000])
    made = _created(app, model, where, before)
    assert made >= 1
    again = client.post(url, data=data)  # a retry after a timeout, a back-and-resend
    assert again.status_code == 302, (name, again.status_code)
    assert again.headers["Location"] == first.headers["Location"]
    assert _created(app, model, where, before) == made, f"{name} was created twice"
    assert "already saved" in client.get(again.headers["Location"]).text
    assert count(app, Submission) == 1


@pytest.mark.parametrize("name", NAMES)
def test_a_double_tap_creates_one_row(app, world, name):
    client, url, data, model, where = _prepare(app, world, name)
    other = login(app)  # the same form sent twice at the same instant
    before = count(app, model, *where)
    first, second = at_once(lambda: client.post(url, data=data),
                            lambda: other.post(url, data=data))
    assert {first.status_code, second.status_code} == {302}, (
        name, first.status_code, second.status_code, first.text[:500], second.text[:500])
    assert first.headers["Location"] == second.headers["Location"]
    made = _created(app, model, where, before)
    # A course is six visits; a baseline is one row per measure answered.
    single = {"activate and book": 6, "baseline": 4}.get(name, 1)
    assert made == single, f"{name}: {made} rows"


def test_activation_from_two_tabs_books_the_course_once(app, world):
    """Two previews of the same draft plan confirmed at once (different keys): one booking."""
    plan = world["plan"]
    tabs = [login(app), login(app)]
    data = [form_data(t.get(f"/plans/{plan}/schedule").text) for t in tabs]
    assert data[0]["submission_key"] != data[1]["submission_key"]
    responses = at_once(*(lambda t=t, d=d: t.post(f"/plans/{plan}/schedule", data=d)
                          for t, d in zip(tabs, data, strict=True)))
    assert [r.status_code for r in responses] == [302, 302]
    assert count(app, Appointment, Appointment.plan_id == plan) == 6
    with app.app_context():
        versions = db.session.scalars(select(PlanVersion.version).where(
            PlanVersion.plan_id == plan)).all()
        assert versions == [1]
        assert db.session.get(TreatmentPlan, plan).status == "active"


def test_activation_sent_again_later_books_nothing_more(app, world):
    plan = world["plan"]
    client = login(app)
    data = form_data(client.get(f"/plans/{plan}/schedule").text)

    def booked():
        with app.app_context():
            return db.session.scalars(select(Appointment.id).where(
                Appointment.plan_id == plan).order_by(Appointment.id)).all()

    assert client.post(f"/plans/{plan}/schedule", data=data).status_code == 302
    first = booked()
    for _ in range(2):
        assert client.post(f"/plans/{plan}/schedule", data=data).status_code == 302
    assert len(first) == 6 and booked() == first  # not even taken off and booked again
    assert count(app, PlanVersion, PlanVersion.plan_id == plan) == 1


def test_a_staff_account_sent_twice_is_made_once_never_a_500(app, world):
    admin, other = login(app, "boss@example.org"), login(app, "boss@example.org")
    data = form_data(admin.get("/users/new").text, "/users/new", display_name="Lee Chan",
                     email="lee@example.org", role="reception", password="a quiet harbour 42",
                     confirm="a quiet harbour 42")
    first, second = at_once(lambda: admin.post("/users/new", data=data),
                            lambda: other.post("/users/new", data=data))
    assert {first.status_code, second.status_code} == {302}, (first.text[:800])
    assert count(app, User, User.email == "lee@example.org") == 1
    # A different form for the same address at the same moment: the form and a message.
    fresh = [form_data(c.get("/users/new").text, "/users/new", display_name="Kim Park",
                       email="kim@example.org", role="reception",
                       password="a quiet harbour 42", confirm="a quiet harbour 42")
             for c in (admin, other)]
    answers = at_once(lambda: admin.post("/users/new", data=fresh[0]),
                      lambda: other.post("/users/new", data=fresh[1]))
    assert 500 not in {r.status_code for r in answers}
    assert count(app, User, User.email == "kim@example.org") == 1


def test_an_appointment_moved_twice_makes_one_new_row(app, world):
    appt = _appointment(app, world)
    client, other = login(app), login(app)
    url = f"/schedule/appointments/{appt}/reschedule"
    data = form_data(client.get(url).text, start="16:30", book_anyway="y")
    first, second = at_once(lambda: client.post(url, data=data),
                            lambda: other.post(url, data=data))
    assert {first.status_code, second.status_code} == {302}
    assert count(app, Appointment, Appointment.status == "scheduled") == 1
    assert count(app, Appointment) == 2


def test_a_post_without_a_key_still_works(app, world):
    """Old pages and scripts: no key, written as before."""
    client = login(app)
    data = form_data(client.get("/patients/new").text, given_name="Zoe", family_name="Quinn",
                     date_of_birth="1980-02-03", submission_key=None)
    assert client.post("/patients/new", data=data).status_code == 302
    assert count(app, Submission) == 0


def test_the_same_closure_day_sent_from_two_pages_answers_with_the_form_not_a_500(app, world):
    from tracker.schedule.models import ClosureDay
    pages = [login(app, "boss@example.org"), login(app, "boss@example.org")]
    with app.app_context():
        day = clock.today().fromordinal(clock.today().toordinal() + 30).isoformat()
    forms = [form_data(p.get("/schedule/closures").text, None, day=day, reason="Training")
             for p in pages]
    answers = at_once(*(lambda p=p, f=f: p.post("/schedule/closures", data=f)
                        for p, f in zip(pages, forms, strict=True)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [302, 400], codes
    refused = next(r for r in answers if r.status_code == 400)
    assert "already marked closed" in refused.text and 'name="day"' in refused.text
    assert count(app, ClosureDay) == 1


def test_keys_older_than_a_day_are_pruned_when_a_new_one_is_stored(app, world):
    from datetime import timedelta

    from tracker.timeutil import utcnow
    with app.app_context():
        db.session.add(Submission(key="old-key-" + "x" * 20, endpoint="patients.create",
                                  result_url="/patients/1",
                                  created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    client, url, data, model, where = _prepare(app, world, "patient")
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        keys = db.session.scalars(select(Submission.key)).all()
    assert keys == [data["submission_key"]]
