"""The clinic clock: the clinic's day, not the server's, wherever "today" is meant.

At 20:00 UTC on Friday 4 December it is already 09:00 on Saturday 5 December in Auckland; at
03:00 UTC on Saturday 5 December it is still 19:00 on Friday 4 December in Los Angeles. Each
test freezes the clock at one of these instants, so the server's UTC date differs from the
clinic's by design, whatever day the suite runs on."""
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from wtforms.validators import ValidationError

from tracker import clock
from tracker.extensions import db
from tracker.forms import birth_date_check, not_in_future
from tracker.patients import services as patient_services
from tracker.patients.models import Patient
from tracker.plans.forms import assessed_on_check
from tracker.schedule import recurrence
from tracker.schedule import services as schedule

AUCKLAND_MORNING = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # Sat 5 Dec 09:00 NZDT (+13)
LA_EVENING = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # Fri 4 Dec 19:00 PST (-8)
SAT, FRI = date(2026, 12, 5), date(2026, 12, 4)


@pytest.fixture
def auckland(make_app):
    return make_app(CLINIC_TIME_ZONE="Pacific/Auckland")


@pytest.fixture
def los_angeles(make_app):
    return make_app(CLINIC_TIME_ZONE="America/Los_Angeles")


@contextmanager
def at(app, instant):
    """Inside the app at a frozen instant."""
    with app.app_context(), clock.freeze(instant):
        yield


def login(app, role="admin"):
    from tests.conftest import Auth, Client
    app.test_client_class = Client
    client = app.test_client()
    Auth(app, client).login(role)
    return client


def field(value):
    return SimpleNamespace(data=value)


def test_today_is_the_clinics_date_on_both_sides_of_utc(auckland, los_angeles):
    with at(auckland, AUCKLAND_MORNING):
        assert clock.now() == AUCKLAND_MORNING and clock.now().utcoffset() == timedelta(0)
        assert clock.zone().key == "Pacific/Auckland"
        assert AUCKLAND_MORNING.date() == FRI and clock.today() == SAT
        assert clock.local(AUCKLAND_MORNING).strftime("%a %H:%M") == "Sat 09:00"
        assert clock.local(AUCKLAND_MORNING.replace(tzinfo=None)).hour == 9  # naive means UTC
        assert clock.local_date(AUCKLAND_MORNING) == SAT
        assert clock.to_utc(SAT, time(9, 0)) == AUCKLAND_MORNING
        assert clock.day_bounds(SAT) == (datetime(2026, 12, 4, 11, tzinfo=UTC),
                                         datetime(2026, 12, 5, 11, tzinfo=UTC))
    with at(los_angeles, LA_EVENING):
        assert LA_EVENING.date() == SAT and clock.today() == FRI
        assert clock.day_start(FRI) == datetime(2026, 12, 4, 8, tzinfo=UTC)


def test_a_clinic_day_is_23_or_25_hours_on_a_daylight_saving_change(auckland):
    with at(auckland, AUCKLAND_MORNING):
        start, end = clock.day_bounds(date(2027, 4, 4))  # NZ daylight saving ends
        assert end - start == timedelta(hours=25)
    start, end = clock.day_bounds(date(2027, 3, 14), ZoneInfo("America/Los_Angeles"))
    assert end - start == timedelta(hours=23)  # US daylight saving starts


def test_the_seam_moves_every_helper_and_restores_the_real_clock(auckland):
    state = {"now": AUCKLAND_MORNING}
    with auckland.app_context(), clock.freeze(lambda: state["now"]):
        assert schedule.now() == AUCKLAND_MORNING and schedule.today() == SAT
        state["now"] += timedelta(hours=16)  # 01:00 on Sunday in Auckland
        assert clock.today() == date(2026, 12, 6) == schedule.today()
        with clock.freeze(LA_EVENING):  # nested: the inner one wins, then unwinds
            assert clock.now() == LA_EVENING
        assert clock.now() == AUCKLAND_MORNING + timedelta(hours=16)
    assert recurrence.to_utc is clock.to_utc and recurrence.local is clock.local
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    with pytest.raises(ValueError, match="aware"), clock.freeze(datetime(2026, 12, 4, 20, 0)):
        pass


def test_not_in_the_future_means_after_the_clinics_today(auckland, los_angeles):
    checks = [birth_date_check, not_in_future, assessed_on_check]
    with at(auckland, AUCKLAND_MORNING):  # the server's date is Friday, the clinic's Saturday
        for check in checks:
            check(None, field(SAT))
            with pytest.raises(ValidationError, match="future"):
                check(None, field(SAT + timedelta(days=1)))
    with at(los_angeles, LA_EVENING):  # the server's date is Saturday, the clinic's Friday
        for check in checks:
            check(None, field(FRI))
            with pytest.raises(ValidationError, match="future"):
                check(None, field(SAT))


def test_registering_a_patient_born_today_where_the_clinic_is(auckland):
    with clock.freeze(AUCKLAND_MORNING):
        client = login(auckland, "reception")
        response = client.post("/patients/new", data={
            "given_name": "Aroha", "family_name": "Ngata", "date_of_birth": SAT.isoformat(),
            "sex": "female", "primary_practitioner_id": "0"})
    assert response.status_code == 302, response.text


def test_age_turns_over_on_the_clinics_birthday(auckland, los_angeles):
    born = date(1980, 12, 5)
    with at(auckland, AUCKLAND_MORNING):
        assert Patient(date_of_birth=born).age == 46
        patient = patient_services.save(None, {"given_name": "Mere", "family_name": "Parata",
                                               "date_of_birth": born})
        db.session.commit()
        patient_id = patient.id
    with at(los_angeles, LA_EVENING):
        assert Patient(date_of_birth=born).age == 45  # the birthday is tomorrow in LA
    with clock.freeze(AUCKLAND_MORNING):
        client = login(auckland)
        assert "(age 46)" in client.get(f"/patients/{patient_id}").text


def test_pages_offer_the_clinics_date(auckland):
    with at(auckland, AUCKLAND_MORNING):
        patient = patient_services.save(None, {"given_name": "Mere", "family_name": "Parata",
                                               "date_of_birth": date(1980, 1, 1)})
        db.session.commit()
        patient_id = patient.id
    with clock.freeze(AUCKLAND_MORNING):
        client = login(auckland)
        page = client.get(f"/plans/patients/{patient_id}/assessments/new").text
        assert 'value="2026-12-05"' in page
        page = client.get(f"/reports/patients/{patient_id}/scores/new").text
        assert 'value="2026-12-05"' in page
        response = client.get("/exports/sessions.csv")
        assert "sessions-identified-20261205.csv" in response.headers["Content-Disposition"]
