"""One rule, one baseline: the summary, the patient page, the dashboard's plan rows and the CSV
give the same answer at the exact boundaries (instruments.md), and each course has its own
baseline."""
import csv
import io
import re
from datetime import timedelta

import pytest

from tests import factories
from tracker import clock
from tracker.clinical.outcome_rule import CATEGORY_LABELS, RESPONSE
from tracker.extensions import db
from tracker.measurements import services as measurements
from tracker.plans.models import TreatmentPlan
from tracker.reports import plan_outcomes, summary


def course(patient, user, pains, *, days_ago, intake=None, reevaluations=None):
    """A plan whose sessions 1, 2, ... were a week apart from `days_ago` days ago, with an
    intake NRS (and PEG items) three days before its first session when given."""
    start = clock.now() - timedelta(days=days_ago)
    if intake is not None:
        nrs, peg = intake
        when = start - timedelta(days=3)
        measurements.add(patient.id, "nrs", nrs, source="intake", taken_at=when,
                         time_frame="now")
        if peg:
            measurements.add(patient.id, "peg3", round(sum(peg) / 3, 1), source="intake",
                             taken_at=when, items=dict(zip(("pain", "enjoyment", "activity"),
                                                           peg, strict=True)))
    plan = factories.plan_row(patient, user, start_on=clock.local_date(start))
    for number, pain in enumerate(pains, start=1):
        visit = factories.appointment(patient, user, start + timedelta(weeks=number - 1),
                                      plan=plan, number=number)
        answers = (reevaluations or {}).get(number)
        factories.signed_session(patient, user, visit, pain_before=pain, pain_after=pain,
                                 reevaluation=answers)
    return plan


def everywhere(app, client, patient_id, plan_id, session_number=2, measure=("nrs", "now")):
    """The category of the change at one visit as the summary, the dashboard row and the CSV
    tell it (the summary's is its latest value, here that visit)."""
    with app.app_context():
        patient = db.session.get(summary.Patient, patient_id)
        built = summary.build(patient, db.session.get(TreatmentPlan, plan_id))
        found = next(o for o in built.outcomes if (o.instrument, o.time_frame) == measure)
        row = plan_outcomes.compute(TreatmentPlan.id == plan_id)[0]
    table = list(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    line = next(r for r in table if r["plan_id"] == str(plan_id)
                and r["session_number"] == str(session_number))
    column = "pain_before_category" if measure == ("nrs", "now") else "reeval_peg3_category"
    return found, row, line[column]


NRS_CASES = [  # baseline, at visit 2, category
    (8, 4, "substantial"), (10, 7, "responder"), (6, 4, "responder"), (4, 2, "substantial"),
    (2, 1, "not_responder_small"), (1, 0, "not_responder_small"), (3, 2, "not_responder_small"),
    (7, 6, "minimal"), (5, 6, "worse"), (10, 10, "no_change"), (0, 1, "no_baseline")]


@pytest.mark.parametrize(("baseline", "latest", "category"), NRS_CASES)
def test_nrs_boundaries_agree_on_summary_patient_page_dashboard_and_csv(
        app, client, auth, baseline, latest, category):
    user_id = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient("Ayşe", "Yılmaz")
        plan = course(patient, user_id, [baseline, latest], days_ago=14, intake=(baseline, None))
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    found, row, csv_category = everywhere(app, client, patient_id, plan_id)
    assert found.baseline.source == "intake" and found.category == category
    assert csv_category == category
    responder = category in RESPONSE
    assert (row["first_resp"] == 2) == responder and row["resp_6"] is False
    assert (row["last_resp_n"] == row["last_n"]) == responder
    page = client.get(f"/patients/{patient_id}").text
    assert CATEGORY_LABELS[category].lower() in page


PEG_CASES = [  # intake items, re-evaluation items, category
    ((7, 7, 6), (5, 5, 4), "responder"),     # 20 -> 14: exactly 30 %
    ((4, 3, 3), (2, 2, 1), "substantial"),   # 10 -> 5: exactly 50 %
    ((8, 7, 7), (4, 4, 3), "substantial"),   # 22 -> 11: exactly 50 %
    ((8, 7, 9), (5, 4, 6), "responder"),     # the reference's worked example, 37.5 %
    ((9, 9, 9), (7, 7, 6), "minimal"),       # 27 -> 20: 25.9 %
]


@pytest.mark.parametrize(("before", "after", "category"), PEG_CASES)
def test_peg_boundaries_come_from_the_items_on_summary_and_csv(app, client, auth, before,
                                                               after, category):
    user_id = auth.login("admin", "boss@example.org")
    reeval = {2: {"nrs_average_week": after[0], "peg_enjoyment": after[1],
                  "peg_activity": after[2]}}
    with app.app_context():
        patient = factories.patient()
        plan = course(patient, user_id, [6, 5], days_ago=14, intake=(6, before),
                      reevaluations=reeval)
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    found, _, csv_category = everywhere(app, client, patient_id, plan_id, measure=("peg3", ""))
    assert (found.category, csv_category) == (category, category)
    page = client.get(f"/reports/patients/{patient_id}/summary?plan={plan_id}").text
    assert CATEGORY_LABELS[category] in page
    if category == "responder" and before == (7, 7, 6):
        assert "30 %" in page


def test_a_second_course_has_its_own_baseline_everywhere(app, client, auth):
    """The intake is ten weeks old when the second course starts: that course's baseline is
    its first session's score, which is never a response itself."""
    user_id = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient()
        first = course(patient, user_id, [7, 4], days_ago=77, intake=(8, None))
        second = course(patient, user_id, [5, 3], days_ago=10)
        db.session.commit()
        patient_id, first_id, second_id = patient.id, first.id, second.id
    found, row, category = everywhere(app, client, patient_id, first_id)
    assert (found.baseline.value, found.category, category) == (8, "substantial", "substantial")
    assert row["first_resp"] == 2
    found, row, category = everywhere(app, client, patient_id, second_id)
    assert found.baseline.source == "session" and found.baseline.value == 5
    assert (found.category, category) == ("responder", "responder")  # 5 -> 3: 40 %, 2 points
    assert row["first_resp"] == 2 and row["scored"]
    table = list(csv.DictReader(io.StringIO(client.get("/exports/sessions.csv").text)))
    baselines = {(r["plan_id"], r["session_number"]): (r["baseline_nrs_now"],
                                                       r["pain_before_category"])
                 for r in table}
    assert baselines[(str(first_id), "1")] == ("8.0", "")          # scored before needling
    assert baselines[(str(second_id), "1")] == ("5.0", "")         # before any needling
    assert baselines[(str(second_id), "2")] == ("5.0", "responder")


def test_an_earlier_courses_intake_is_not_a_second_course_baseline_even_inside_the_window(
        app, client, auth):
    """instruments.md: an intake from an earlier course is not this course's baseline. The
    intake (2) is 17 days old when the second course starts, inside the 30-day window, but the
    first course treated the patient after it: the second starts from its own first score."""
    user_id = auth.login("admin", "boss@example.org")
    with app.app_context():
        patient = factories.patient("Olga", "Yılmaz")
        course(patient, user_id, [6], days_ago=24, intake=(2, None))
        second = course(patient, user_id, [10, 7], days_ago=10)
        db.session.commit()
        patient_id, second_id = patient.id, second.id
    found, row, category = everywhere(app, client, patient_id, second_id)
    assert (found.baseline.source, found.baseline.value) == ("session", 10)
    assert (found.category, category) == ("responder", "responder")  # 10 -> 7: exactly 30 %
    assert row["first_resp"] == 2
    page = client.get(f"/patients/{patient_id}").text
    assert "worse than baseline" not in page.lower()
    assert CATEGORY_LABELS["responder"].lower() in page.lower()


def test_without_a_baseline_the_summary_says_so_and_offers_to_record_one(app, client, auth):
    user_id = auth.login("admin", "boss@example.org")
    reeval = {2: {"nrs_average_week": 4, "peg_enjoyment": 4, "peg_activity": 4}}
    with app.app_context():
        patient = factories.patient()
        plan = course(patient, user_id, [6, 5], days_ago=14, reevaluations=reeval)
        db.session.commit()
        patient_id, plan_id = patient.id, plan.id
    page = client.get(f"/reports/patients/{patient_id}/summary?plan={plan_id}").text
    assert "No baseline for this course" in page
    assert f"/reports/patients/{patient_id}/baseline/new?plan={plan_id}" in page
    form = client.get(f"/reports/patients/{patient_id}/baseline/new?plan={plan_id}").text
    assert "What number best describes how, during the past week, pain has interfered" in form
    with app.app_context():
        asked_on = (clock.today() - timedelta(days=16)).isoformat()
    half = client.post(f"/reports/patients/{patient_id}/baseline/new?plan={plan_id}",
                       data={"taken_on": asked_on, "peg_enjoyment": "8"})
    assert half.status_code == 400 and "Answer every PEG-3 question" in half.text
    done = client.post(f"/reports/patients/{patient_id}/baseline/new?plan={plan_id}",
                       data={"taken_on": asked_on, "nrs_average_week": "8",
                             "peg_enjoyment": "8", "peg_activity": "8"})
    assert done.status_code == 302 and f"plan={plan_id}" in done.headers["Location"]
    page = client.get(f"/reports/patients/{patient_id}/summary?plan={plan_id}").text
    peg = re.search(r"PEG-3 pain, enjoyment and activity.*?</tr>", page, re.S).group(0)
    assert "No baseline for this course" not in peg
    assert CATEGORY_LABELS["substantial"] in peg  # items 8,8,8 -> 4,4,4: 50 %
