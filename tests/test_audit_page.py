"""The audit trail as the clinic's administrator reads it: times on the clinic's clock (across
a daylight-saving change), date filters by clinic day, records named as people name them with
the patient's name and links to their pages, and a page whose statements do not grow with its
rows."""
from datetime import UTC, datetime

from flask import url_for

from tests import factories
from tests.conftest import statements_seen
from tracker.audit import labels
from tracker.audit.models import AuditEntry
from tracker.extensions import db


def add_entries(app, *rows) -> None:
    with app.app_context():
        db.session.add_all(AuditEntry(**row) for row in rows)
        db.session.commit()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def viewed(patient_id: str, when: datetime) -> dict:
    return {"action": "view", "entity": "Patient", "entity_id": patient_id, "at": when}


def test_times_are_the_clinics_across_a_daylight_saving_change(app, client, auth):
    auth.login("admin")
    # London: GMT until 29 March 2026 01:00 UTC, then BST (UTC+1).
    add_entries(app, viewed("1", at(2026, 3, 28, 12)), viewed("2", at(2026, 3, 30, 12)))
    page = client.get("/audit/").data.decode()
    assert "Times in Europe/London" in page and "UTC" not in page.split("<tbody>")[0]
    assert "28 Mar 2026, 12:00" in page   # winter: clinic time is UTC
    assert "30 Mar 2026, 13:00" in page   # summer: an hour ahead
    assert "30 Mar 2026, 12:00" not in page
    assert 'datetime="2026-03-30T12:00:00' in page  # the machine-readable instant stays UTC


def test_a_changed_instant_is_shown_on_the_clinics_clock_too(app, client, auth):
    auth.login("admin")
    add_entries(app, {"action": "update", "entity": "Checkin", "entity_id": "3", "changes": {
        "answered_at": [None, "2026-07-03T19:00:00+00:00"], "due_on": ["2026-07-01", "2026-07-02"],
        "sent_at": ["2026-01-10T09:15:00", "2026-07-10T09:15:00.123456"]}})
    page = client.get("/audit/").data.decode()
    assert "— → 03 Jul 2026, 20:00" in page
    assert "2026-07-01 → 2026-07-02" in page  # a date is not an instant: as written
    assert "10 Jan 2026, 09:15 → 10 Jul 2026, 10:15" in page  # naive (from SQLite): UTC
    assert "Check-in 3" in page


def test_date_filters_are_clinic_days(app, client, auth):
    auth.login("admin")
    add_entries(app,
                # 23:59 on 30 June in London (BST), 00:30 on 1 July in London.
                viewed("701", at(2026, 6, 30, 22, 59)), viewed("702", at(2026, 6, 30, 23, 30)))
    july = client.get("/audit/?since=2026-07-01&until=2026-07-01").data.decode()
    assert "Patient 702" in july and "Patient 701" not in july
    june = client.get("/audit/?until=2026-06-30").data.decode()
    assert "Patient 701" in june and "Patient 702" not in june
    both = client.get("/audit/?since=2026-06-30").data.decode()
    assert "Patient 701" in both and "Patient 702" in both
    assert 'value="2026-06-30"' in both  # the filter shows what was asked
    wrong = client.get("/audit/?since=2026-07-02&until=2026-07-01")
    assert wrong.status_code == 400 and b"on or after the start date" in wrong.data
    assert client.get("/audit/?since=not-a-date").status_code == 400


def test_a_row_names_the_record_and_the_patient_with_links(app, client, auth):
    auth.login("admin")
    with app.app_context():
        mei = factories.practitioner("mei@example.org")
        ana = factories.patient(given="Ana", family="Okafor")
        plan = factories.plan(ana, mei)
        visit = factories.appointment(ana, mei)
        db.session.commit()
        ids = {"ana": ana.id, "plan": plan.id, "visit": visit.id}
    add_entries(app, {"action": "view", "entity": "TreatmentPlan", "entity_id": str(ids["plan"]),
                      "patient_id": ids["ana"]},
                {"action": "delete", "entity": "SessionRecord", "entity_id": "3",
                 "patient_id": ids["ana"]},
                {"action": "view", "entity": "Assessment", "entity_id": "5",
                 "patient_id": 999999})  # a patient no longer in the register
    page = client.get("/audit/").data.decode()
    assert f'<a href="/plans/{ids["plan"]}">Treatment plan {ids["plan"]}</a>' in page
    assert f'<a href="/schedule/appointments/{ids["visit"]}">Appointment {ids["visit"]}</a>' in page
    assert "Session record 3" in page and 'href="/sessions/3"' not in page  # deleted: no link
    assert f'<a href="/patients/{ids["ana"]}">Ana Okafor</a>' in page
    assert "Patient 999999" in page and 'href="/patients/999999"' not in page
    assert "TreatmentPlan" not in page and "#" + str(ids["plan"]) not in page
    assert client.get(f"/plans/{ids['plan']}").status_code == 200  # the link opens for an admin


def test_labels_come_from_the_models_and_every_page_link_builds(app):
    table = labels.labels()
    assert table["TreatmentPlan"] == "Treatment plan"
    assert table["SessionRecord"] == "Session record"
    assert table["Appointment"] == "Appointment"
    assert table["IntakeInvitation"] == "Intake link"
    assert labels.label("SessionTimeline") == "Session timeline"  # an event, not a model
    audited = {m.class_.__name__ for m in db.Model.registry.mappers
               if getattr(m.class_, "__audited__", False)}
    assert audited <= table.keys()
    with app.test_request_context():
        for entity, (endpoint, name) in labels.PAGES.items():
            assert "/7" in url_for(endpoint, **{name: 7}), entity
        url = labels.record_urls(["Intake", "TreatmentPlan"])
        assert url("Intake", "12", "view") == "/intakes/12"
        assert url("TreatmentPlan", "1,2", "view") is None
        assert url("Appointment", "4", "view") is None  # no kind of the page: not built


def test_the_page_runs_as_many_statements_for_one_row_as_for_a_full_page(app, client, auth):
    auth.login("admin")
    with app.app_context():
        patients = [factories.patient(given=f"P{n}", family="Test").id for n in range(6)]
        db.session.commit()
    kinds = ["TreatmentPlan", "Appointment", "SessionRecord", "Intake", "Patient", "Assessment"]

    def rows(n, start):
        return [{"action": "view", "entity": kinds[i % 6], "entity_id": str(start + i),
                 "patient_id": patients[i % 6]} for i in range(n)]
    client.get("/audit/")  # the first request's one-off reads out of the way
    add_entries(app, *rows(1, 1))
    few, _ = statements_seen(app, client, "/audit/")
    add_entries(app, *rows(40, 100))  # with the login and the patients' entries: not yet 50
    short, text = statements_seen(app, client, "/audit/")
    assert 41 <= text.count("<tr>") - 1 < 50
    assert len(short) == len(few), short
    add_entries(app, *rows(120, 1000))
    full, _ = statements_seen(app, client, "/audit/")
    second, text = statements_seen(app, client, "/audit/?page=2")
    assert "P3 Test" in text
    # A full page adds only the count (50 rows, 6 patients, 6 kinds of record).
    assert len(full) == len(few) + 1 and len(second) == len(full), full
    assert sum("FROM patient" in s for s in full) == 0  # names come with the rows (joined)
