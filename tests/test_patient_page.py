"""The patient's own page: switched on per patient, reached from their check-in link, shows
their visits (with the schedule's one calendar file), their next check-in and their progress in
plain words, and sends a request to cancel or move a visit to reception (nothing is booked)."""
import re
from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.test_checkins import answer, course, make_link
from tracker import clock
from tracker.audit.models import AuditEntry
from tracker.checkins import services as checkins
from tracker.extensions import db
from tracker.portal.models import VisitRequest

CODES = re.compile(r"\b(NRS|PEG-3|PEG|PHQ-2|GAD-2|PGIC|ICD|WPI)\b")


def setting(app, client, auth, *, upcoming=True):
    """A patient in a course (intake average pain 8), a check-in answered (4), a visit booked
    next week; returns ids and the patient's phone (its cookie on the link)."""
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient("Robin", "Haddad")
        other = factories.patient("Sam", "Okafor")
        plan = course(patient, user_id, [6, 6], days_ago=10, average=8)
        checkins.set_schedule(plan, (clock.today() + timedelta(days=2)).weekday(),
                              checkins.default_measures(), True,
                              db.session.get(factories.User, user_id))
        visit = factories.appointment(patient, user_id, clock.now() + timedelta(days=6),
                                      plan=plan, number=3) if upcoming else None
        theirs = factories.appointment(other, user_id, clock.now() + timedelta(days=5))
        db.session.commit()
        ids = {"patient": patient.id, "plan": plan.id, "visit": visit.id if visit else None,
               "theirs": theirs.id}
    phone = answer(app, make_link(client, ids["plan"]), 4)
    return ids, phone


def test_the_page_is_off_until_the_clinic_switches_it_on(app, client, auth):
    ids, phone = setting(app, client, auth)
    off = phone.get("/me")
    assert off.status_code == 403 and "not switched on" in off.text
    assert "Robin" not in off.text and phone.get("/me/appointments.ics").status_code == 403
    auth.logout()
    # Reception may not: the page shows the patient's progress (clinical content).
    auth.login("reception", "desk@example.org")
    assert "Switch the patient&#39;s page" not in client.get(f"/patients/{ids['patient']}").text
    refused = client.post(f"/patients/{ids['patient']}/own-page", data={"enabled": "1"})
    assert refused.status_code == 403 and phone.get("/me").status_code == 403
    auth.logout()
    auth.login("practitioner", "doc@example.org")
    assert "Switch the patient&#39;s page on" in client.get(f"/patients/{ids['patient']}").text
    switched = client.post(f"/patients/{ids['patient']}/own-page", data={"enabled": "1"})
    assert switched.status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "PatientPage")).first()
        assert entry.user_email == "doc@example.org"
    page = phone.get("/me")
    assert page.status_code == 200 and "Hello Robin" in page.text
    assert phone.get("/checkin").text.count("/me") >= 1  # reached from the link's pages
    assert app.test_client().get("/me").status_code == 403  # another browser: no cookie


def test_visits_calendar_next_checkin_and_progress_in_plain_words(app, client, auth):
    ids, phone = setting(app, client, auth)
    client.post(f"/patients/{ids['patient']}/own-page", data={"enabled": "1"})
    page = phone.get("/me").text
    assert f'data-visit="{ids["visit"]}"' in page and "with Test Practitioner" in page
    assert f'data-visit="{ids["theirs"]}"' not in page  # never another patient's visit
    assert "Add to my calendar" in page and "data-next-checkin" in page
    assert "Average pain over the past week" in page and "Your average pain" not in page
    assert "0 is no pain, 10 the worst pain you can imagine" in page
    assert re.search(r"Average pain over the past week: 8 on \d\d \w{3} \(before treatment\), "
                     r"then 4 on \d\d \w{3} \(in your check-in\), 4 points lower\. A big "
                     r"improvement: down by half or more\.", page)
    assert not CODES.search(re.sub(r"<[^>]+>", " ", page)), CODES.search(page)
    assert "style=" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)
    ics = phone.get("/me/appointments.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert f"UID:appointment-{ids['visit']}@" in ics.text
    assert f"appointment-{ids['theirs']}@" not in ics.text


def test_a_request_to_move_a_visit_reaches_reception(app, client, auth):
    ids, phone = setting(app, client, auth)
    client.post(f"/patients/{ids['patient']}/own-page", data={"enabled": "1"})
    not_theirs = phone.post("/me/request", data={"appointment": ids["theirs"], "kind": "cancel"})
    assert not_theirs.status_code == 400 and "Not a valid choice" in not_theirs.text
    long = phone.post("/me/request", data={"appointment": ids["visit"], "kind": "move",
                                           "note": "x" * 501})
    assert long.status_code == 400 and "x" * 501 in long.text  # kept as typed
    with app.app_context():
        assert db.session.scalars(select(VisitRequest)).all() == []
    sent = phone.post("/me/request", data={"appointment": ids["visit"], "kind": "move",
                                           "note": "Tuesdays suit me better"})
    assert sent.status_code == 302
    assert "Change of time requested" in phone.get("/me").text
    with app.app_context():
        made = db.session.scalars(select(VisitRequest)).one()
        assert (made.kind, made.status) == ("move", "open")
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "VisitRequest")).one()
        assert entry.user_email.startswith("patient (check-in link")
    auth.logout()
    auth.login("reception", "desk@example.org")
    home = client.get("/patients/").text
    assert re.search(r'Requests <span class="badge nav-count">.*?1', home)
    listed = client.get("/requests").text
    assert "Tuesdays suit me better" in listed and "Robin Haddad" in listed
    assert client.post(f"/requests/{made.id}/done").status_code == 302
    assert "No requests waiting." in client.get("/requests").text
    with app.app_context():
        assert db.session.get(VisitRequest, made.id).status == "done"


def test_an_expired_link_closes_the_page_too(app, client, auth):
    ids, phone = setting(app, client, auth)
    client.post(f"/patients/{ids['patient']}/own-page", data={"enabled": "1"})
    with clock.freeze(clock.now() + timedelta(days=8)):
        assert phone.get("/me").status_code == 410
        assert phone.post("/me/request", data={"appointment": ids["visit"],
                                               "kind": "cancel"}).status_code == 410
