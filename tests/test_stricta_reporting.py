"""STRICTA's needling items reach the clinical summary, the CSV and the FHIR Procedure, and the
practitioner's background is printed."""
import csv
import io

from tests import factories
from tests.test_sessions import world  # noqa: F401, F811  (the fixture)
from tracker.extensions import db
from tracker.sessions.models import SessionAdjunct


def test_needling_details_are_reported_everywhere(app, client, auth):
    auth.login("admin", "boss@example.org")
    with app.app_context():
        mei = factories.practitioner(credentials="L.Ac.", licence_number="AC-1",
                                     years_in_practice=12)
        patient = factories.patient()
        plan = factories.plan_row(patient, mei)
        visit = factories.appointment(patient, mei, plan=plan, number=1)
        record = factories.signed_session(patient, mei, visit, points=("BL23", "GB30"),
                                          depth="1 cun",
                                          needle_type="0.25 x 40 mm steel", response_sought="de_qi",
                                          response_obtained=True, setting="private_room",
                                          patient_told="Explained de qi; may bruise")
        record.adjuncts.append(SessionAdjunct(kind="electro", site="BL23-BL25 left",
                                              minutes=20, settings={"frequency": "2/100"}))
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    page = client.get(f"/reports/patients/{patient_id}/summary?plan={plan_id}").text
    table = page.split('id="h-needling"')[1].split("</table>")[0]
    for shown in ("Needles inserted", "(2a)", ">4<", "BL23, GB30", "1 cun", "De qi (obtained)",
                  ">25<", "0.25 x 40 mm steel", "Electroacupuncture", "Private room",
                  "Explained de qi"):
        assert shown in table, shown
    assert "12 years in practice" in page
    patient_version = client.get(
        f"/reports/patients/{patient_id}/summary?plan={plan_id}&version=patient").text
    assert 'id="h-needling"' not in patient_version
    own = next(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    assert own["stricta_needle_type"] == "0.25 x 40 mm steel" and own["stricta_insertions"] == "4"
    research = next(csv.DictReader(io.StringIO(
        client.get("/exports/sessions.csv?pseudonymised=1").text)))
    assert not {"stricta_needle_type", "stricta_depth", "stricta_patient_told"} & set(research)
    assert research["stricta_setting"] == "Private room"
    assert research["stricta_points"] == "BL23, GB30"
    assert research["stricta_other_interventions"] == "Electroacupuncture"
    bundle = client.get(f"/exports/patients/{patient_id}/fhir.json").get_json()
    [procedure] = [e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "Procedure"]
    note = procedure["note"][0]["text"]
    assert note.startswith("STRICTA: ") and "Needle type: 0.25 x 40 mm steel" in note
    assert "Retention (min): 25" in note and "Electroacupuncture" in note


def test_the_setting_and_what_the_patient_was_told_are_recorded_and_carried(app, client,
                                                                             world):  # noqa: F811
    from tests.test_sessions import open_record, payload
    session_id, page = open_record(client, world)
    assert 'name="setting"' in page and 'name="patient_told"' in page
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, setting="shared_room", patient_told="Told to rest the back today",
        action="sign"))
    assert response.status_code == 302
    view = client.get(f"/sessions/{session_id}").text
    assert "Shared or community room" in view and "Told to rest the back today" in view
    walk_in = client.get(client.post(
        f"/patients/{world['patient']}/sessions/new").headers["Location"]).text
    assert '<option selected value="shared_room">' in walk_in  # the setting carries over
