"""Booking, moving and cancelling a visit as reception does it: a patient in a course is booked
into it, a moved visit keeps its note, a cancellation needs no typed reason (the button says who
cancelled), and the box that books a refused slot anyway names what was found."""
import html
import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from tests import factories
from tests.fault.formdata import form_data
from tracker import clock as clinic_clock
from tracker.extensions import db
from tracker.schedule import services as sched
from tracker.schedule.models import Appointment

NOW = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)  # Wednesday 21 October 2026, 13:00 in London
NOTE = "New patient, lower back"


@pytest.fixture
def clock():
    state = {"now": NOW}
    with clinic_clock.freeze(lambda: state["now"]):
        yield state


@pytest.fixture
def clinic(app, clock):
    """Mei Lin (Tuesdays to Fridays 09:00-17:00), Ana Silva and Ben Okoro."""
    with app.test_request_context():
        mei = factories.practitioner("p1@example.org")
        ana = factories.patient()
        ben = factories.patient("Ben", "Okoro", date(1981, 2, 3))
        sched.set_working_hours(mei.id, {d: [(time(9), time(17))] for d in (1, 2, 3, 4)})
        db.session.commit()
        return {"mei": mei.id, "ana": ana.id, "ben": ben.id}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return clinic_clock.to_utc(day, time(hour, minute))


def book_url(patient_id: int) -> str:
    return f"/schedule/patients/{patient_id}/appointments/new"


def override_label(page: str) -> str:
    match = re.search(r'<input[^>]*name="book_anyway"[^>]*> <span>([^<]*)</span>', page)
    assert match, "no override box on the page"
    return html.unescape(match.group(1))


# --- 1. A patient in a course is booked into it ----------------------------------------------

def test_booking_for_a_patient_in_a_course_is_a_session_of_it_by_default(app, client, auth,
                                                                          clinic):
    with app.test_request_context():
        plan = factories.active_plan(clinic["ana"], clinic["mei"], start_on=date(2026, 10, 22),
                                     sessions_planned=8)
        plan_id = plan.id
        db.session.commit()
    auth.login("reception")
    page = client.get(book_url(clinic["ana"])).text
    data = form_data(page)
    assert data["plan_id"] == str(plan_id)
    assert 'value="0">None (one-off)</option>' in page  # one-off is still there to choose
    response = client.post(book_url(clinic["ana"]), data=data | {
        "practitioner_id": clinic["mei"], "day": "2026-10-23", "start": "14:00",
        "reason": "Extra session"})
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.test_request_context():
        new = db.session.get(Appointment, new_id)
        assert new.plan_id == plan_id
        # Numbered as the course's own sessions are (services.renumber): by time, booked only.
        course = sched.plan_appointments(plan_id)
        assert [a.number for a in course] == list(range(1, 10))
        assert new.number == 2 and sched.session_label(new) == "Session 2 of 8"
        assert sched.progress(new.plan).booked == 9
    assert "Session 2 of 8" in client.get(f"/schedule/appointments/{new_id}").text


def test_the_most_recent_active_plan_is_the_default_and_no_plan_means_one_off(
        app, client, auth, clinic):
    with app.test_request_context():
        factories.plan_row(clinic["ana"], clinic["mei"], start_on=date(2026, 9, 1))
        later = factories.plan_row(clinic["ana"], clinic["mei"], start_on=date(2026, 10, 1))
        factories.plan_row(clinic["ana"], clinic["mei"], start_on=date(2026, 10, 20),
                           status="completed")
        later_id = later.id
        db.session.commit()
    auth.login("reception")
    assert form_data(client.get(book_url(clinic["ana"])).text)["plan_id"] == str(later_id)
    assert form_data(client.get(book_url(clinic["ben"])).text)["plan_id"] == "0"
    # One-off chosen on purpose stays one-off.
    response = client.post(book_url(clinic["ana"]), data={
        "practitioner_id": clinic["mei"], "plan_id": "0", "day": "2026-10-23", "start": "14:00",
        "minutes": "45"})
    assert response.status_code == 302
    with app.app_context():
        appt = db.session.scalars(select(Appointment).where(
            Appointment.patient_id == clinic["ana"])).one()
        assert appt.plan_id is None and appt.number is None


# --- 2. A moved visit keeps its note ----------------------------------------------------------

def test_a_rescheduled_visit_keeps_its_note(app, client, auth, clinic):
    with app.test_request_context():
        appt_id = sched.book(clinic["ana"], clinic["mei"], at(date(2026, 10, 23), 10), 45,
                             reason=NOTE).id
        db.session.commit()
    auth.login("reception")
    url = f"/schedule/appointments/{appt_id}/reschedule"
    data = form_data(client.get(url).text)
    assert data["reason"] == NOTE  # shown in the form, to keep or change
    response = client.post(url, data=data | {"day": "2026-10-27", "start": "14:00"})
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        new = db.session.get(Appointment, new_id)
        assert new.rescheduled_from_id == appt_id and new.reason == NOTE
    assert NOTE in client.get(f"/schedule/appointments/{new_id}").text
    # Changed in the form: the new visit has the new note.
    url = f"/schedule/appointments/{new_id}/reschedule"
    response = client.post(url, data=form_data(client.get(url).text) | {
        "day": "2026-10-28", "reason": "Moved at the patient's request"})
    with app.app_context():
        newest = db.session.get(Appointment, int(response.headers["Location"].rsplit("/", 1)[1]))
        assert newest.reason == "Moved at the patient's request"


def test_moving_a_visit_without_a_reason_keeps_its_note(app, clinic):
    with app.test_request_context():
        appt = sched.book(clinic["ana"], clinic["mei"], at(date(2026, 10, 23), 10), 45,
                          reason=NOTE)
        moved = sched.reschedule(appt, at(date(2026, 10, 27), 14), 45)
        assert moved.reason == NOTE and appt.reason == NOTE
        assert sched.reschedule(moved, at(date(2026, 10, 28), 14), 45, "").reason == ""
        db.session.rollback()


# --- 3. Cancelling needs no typed reason -----------------------------------------------------

@pytest.mark.parametrize("action", ["cancelled_patient", "cancelled_clinic", "late_cancel"])
def test_each_cancel_button_works_without_a_reason_and_keeps_the_note(app, client, auth, clinic,
                                                                      action):
    with app.test_request_context():
        appt_id = sched.book(clinic["ana"], clinic["mei"], at(date(2026, 10, 23), 10), 45,
                             reason=NOTE).id
        db.session.commit()
    auth.login("reception")
    page = client.get(f"/schedule/appointments/{appt_id}").text
    data = form_data(page, f"/schedule/appointments/{appt_id}/action")
    assert '<span class="req"' not in page.split('name="reason"')[0].rsplit("<label", 1)[1]
    response = client.post(f"/schedule/appointments/{appt_id}/action",
                           data=data | {"action": action})
    assert response.status_code == 302
    with app.app_context():
        appt = db.session.get(Appointment, appt_id)
        assert appt.status == action and appt.reason == NOTE
    with app.app_context():  # a reason typed is kept with it
        other = sched.book(clinic["ben"], clinic["mei"], at(date(2026, 10, 23), 11), 45)
        db.session.commit()
        other_id = other.id
    assert client.post(f"/schedule/appointments/{other_id}/action", data={
        "action": action, "reason": "Flu"}).status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, other_id).reason == "Flu"


def test_a_refused_cancellation_keeps_what_was_typed_beside_the_field(app, client, auth,
                                                                      clinic):
    with app.test_request_context():
        appt_id = sched.book(clinic["ana"], clinic["mei"], at(date(2026, 10, 23), 10), 45).id
        db.session.commit()
    auth.login("reception")
    typed = "Away " * 101  # over the 500 characters a reason may have
    response = client.post(f"/schedule/appointments/{appt_id}/action",
                           data={"action": "cancelled_patient", "reason": typed})
    assert response.status_code == 400
    page = response.text
    error = re.search(r'<p class="error" id="reason-error">([^<]*)</p>\s*<textarea([^>]*)>'
                      r'([^<]*)</textarea>', page)
    assert error, "the error is not beside the reason field"
    assert 'aria-describedby="reason-error"' in error.group(2)
    assert html.unescape(error.group(3)).strip() == typed.strip()
    # The address the refused form left in the bar leads back to the appointment.
    back = client.get(f"/schedule/appointments/{appt_id}/action")
    assert back.status_code == 302
    assert back.headers["Location"].endswith(f"/schedule/appointments/{appt_id}")
    with app.app_context():
        assert db.session.get(Appointment, appt_id).status == "scheduled"


# --- 4. The override names what was found -----------------------------------------------------

def test_the_book_anyway_box_names_what_was_found(app, client, auth, clinic):
    with app.test_request_context():
        sched.book(clinic["ben"], clinic["mei"], at(date(2026, 10, 27), 16, 30), 45)
        db.session.commit()
    auth.login("reception")
    base = {"practitioner_id": clinic["mei"], "plan_id": "0", "day": "2026-10-27",
            "minutes": "45"}
    outside = client.post(book_url(clinic["ana"]), data=base | {"start": "08:00"})
    assert outside.status_code == 400
    assert "Outside the practitioner's working hours." in html.unescape(outside.text)
    assert override_label(outside.text) == (
        "Book anyway, even though it is outside the practitioner's working hours")
    clash = client.post(book_url(clinic["ana"]), data=base | {"start": "16:00"})
    assert override_label(clash.text) == "Book anyway, even though it clashes"
    both = client.post(book_url(clinic["ana"]), data=base | {"start": "16:45"})
    assert override_label(both.text) == ("Book anyway, even though it clashes and it is "
                                         "outside the practitioner's working hours")
    booked = client.post(book_url(clinic["ana"]), data=base | {"start": "08:00",
                                                               "book_anyway": "y"})
    assert booked.status_code == 302


def test_the_override_wording_for_each_problem():
    slot = sched.Slot(NOW, 45, ["x"], kinds={"hours", "closed", "clash"})
    assert slot.override == ("Book anyway, even though it clashes, the clinic is closed that "
                             "day and it is outside the practitioner's working hours")
    assert sched.Slot(NOW, 45, ["x"], kinds={"closed"}).override == (
        "Book anyway, even though the clinic is closed that day")
