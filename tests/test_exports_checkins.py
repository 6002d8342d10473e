"""Check-in answers in the exports that carry measurements: the FHIR bundle's Observations
(patient-reported, no encounter) and a row per answered check-in in the research and identified
CSVs, its columns declared once with the others (so the codebook names them)."""
import csv
import io
import json

from fhir.resources.R4B.bundle import Bundle

from tests import factories
from tests.test_checkins import answer, course, make_link
from tracker.exports import tables
from tracker.extensions import db


def test_checkin_answers_are_in_the_fhir_bundle_and_both_csvs(app, client, auth):
    user_id = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient("Ayşe", "Yılmaz")
        plan = course(patient, user_id, [6, 6], days_ago=10, average=8)
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    answer(app, make_link(client, plan_id), 4, sleep=7)

    data = json.loads(client.get(f"/exports/patients/{patient_id}/fhir.json").data)
    Bundle.model_validate(data)
    reported = [e["resource"] for e in data["entry"]
                if e["resource"]["resourceType"] == "Observation"
                and e["resource"].get("method", {}).get("text", "").startswith("Weekly check-in")]
    assert len(reported) == 4 and all("encounter" not in o for o in reported)
    assert all(o["performer"][0]["reference"].startswith("urn:uuid:") for o in reported)
    values = sorted(o["valueQuantity"]["value"] for o in reported)
    assert 4 in values and 7 in values

    for pseudonymised in (True, False):
        text = client.get("/exports/sessions.csv" + ("?pseudonymised=1" if pseudonymised
                                                      else "")).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["record"] for r in rows] == ["session", "session", "checkin"]
        checkin = rows[-1]
        assert checkin["checkin_nrs_average_week"] in ("4", "4.0")
        assert checkin["checkin_sleep"] in ("7", "7.0")
        assert all(r["checkin_nrs_average_week"] == "" for r in rows[:2])
        if pseudonymised:
            assert checkin["plan_pseudonym"] == rows[0]["plan_pseudonym"]
            assert checkin["day_of_plan"] == "10" and "Yılmaz" not in text
        else:
            assert checkin["family_name"] == "Yılmaz" and checkin["plan_id"] == str(plan_id)
    book = {r["column"]: r for r in csv.DictReader(io.StringIO(
        client.get("/exports/sessions-codebook.csv").text))}
    with app.app_context():
        assert set(tables.columns(True)) <= set(book)
    assert book["checkin_nrs_average_week"]["pseudonymised_export"] == "yes"
    assert book["record"]["meaning"].startswith("What the row is")
