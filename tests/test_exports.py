"""Exports: a patient's FHIR R4 bundle (validated with fhir.resources), the sessions CSV with a
pseudonymised option, and the backup and restore commands."""
import csv
import io
import json
from collections import Counter

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from tests.conftest import make_user
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.intake.models import Intake
from tracker.measurements.models import Measurement
from tracker.patients.models import Patient
from tracker.reports import demo as reports_demo
from tracker.sessions.models import SessionRecord
from tracker.timeutil import utcnow


@pytest.fixture
def demo(app):
    make_user(app, "practitioner", "mei@example.org", display_name="Mei Lin",
              credentials="L.Ac.", licence_number="AC-20817")
    with app.app_context():
        from tracker.accounts.services import find_by_email
        patient = reports_demo.seed_demo(find_by_email("mei@example.org"))
        db.session.add(SafetyFlag(patient_id=patient.id, kind="bleeding",
                                  detail="Apixaban 5 mg"))
        db.session.add(Measurement(patient_id=patient.id, instrument="other", value=52,
                                   source="manual", label="HIT-6", scale_min=36, scale_max=78,
                                   higher_is_better=False, taken_at=utcnow()))
        db.session.add(Intake(patient_id=patient.id, status="submitted",
                              consent_name="Grace Holloway", consent_at=utcnow(),
                              consent_version=1))
        db.session.commit()
        return patient.id


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_fhir_bundle_validates_and_carries_the_record(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    response = client.get(f"/exports/patients/{demo}/fhir.json")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    data = json.loads(response.data)
    bundle = Bundle.model_validate(data)      # raises on any invalid resource
    assert bundle.type == "collection"
    kinds = {e["resource"]["resourceType"] for e in data["entry"]}
    assert {"Patient", "Practitioner", "Condition", "CarePlan", "Goal", "Appointment",
            "Encounter", "Procedure", "Observation", "QuestionnaireResponse", "AdverseEvent",
            "Flag", "Consent"} <= kinds
    observations = resources(data, "Observation")

    def codes(o, system_end):
        return [c["code"] for c in o["code"]["coding"] if c["system"].endswith(system_end)]

    # Each pain time frame has a code of its own; LOINC's pain code only where it fits (now).
    frames = Counter(code for o in observations for code in codes(o, "CodeSystem/measure")
                     if code.startswith("nrs"))
    assert frames == {"nrs_now": 11, "nrs_after_needling": 10, "nrs_average_week": 3,
                      "nrs_worst_week": 3, "nrs_least_week": 1}
    pain = [o for o in observations if "72514-3" in codes(o, "loinc.org")]
    assert {c for o in pain for c in codes(o, "CodeSystem/measure")} == {"nrs_now"}
    assert [o["valueQuantity"]["value"] for o in pain if "encounter" in o][:2] == [7, 6]
    with app.app_context():
        from tracker.clinical.instruments import REGISTRY
        from tracker.exports.fhir import _code
        assert _code(REGISTRY["gad2"])["coding"][0]["code"] == "70272-0"  # GAD-2 total
    days = [o for o in observations if "med_days" in codes(o, "CodeSystem/measure")]
    assert days and all(o["valueQuantity"]["code"] == "d" for o in days)
    patient = resources(data, "Patient")[0]
    assert "generalPractitioner" not in patient  # the acupuncturist is in the care team
    assert patient["identifier"][0]["system"] != "urn:clinic-tracker:patient"
    [team] = resources(data, "CareTeam")
    roles = {p["role"][0]["text"]: p["member"]["display"] for p in team["participant"]}
    assert roles["Treating acupuncturist"] == "Mei Lin"
    assert "Dr Helen Marsh" in roles["Referring physician"]
    assert all(c["careTeam"] for c in resources(data, "CarePlan"))
    assert len(resources(data, "Encounter")) == 10
    assert any(o["code"]["text"] == "HIT-6" and o["valueQuantity"]["value"] == 52
               for o in resources(data, "Observation"))
    assert resources(data, "AdverseEvent")[0]["seriousness"]["coding"][0]["code"] == \
        "non-serious"
    icd11 = [c for c in resources(data, "Condition")
             if c["code"].get("coding", [{}])[0].get("system") ==
             "http://id.who.int/icd/release/11/mms"]
    assert len(icd11) == 2
    practitioner = resources(data, "Practitioner")[0]
    assert practitioner["identifier"][0]["value"] == "AC-20817"
    # Every reference points at an entry of the bundle.
    urls = {e["fullUrl"] for e in data["entry"]}
    refs = set(__import__("re").findall(r'"reference": "([^"]+)"', json.dumps(data)))
    assert refs <= urls
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(
            AuditEntry.action == "export_fhir")) == 1


def test_reception_cannot_export_clinical_records(client, auth, demo):
    auth.login("reception")
    assert client.get(f"/exports/patients/{demo}/fhir.json").status_code == 403
    assert client.get("/exports/sessions.csv").status_code == 403


def test_sessions_csv_identified_and_pseudonymised(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    assert client.get("/exports/sessions.csv").status_code == 403  # research is admin-only
    auth.logout()
    auth.login("admin")
    plain = list(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    assert len(plain) == 10 and plain[0]["family_name"] == "Holloway"
    assert [r["pain_before"] for r in plain][-1] in ("3", "3.0")
    assert plain[5]["reeval_pgic"] in ("2", "2.0") and plain[2]["adverse_events"] == "1"
    response = client.get("/exports/sessions.csv?pseudonymised=1")
    assert "Holloway" not in response.text and "Grace" not in response.text
    assert "1968" not in response.text and "attachment" in response.headers[
        "Content-Disposition"]
    pseudo = list(csv.DictReader(io.StringIO(response.text)))
    assert len({r["patient_pseudonym"] for r in pseudo}) == 1
    assert len(pseudo[0]["patient_pseudonym"]) == 16
    assert pseudo[0]["day_of_plan"] == "0" and pseudo[-1]["day_of_plan"] == "63"
    assert "visit_on" not in pseudo[0] and "date_of_birth" not in pseudo[0]
    with app.app_context():
        logged = db.session.scalars(select(AuditEntry.changes).where(
            AuditEntry.action == "export_csv").order_by(AuditEntry.id)).all()
        assert [c["pseudonymised"] for c in logged] == [False, True]


def test_csv_cells_cannot_become_formulas(client, auth, app, demo):
    with app.app_context():
        db.session.execute(select(Patient)).scalars().first().family_name = "=HYPERLINK(1)"
        db.session.commit()
    auth.login("admin")
    assert "'=HYPERLINK(1)" in client.get("/exports/sessions.csv").text


def test_backup_and_restore_bring_back_the_database(app, runner, demo, tmp_path):
    target = tmp_path / "backup.db"
    result = runner.invoke(args=["exports", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Measurement))
        db.session.execute(Measurement.__table__.delete())
        for row in db.session.scalars(select(SessionRecord)):
            db.session.delete(row)
        db.session.commit()
    refused = runner.invoke(args=["exports", "restore", str(target)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    result = runner.invoke(args=["exports", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Measurement)) == before
        assert db.session.scalar(select(func.count()).select_from(SessionRecord)) == 10
        assert db.session.scalar(select(func.count()).where(
            AuditEntry.action == "restore")) == 1


def test_restore_refuses_a_file_that_is_not_a_backup(runner, app, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    result = runner.invoke(args=["exports", "restore", str(junk), "--yes"])
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_every_demo_patient_exports_a_valid_bundle(app, client, auth):
    from tracker.demo import seed
    with app.app_context():
        seed(patients=30)
        ids = db.session.scalars(select(Patient.id)).all()
        sessions = db.session.scalar(select(func.count()).select_from(SessionRecord))
    auth.login("admin", "boss@example.org")
    kinds = set()
    for patient_id in ids:
        data = json.loads(client.get(f"/exports/patients/{patient_id}/fhir.json").data)
        Bundle.model_validate(data)
        kinds |= {e["resource"]["resourceType"] for e in data["entry"]}
    assert {"Flag", "AdverseEvent", "QuestionnaireResponse", "Consent"} <= kinds
    rows = list(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    assert len([r for r in rows if r["record"] == "session"]) == sessions > 50
