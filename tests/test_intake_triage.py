"""Triage of intakes awaiting review (red flags first, then safety flags, then the longest
waiting), its filters, and what reception sees of an intake: a status word, no content."""
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests import factories
from tests.intake_helpers import answers
from tracker import clock
from tracker.clinical import safety
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.intake import services as intake_services
from tracker.intake.models import Intake

NO_FLAG = answers(
    health={"medications-0-name": "", "medications-0-dose": "", "medications-0-how_often": ""},
    safety={"safety_bleeding": "no", "safety_bleeding_detail": ""})
SAFETY_ONLY = answers()  # bleeding risk (warfarin), no red flag
RED = answers(safety={"red_fever": "yes"})  # sciatica asks the red flags; fever is one
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _submit(patient, data, at, practitioner=None) -> int:
    if practitioner:
        patient.primary_practitioner_id = practitioner
    intake = factories.submitted_intake(patient, data, now=at)
    return intake.id


@pytest.fixture
def three(app):
    """No flag sent first, safety flag second, red flag last (the newest)."""
    with app.test_request_context():
        doctor = factories.practitioner("doc@example.org", display_name="Dr Who")
        plain = factories.patient("Nora", "Plain", date(1960, 1, 1))
        careful = factories.patient("Sam", "Careful", date(1961, 1, 1))
        urgent = factories.patient("Rex", "Urgent", date(1962, 1, 1))
        ids = {"none": _submit(plain, NO_FLAG, MONDAY),
               "safety": _submit(careful, SAFETY_ONLY, MONDAY + timedelta(days=1)),
               "red": _submit(urgent, RED, MONDAY + timedelta(days=2), doctor.id)}
        db.session.commit()
        ids["doctor"] = doctor.id
        return ids


def names(html: str) -> list[str]:
    """Patients' names in the order the intake list shows them."""
    return re.findall(r'href="/intakes/\d+">([^<]+)</a>', html)


def test_a_red_flag_sent_last_is_read_first_then_safety_then_the_rest(app, client, auth, three):
    auth.login("practitioner")
    page = client.get("/intakes/").text
    assert names(page) == ["Rex Urgent", "Sam Careful", "Nora Plain"]
    assert "Red flags first" in page  # the rule is stated where the list is
    dashboard = client.get("/").text
    assert names(dashboard) == ["Rex Urgent", "Sam Careful", "Nora Plain"]
    assert dashboard.index("Red flag") < dashboard.index("Safety flag")


def test_within_a_group_the_longest_waiting_comes_first(app, client, auth, three):
    with app.test_request_context():
        other = factories.patient("Ada", "Earlier", date(1963, 1, 1))
        _submit(other, RED, MONDAY - timedelta(days=3))  # red, and waiting longer
        late = factories.patient("Zed", "Later", date(1964, 1, 1))
        _submit(late, SAFETY_ONLY, MONDAY + timedelta(days=5))
        db.session.commit()
    auth.login("practitioner")
    assert names(client.get("/intakes/").text) == [
        "Ada Earlier", "Rex Urgent", "Sam Careful", "Zed Later", "Nora Plain"]


def test_a_resolved_flag_no_longer_lifts_an_intake(app, client, auth, three):
    with app.app_context():
        for flag in db.session.scalars(db.select(SafetyFlag).where(
                SafetyFlag.intake_id == three["red"],
                SafetyFlag.kind.in_(safety.URGENT_FLAGS))):
            flag.active = False
        db.session.commit()
    auth.login("practitioner")
    # Rex's remaining flags (the warfarin answers) are safety flags: sent last of the two.
    assert names(client.get("/intakes/").text) == ["Sam Careful", "Rex Urgent", "Nora Plain"]


@pytest.mark.parametrize(("query", "shown"), [
    ("group=red", ["Rex Urgent"]),
    ("group=safety", ["Sam Careful"]),
    ("group=none", ["Nora Plain"]),
    ("condition=sciatica", ["Rex Urgent", "Sam Careful", "Nora Plain"]),
    ("condition=migraine", []),
])
def test_filters_by_flag_and_condition(app, client, auth, three, query, shown):
    auth.login("practitioner")
    response = client.get(f"/intakes/?{query}")
    assert response.status_code == 200
    assert names(response.text) == shown
    if not shown:
        assert "No intake awaiting review matches these filters." in response.text


def test_filter_by_the_patients_practitioner(app, client, auth, three):
    auth.login("practitioner")
    assert names(client.get(f"/intakes/?practitioner={three['doctor']}").text) == ["Rex Urgent"]


def test_date_range_takes_whole_clinic_days(app, client, auth):
    with app.test_request_context():
        tz = clock.zone()
        day = date(2026, 11, 10)
        last_minute = clock.to_utc(day, time(23, 59), tz)
        next_midnight = clock.to_utc(day + timedelta(days=1), time(0, 0), tz)
        first = clock.to_utc(day, time(0, 0), tz)
        _submit(factories.patient("In", "Late", date(1960, 1, 1)), NO_FLAG, last_minute)
        _submit(factories.patient("Out", "Next", date(1960, 1, 2)), NO_FLAG, next_midnight)
        _submit(factories.patient("In", "Early", date(1960, 1, 3)), NO_FLAG, first)
        _submit(factories.patient("Out", "Before", date(1960, 1, 4)), NO_FLAG,
                first - timedelta(seconds=1))
        db.session.commit()
    auth.login("practitioner")
    shown = names(client.get("/intakes/?since=2026-11-10&until=2026-11-10").text)
    assert shown == ["In Early", "In Late"]
    assert names(client.get("/intakes/?since=2026-11-11").text) == ["Out Next"]


def test_bad_filters_are_explained_beside_the_field(app, client, auth, three):
    auth.login("practitioner")
    response = client.get("/intakes/?since=2026-11-10&until=2026-11-01")
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.text
    assert 'value="2026-11-10"' in response.text  # what was typed comes back
    response = client.get("/intakes/?since=10/11/2026&group=purple&practitioner=x")
    assert response.status_code == 400
    assert "Rex Urgent" not in response.text
    assert client.get("/intakes/?page=abc").status_code == 404  # query_int


# -- reception ------------------------------------------------------------------------------------

CONTENT = ("Low back pain down my left leg", "warfarin", "Warfarin", "Red flag",
           "Safety flag", "Bleeding risk", "fever", "/intakes/")


def test_reception_sees_each_patients_intake_status_and_nothing_else(app, client, auth, three):
    with app.test_request_context():
        reception = factories.user("reception", "desk@example.org")
        none = factories.patient("Nadia", "Nolink", date(1970, 1, 1))
        started = factories.patient("Paul", "Partway", date(1971, 1, 1))
        invitation, _ = intake_services.create_invitation(started, reception, 14)
        db.session.flush()
        intake_services.save_draft(invitation.intake, "about",
                                   {"given_name": ["Paul"], "family_name": ["Partway"]}, 0)
        opened = factories.patient("Olga", "Opened", date(1972, 1, 1))
        intake_services.create_invitation(opened, reception, 14)  # a link, nothing typed
        reviewed = db.session.get(Intake, three["none"])
        intake_services.mark_reviewed(reviewed, reception)
        db.session.commit()
        ids = {"none": none.id, "started": started.id, "opened": opened.id,
               "red": db.session.get(Intake, three["red"]).patient_id,
               "reviewed": reviewed.patient_id}
    auth.login("reception", "desk@example.org")
    listing = client.get("/patients/").text
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r'<a href="/patients/\d+">([^<]+)</a>.*?<span class="badge intake-[a-z_]+">([^<]+)</span>',
        listing, re.S)}
    assert rows == {"Nolink, Nadia": "Not started", "Opened, Olga": "Not started",
                    "Partway, Paul": "In progress", "Urgent, Rex": "Submitted",
                    "Careful, Sam": "Submitted", "Plain, Nora": "Reviewed"}
    for key, word in [("none", "Not started"), ("started", "In progress"),
                      ("red", "Submitted"), ("reviewed", "Reviewed")]:
        page = client.get(f"/patients/{ids[key]}").text
        assert re.search(rf'Status: <span class="badge intake-[a-z_]+">{word}</span>', page), key
        assert not any(marker in page for marker in CONTENT), key
    assert not any(marker in listing for marker in CONTENT)
    for url in ("/intakes/", "/intakes/?group=red", f"/intakes/{three['red']}"):
        assert client.get(url).status_code == 403, url
