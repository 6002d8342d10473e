"""Exports that mean what they say: the research CSV carries no free text and no raw ids, and a
codebook from the same declaration names every column."""
import csv
import io
from datetime import date

from tests import factories
from tracker.exports import tables
from tracker.extensions import db
from tracker.plans.models import Assessment
from tracker.sessions.models import AdverseEvent

NAME, BORN, PHONE = "Zebulon Quixote-Marsh", date(1961, 7, 23), "+44 7700 900777"
PLANT = f"{NAME} born {BORN:%d/%m/%Y} ({BORN.isoformat()}), call {PHONE}"
SHORT = f"{NAME} {BORN:%d/%m/%Y} {PHONE}"  # for the 60-character fields


def test_the_research_csv_leaks_no_planted_name_birth_date_or_phone(app, client, auth):
    admin = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient("Zebulon", "Quixote-Marsh", BORN, phone=PHONE,
                                    email="zq@example.net", address=PLANT,
                                    emergency_contact_name=PLANT, referring_physician=PLANT)
        assessment = Assessment(patient_id=patient.id, practitioner_id=admin,
                                assessed_on=date(2026, 11, 2), western_diagnosis=PLANT,
                                icd10="M54.5", pattern_notes=PLANT, tongue_notes=PLANT,
                                pulse_notes=PLANT, palpation=PLANT)
        db.session.add(assessment)
        db.session.flush()
        plan = factories.plan_row(patient, admin, conditions=PLANT, rationale=PLANT,
                                  assessment_id=assessment.id)
        visit = factories.appointment(patient, admin, plan=plan, number=1, reason=PLANT)
        record = factories.signed_session(patient, admin, visit, subjective=PLANT,
                                          objective=PLANT, assessment=PLANT, plan_notes=PLANT,
                                          reeval_notes=PLANT, needle_type=PLANT, depth=SHORT)
        record.adverse_events.append(AdverseEvent(kind="bruising", site=PLANT, action=PLANT,
                                                  outcome=PLANT))
        db.session.commit()
        ids = {str(patient.id), str(plan.id), str(record.id)}
    text = client.get("/exports/sessions.csv?pseudonymised=1").text
    for needle in ("Zebulon", "Quixote", "1961", "23/07", "07-23", "900777", "zq@"):
        assert needle not in text, needle
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and rows[0]["diagnosis_icd10"] == "M54.5"
    assert not {"patient_id", "plan_id", "condition"} & set(rows[0])
    # No raw id stands as a value either: keys are 16 hex digits, never the numbers.
    assert all(len(rows[0][k]) == 16 for k in ("patient_pseudonym", "plan_pseudonym",
                                                "session_pseudonym"))
    assert not ids & {rows[0][k] for k in rows[0]
                      if k.endswith("pseudonym") or k.endswith("_id")}
    # The clinic's own export keeps what it is for.
    own = list(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    assert own[0]["family_name"] == "Quixote-Marsh" and own[0]["condition"] == PLANT


def test_the_codebook_names_every_column_of_both_exports(app, client, auth):
    auth.login("admin", "boss@example.org")
    response = client.get("/exports/sessions-codebook.csv")
    assert response.status_code == 200 and "attachment" in response.headers[
        "Content-Disposition"]
    book = {r["column"]: r for r in csv.DictReader(io.StringIO(response.text))}
    with app.app_context():
        for pseudonymised in (False, True):
            header = next(csv.reader(io.StringIO("".join(tables.write(pseudonymised, "k")))))
            assert header == tables.columns(pseudonymised)
            assert set(header) <= set(book)
            flag = "pseudonymised_export" if pseudonymised else "identified_export"
            assert all(book[c][flag] == "yes" and book[c]["meaning"] for c in header)
    assert book["reeval_peg3"]["meaning"].startswith("PEG-3")


def test_a_moved_or_cancelled_visit_updates_the_same_calendar_event(app, client, auth):
    from datetime import timedelta

    from icalendar import Calendar

    from tracker import clock
    from tracker.schedule import services as schedule

    user_id = auth.login("reception")
    with app.app_context():
        patient = factories.patient()
        first = factories.appointment(patient, user_id, clock.now() + timedelta(days=3))
        other = factories.appointment(patient, user_id, clock.now() + timedelta(days=10))
        db.session.commit()
        patient_id, first_id, other_id = patient.id, first.id, other.id

    def events():
        data = client.get(f"/schedule/patients/{patient_id}/appointments.ics").data
        return {str(e["uid"]): e for e in Calendar.from_ical(data).walk("VEVENT")}

    before = events()
    uid = next(u for u in before if u.startswith(f"appointment-{first_id}@"))
    assert int(before[uid]["sequence"]) == 0 and str(before[uid]["status"]) == "CONFIRMED"
    with app.app_context():
        moved = schedule.reschedule(db.session.get(schedule.Appointment, first_id),
                                    clock.now() + timedelta(days=4), 45)
        db.session.commit()
        moved_start = moved.start_utc
    after = events()
    assert len(after) == 2 and uid in after  # the same event, not a second one
    assert int(after[uid]["sequence"]) == 1
    assert after[uid].decoded("dtstart") == moved_start.replace(microsecond=0)
    with app.app_context():
        db.session.get(schedule.Appointment, other_id).status = "cancelled_patient"
        db.session.commit()
    cancelled = events()[next(u for u in after if u.startswith(f"appointment-{other_id}@"))]
    assert str(cancelled["status"]) == "CANCELLED" and int(cancelled["sequence"]) == 1
