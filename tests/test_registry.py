"""The instrument registry is the one declaration: a measure registered there alone is asked on
the intake, shown on the review, asked at re-evaluation, and reported in the summary, the CSV and
the FHIR bundle."""
import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests import factories
from tests.intake_helpers import answers, fill, link_token
from tracker import clock
from tracker.clinical import instruments as registry
from tracker.extensions import db
from tracker.intake.models import Intake
from tracker.measurements.models import Measurement
from tracker.plans.models import MEASURES

FATIGUE = registry.Instrument(
    "fatigue_week", "fatigue", "week", "Tiredness, past 7 days (0-10)", "Tiredness",
    (registry.Item("fatigue_week", "value", "Over the past 7 days, how tired have you felt?",
                   anchors="0 = not tired at all, 10 = exhausted",
                   required_message="Please choose a number for how tired you have felt."),),
    0, 10, asked=frozenset({registry.INTAKE, registry.REEVALUATION}), intake_step="sleep",
    reevaluation=registry.ALWAYS, goal="fatigue", loinc="")


@pytest.fixture
def fatigue():
    with registry.registered(FATIGUE) as instrument:
        yield instrument


def test_a_measure_registered_alone_reaches_every_screen_and_export(app, client, auth, fatigue):
    user_id = auth.login("practitioner")
    with app.app_context():
        patient_id = factories.patient("Ayşe", "Yılmaz").id
        db.session.commit()
    token = link_token(client, patient_id)
    data = answers()
    fill(client, token, data, upto="pain")

    # The intake asks it, in the registry's words, and insists on an answer.
    step = client.get("/intake/sleep").text
    assert "Over the past 7 days, how tired have you felt?" in step
    assert "0 = not tired at all, 10 = exhausted" in step
    refused = client.post("/intake/sleep", data=data["sleep"])
    assert refused.status_code == 400
    assert "Please choose a number for how tired you have felt." in refused.text
    data["sleep"]["fatigue_week"] = "7"
    fill(client, token, data)

    with app.app_context():
        intake_id = db.session.scalars(select(Intake.id)).one()
        # The course starts a week after the intake: move the intake's scores back a week.
        db.session.execute(update(Measurement).where(Measurement.intake_id == intake_id)
                           .values(taken_at=clock.now() - timedelta(days=15)))
        db.session.commit()
    review = client.get(f"/intakes/{intake_id}").text
    assert re.search(r"Tiredness, past 7 days \(0-10\)</th>\s*<td>7 / 10", review)

    # A course: the first visit, then the sixth, a re-evaluation that must record it.
    with app.app_context():
        plan = factories.plan_row(patient_id, user_id, sessions_planned=10, reeval_every=6)
        first = factories.appointment(patient_id, user_id, clock.now() - timedelta(days=8),
                                      plan=plan, number=1)
        factories.signed_session(patient_id, user_id, first, pain_before=6, pain_after=4)
        sixth = factories.appointment(patient_id, user_id, clock.now() - timedelta(hours=2),
                                      plan=plan, number=6)
        plan_id, sixth_id = plan.id, sixth.id
        db.session.commit()
    opened = client.post(f"/appointments/{sixth_id}/session")
    session_id = int(re.search(r"/sessions/(\d+)/edit", opened.headers["Location"]).group(1))
    form = client.get(f"/sessions/{session_id}/edit").text
    assert "Over the past 7 days, how tired have you felt?" in form
    from tests.test_sessions import payload
    outcome = {"nrs_average_week": "4", "nrs_worst_week": "6", "peg_enjoyment": "3",
               "peg_activity": "5", "sleep": "7", "pgic": "2", "reeval_decision": "continue",
               "action": "sign", "phq2_1": "1", "phq2_2": "0"}  # PHQ-2 was positive at intake
    refused = client.post(f"/sessions/{session_id}/edit", data=payload(form, **outcome))
    assert refused.status_code == 400 and "record this measure" in refused.text
    signed = client.post(f"/sessions/{session_id}/edit",
                         data=payload(form, fatigue_week="3", **outcome))
    assert signed.status_code == 302, re.findall(r"class=\"error\"[^>]*>([^<]*)", signed.text)
    view = client.get(f"/sessions/{session_id}").text
    assert re.search(r"<dt>Tiredness, past 7 days \(0-10\)</dt><dd>3</dd>", view)

    # Reports: the summary compares it with its course baseline, by direction.
    summary = client.get(f"/reports/patients/{patient_id}/summary?plan={plan_id}").text
    row = re.search(r"Tiredness, past 7 days \(0-10\).*?</tr>", summary, re.S).group(0)
    assert ">7<" in row and ">3<" in row and "Better than baseline" in row
    auth.logout()
    auth.login("admin", "boss@example.org")  # research exports are the administrator's
    exported = list(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    assert "reeval_fatigue_week" in exported[0]
    assert [r["reeval_fatigue_week"] for r in exported if r["session_number"] == "6"] == ["3.0"]
    bundle = client.get(f"/exports/patients/{patient_id}/fhir.json").get_json()
    tiredness = sorted(e["resource"]["valueQuantity"]["value"] for e in bundle["entry"]
                       if e["resource"]["resourceType"] == "Observation"
                       and e["resource"]["code"]["text"] == "Tiredness, past 7 days (0-10)")
    assert tiredness == [3, 7]
    # And it can be a plan goal.
    assert MEASURES["fatigue"] == "Tiredness, past 7 days (0-10)"


def test_unregistering_takes_it_off_the_forms_again(app, client, auth):
    with registry.registered(FATIGUE):
        from tracker.intake.forms import SleepMoodForm
        with app.test_request_context():
            assert "fatigue_week" in SleepMoodForm(meta={"csrf": False})._fields
    with app.test_request_context():
        assert "fatigue_week" not in SleepMoodForm(meta={"csrf": False})._fields


def test_each_question_has_one_wording_everywhere():
    """PEG-3's first item is the NRS average: one item, one text, on the intake, the
    re-evaluation and in the FHIR answers."""
    peg, average = registry.REGISTRY["peg3"], registry.REGISTRY["nrs_average_week"]
    assert peg.items[0] is average.items[0]
    fields = [item.field for item in registry.items_for(registry.asked_at(registry.INTAKE))]
    assert len(fields) == len(set(fields))


def test_registering_twice_or_a_taken_goal_is_refused():
    with pytest.raises(ValueError):
        registry.register(registry.REGISTRY["peg3"])
    clash = registry.Instrument("x", "x", "", "X", "X", (), 0, 10, goal="peg")
    with pytest.raises(ValueError):
        registry.register(clash)
