"""The day view and the agenda, free slots (the booking rules walked along a day) and booking
from a free slot with the form filled in."""
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests import factories
from tracker import clock as clinic_clock
from tracker.extensions import db
from tracker.permissions import ROLE_PERMISSIONS
from tracker.schedule import services as sched
from tracker.schedule.models import Appointment

NOW = datetime(2026, 10, 19, 7, 0, tzinfo=UTC)  # Monday 08:00 in London (BST)
MONDAY = date(2026, 10, 19)
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def clock():
    state = {"now": NOW}
    with clinic_clock.freeze(lambda: state["now"]):
        yield state


@pytest.fixture
def diary(app, clock):
    """Mei Lin works Tuesdays 09:00-12:00 (and no other day); Ana is booked 10:00-10:45."""
    with app.test_request_context():
        mei = factories.practitioner("p1@example.org")
        ana = factories.patient()
        ben = factories.patient("Ben", "Okoro", date(1981, 2, 3))
        sched.set_working_hours(mei.id, {1: [(time(9), time(12))]})
        appt = factories.appointment(ana, mei, clinic_clock.to_utc(TUESDAY, time(10)), minutes=45)
        db.session.commit()
        return {"mei": mei.id, "ana": ana.id, "ben": ben.id, "appt": appt.id}


def starts(app, practitioner_id, day, minutes, after=None) -> list[str]:
    with app.test_request_context():
        return [f"{clinic_clock.local(s):%H:%M}"
                for s in sched.free_starts(practitioner_id, day, minutes, after=after)]


def test_a_slot_ending_at_closing_time_is_free_one_past_it_is_not(app, diary):
    with app.test_request_context():
        db.session.delete(db.session.get(Appointment, diary["appt"]))
        db.session.commit()
    # 60 minutes from 11:00 ends at 12:00, the end of the working span: offered; 11:30 is not.
    assert starts(app, diary["mei"], TUESDAY, 60) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert starts(app, diary["mei"], TUESDAY, 180) == ["09:00"]
    assert starts(app, diary["mei"], TUESDAY, 181) == []


def test_a_booked_appointment_takes_its_time_and_no_more(app, diary):
    # Booked 10:00-10:45: a 60-minute slot may end at 10:00 exactly and start at 11:00.
    assert starts(app, diary["mei"], TUESDAY, 60) == ["09:00", "11:00"]
    assert starts(app, diary["mei"], TUESDAY, 30) == ["09:00", "09:30", "11:00", "11:30"]
    with app.test_request_context():
        db.session.get(Appointment, diary["appt"]).status = "cancelled_patient"
        db.session.commit()
    assert "10:00" in starts(app, diary["mei"], TUESDAY, 30)  # a cancelled visit frees it


def test_closure_days_and_days_off_have_no_free_slot(app, client, auth, diary):
    assert starts(app, diary["mei"], MONDAY, 30) == []  # not a working day
    with app.test_request_context():
        sched.close_day(TUESDAY, "Training")
        db.session.commit()
    assert starts(app, diary["mei"], TUESDAY, 30) == []
    auth.login("reception")
    page = client.get(f"/schedule/day?practitioner={diary['mei']}&day=2026-10-20").text
    assert "The clinic is closed: Training." in page and "free-slot" not in page


def test_every_start_shown_free_is_one_the_booking_check_accepts(app, diary):
    with app.test_request_context():
        free = set(sched.free_starts(diary["mei"], TUESDAY, 45))
        begin = clinic_clock.to_utc(TUESDAY, time(8))
        grid = [begin + timedelta(minutes=30 * i) for i in range(10)]  # 08:00 .. 12:30
        for start in grid:
            assert sched.check(diary["mei"], None, [start], 45)[0].ok == (start in free), start


def test_slots_already_past_are_not_offered(app, diary, clock):
    with app.test_request_context():
        clock["now"] = clinic_clock.to_utc(TUESDAY, time(9, 10))
        shown = [f"{clinic_clock.local(s):%H:%M}" for s in sched.free_starts(
            diary["mei"], TUESDAY, 30, after=clinic_clock.now())]
    assert shown == ["09:30", "11:00", "11:30"]


# -- pages ----------------------------------------------------------------------------------------

def free_links(html: str) -> list[tuple[str, str]]:
    return [(m.group(2), m.group(1).replace("&amp;", "&")) for m in re.finditer(
        r'<a class="free-slot" href="([^"]+)"><span class="appt-time">([0-9:]+)</span>', html)]


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_day_view_lists_appointments_and_free_slots_in_time_order(app, client, auth, diary,
                                                                    role):
    auth.login(role)
    response = client.get(f"/schedule/day?practitioner={diary['mei']}&day=2026-10-20")
    assert response.status_code == 200
    page = response.text
    links = free_links(page)
    assert [t for t, _ in links] == ["09:00", "11:00"]  # 45 minutes: 09:30 would clash
    assert page.index(">09:00<") < page.index("10:00–10:45") < page.index(">11:00<")
    assert "Ana Silva" in page
    assert links[0][1] == (f"/schedule/book?practitioner={diary['mei']}&day=2026-10-20"
                           f"&start=09:00&minutes=45")
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page


def test_a_practitioners_day_opens_on_their_own_diary(app, client, auth, diary):
    client.post("/login", data={"email": "p1@example.org",
                                "password": factories.PASSWORD})
    page = client.get("/schedule/day?day=2026-10-20").text
    assert "Mei Lin: Tue" in page and "Ana Silva" in page


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-13-01", "x" * 500])
def test_day_and_agenda_survive_bad_dates(app, client, auth, diary, day):
    auth.login("admin")
    for url in (f"/schedule/day?day={day}", f"/schedule/agenda?start={day}",
                f"/schedule/day?practitioner={diary['mei']}&day={day}&minutes=30"):
        assert client.get(url).status_code == 200, url
    assert client.get("/schedule/day?minutes=5").status_code == 404
    assert client.get("/schedule/day?practitioner=abc").status_code == 404


def test_agenda_groups_upcoming_appointments_by_day(app, client, auth, diary):
    with app.test_request_context():
        other = factories.practitioner("p2@example.org", display_name="Sam Roy")
        factories.appointment(diary["ben"], other, clinic_clock.to_utc(MONDAY, time(15)))
        factories.appointment(diary["ben"], diary["mei"],
                              clinic_clock.to_utc(TUESDAY + timedelta(days=2), time(9)))
        factories.appointment(diary["ben"], diary["mei"],  # after the fortnight shown
                              clinic_clock.to_utc(MONDAY + timedelta(days=14), time(9)))
        sched.close_day(MONDAY + timedelta(days=4), "Bank holiday")
        db.session.commit()
    auth.login("reception")  # the whole clinic by default
    page = client.get("/schedule/agenda").text
    headings = re.findall(r'<h2 id="d-([0-9-]+)">', page)
    assert headings == ["2026-10-19", "2026-10-20", "2026-10-22", "2026-10-23"]
    assert "with Sam Roy" in page and "with Mei Lin" in page
    assert "The clinic is closed: Bank holiday." in page
    assert "2026-11-02" not in headings
    later = client.get("/schedule/agenda?practitioner=0&start=2026-11-02").text
    assert re.findall(r'<h2 id="d-([0-9-]+)">', later) == ["2026-11-02"]
    mine = client.get(f"/schedule/agenda?practitioner={diary['mei']}").text
    assert re.findall(r'<h2 id="d-([0-9-]+)">', mine) == ["2026-10-20", "2026-10-22",
                                                           "2026-10-23"]  # not Sam's Monday
    assert "with Sam Roy" not in mine and "Ana Silva" in mine


def test_booking_from_a_free_slot_fills_the_form_and_books_it(app, client, auth, diary):
    auth.login("reception")
    day = client.get(f"/schedule/day?practitioner={diary['mei']}&day=2026-10-20").text
    href = dict(free_links(day))["11:00"]
    chooser = client.get(href + "&q=okoro").text
    match = re.search(r'<a class="choose" href="([^"]+)"><strong>Ben Okoro</strong>', chooser)
    assert match
    form_url = match.group(1).replace("&amp;", "&")
    form = client.get(form_url).text
    assert 'value="2026-10-20"' in form and 'value="11:00"' in form and 'value="45"' in form
    assert re.search(rf'<option[^>]*value="{diary["mei"]}"[^>]*selected', form) or re.search(
        rf'<option selected[^>]*value="{diary["mei"]}"', form)
    response = client.post(form_url, data={"practitioner_id": diary["mei"], "plan_id": 0,
                                           "day": "2026-10-20", "start": "11:00",
                                           "minutes": 45})
    assert response.status_code == 302
    with app.app_context():
        booked = db.session.scalars(db.select(Appointment).where(
            Appointment.patient_id == diary["ben"])).one()
        assert clinic_clock.local(booked.start_utc).strftime("%Y-%m-%d %H:%M") == \
            "2026-10-20 11:00" and booked.practitioner_id == diary["mei"]
    after = client.get(f"/schedule/day?practitioner={diary['mei']}&day=2026-10-20").text
    assert [t for t, _ in free_links(after)] == ["09:00"]  # 11:00 is taken now


def test_a_free_slot_chosen_for_a_patient_goes_straight_to_their_booking(app, client, auth,
                                                                          diary):
    auth.login("practitioner")
    page = client.get(f"/schedule/day?practitioner={diary['mei']}&day=2026-10-20"
                      f"&patient={diary['ben']}").text
    assert "Choosing a time for <strong>Ben Okoro</strong>" in page
    href = dict(free_links(page))["09:00"]
    assert href.startswith(f"/schedule/patients/{diary['ben']}/appointments/new?")
    assert client.get("/schedule/day?patient=999999").status_code == 404


def test_bad_slot_links_are_not_found_and_bad_prefill_falls_back(app, client, auth, diary):
    auth.login("reception")
    for query in ("practitioner=999&day=2026-10-20&start=09:00",
                  f"practitioner={diary['mei']}&day=2026-10-20&start=25:00",
                  f"practitioner={diary['mei']}&day=2026-10-20"):
        assert client.get(f"/schedule/book?{query}").status_code == 404, query
    form = client.get(f"/schedule/patients/{diary['ben']}/appointments/new"
                      f"?day=nonsense&start=9am&practitioner=12345").text
    assert 'value="2026-10-20"' in form  # tomorrow, the form's own default


def test_the_week_grid_gives_way_to_day_and_agenda_on_a_phone(app, client, auth, diary):
    auth.login("practitioner")
    for url in (f"/schedule/week?practitioner={diary['mei']}", "/schedule/clinic"):
        page = client.get(url).text
        assert 'class="table-wrap wide-only"' in page
        assert 'class="narrow-only grid-instead card"' in page
        assert "/schedule/day?" in page and "/schedule/agenda?" in page
        assert "css/schedule.css" in page
    # What a phone then shows is measured in tests/browser/test_schedule_phone.py.


def test_agenda_opens_on_a_practitioners_own_diary_and_on_the_clinic_for_others(
        app, client, auth, diary):
    with app.test_request_context():
        other = factories.practitioner("p2@example.org", display_name="Sam Roy")
        factories.appointment(diary["ben"], other, clinic_clock.to_utc(TUESDAY, time(15)))
        db.session.commit()
    client.post("/login", data={"email": "p1@example.org", "password": factories.PASSWORD})
    mine = client.get("/schedule/agenda").text
    assert "Mei Lin: agenda" in mine and "Ana Silva" in mine and "Ben Okoro" not in mine
    assert "Ben Okoro" in client.get("/schedule/agenda?practitioner=0").text  # everyone
    client.post("/logout")
    for role in ("admin", "reception"):
        auth.login(role)
        page = client.get("/schedule/agenda").text
        assert "Whole clinic: agenda" in page and "Ana Silva" in page and "Ben Okoro" in page
        auth.logout()
