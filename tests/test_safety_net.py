"""The clinical safety net (issue 15 items 1 and 2): flags as a clinical record raised at any
visit, flags inferred from the medicine list, remedies checked against medicines and flags,
pregnancy point classes by stage, electro in pregnancy, heat with diabetes or reduced sensation,
"not sure" red-flag answers, and the emergency red flag that blocks signing.

Worked cases follow ../shared/clinical/safety.md (WHO 1999; AHCPR 1994; Izzo & Ernst 2009;
Chan 2001)."""
import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.intake_helpers import answers
from tests.test_plans import plan_data
from tests.test_sessions import count, open_record, payload
from tracker.clinical import interactions, pregnancy, safety
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.plans.models import PlanSafetyConfirmation, TreatmentPlan
from tracker.sessions import rules
from tracker.sessions.models import SafetyConfirmation, SessionRecord


def text(response) -> str:
    return html.unescape(response.data.decode())


@pytest.fixture
def world(app, auth):
    """A practitioner (logged in), a patient with an active plan and visit 4 today."""
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient("Hannah", "Eriksen", date(1985, 1, 2))
        plan = factories.plan_row(patient, user_id, sessions_planned=10, reeval_every=6,
                                  points=[("GB30", "left")])
        appointment = factories.appointment(patient, user_id, plan=plan, number=4)
        db.session.commit()
        return {"patient": patient.id, "plan": plan.id, "appointment": appointment.id,
                "user": user_id}


# --- Worked cases: the curated medicine and herb list ------------------------------------------

@pytest.mark.parametrize(("written", "found"), [
    ("Warfarin 5 mg", ["warfarin"]),
    ("Apixaban", ["apixaban"]),
    ("ELIQUIS 2.5mg twice a day", ["apixaban"]),
    ("Clexane injections", ["enoxaparin"]),
    ("Salvia miltiorrhiza extract", ["Dan Shen"]),
    ("Danshen", ["Dan Shen"]),
    ("omega-3 fish oil 2 g", ["fish oil"]),
    ("St John’s wort", ["St John's wort"]),
    ("Panax notoginseng (San Qi)", ["San Qi"]),      # not Panax ginseng
    ("Ginkgo biloba and turmeric", ["ginkgo", "turmeric"]),
    ("Metformin 500 mg", []),
    ("Warfarinex", []),                                 # word boundaries, not substrings
    ("gingerbread", []),
])
def test_medicine_names_match_on_word_boundaries(written, found):
    assert [m.entry.name for m in interactions.matches(written)] == found


def test_a_match_names_what_it_matched_and_its_class():
    match = interactions.matches("Warfarin 5 mg")[0]
    assert match.describe() == "“Warfarin 5 mg” matches warfarin (vitamin K antagonist)"
    assert match.entry.blood_thinner and match.entry.source


def test_every_list_entry_has_a_class_concern_and_source():
    for entry in interactions.entries():
        assert entry.cls and entry.concern and entry.source, entry


def test_remedies_warn_only_with_a_blood_thinner_or_a_bleeding_flag():
    remedies = ["Dan Shen", "Ginkgo biloba", "Du Huo Ji Sheng Tang"]
    on_warfarin = interactions.remedy_warnings(remedies, ["Warfarin", "Apixaban"], False)
    assert [w.rule for w in on_warfarin] == ["remedy:dan-shen", "remedy:ginkgo"]
    assert "raises INR with warfarin" in on_warfarin[0].message
    assert "Warfarin (warfarin)" in on_warfarin[0].message and "Chan 2001" in on_warfarin[0].message
    assert interactions.remedy_warnings(remedies, ["Metformin"], False) == []
    assert len(interactions.remedy_warnings(remedies, [], True)) == 2


# --- Worked cases: pregnancy by stage (WHO 1999) -----------------------------------------------

@pytest.mark.parametrize(("weeks", "stage"), [
    (None, 1), (4, 1), (13, 1), (14, 2), (27, 2), (28, 3), (39, 3)])
def test_trimester_from_weeks_unknown_taken_as_first(weeks, stage):
    assert pregnancy.trimester(weeks) == stage


def test_weeks_counted_on_from_the_day_recorded_or_from_the_due_date():
    day = date(2026, 6, 1)
    assert pregnancy.weeks_on(day, 10, day - timedelta(weeks=5)) == 15
    assert pregnancy.weeks_on(day, due_on=day + timedelta(weeks=26)) == 14
    assert pregnancy.weeks_on(day, due_on=day + timedelta(weeks=26, days=3)) == 13
    assert pregnancy.weeks_on(day) is None
    assert [pregnancy.weeks_in(t) for t in ("12 weeks", "about 20", "wk 8", "not sure")] == [
        12, 20, 8, None]


@pytest.mark.parametrize(("weeks", "codes", "warned"), [
    (10, ["CV3", "CV4", "BL32", "BL23", "CV12", "GB30"], ["CV3", "CV4", "BL32", "BL23"]),
    (None, ["CV4", "CV12"], ["CV4"]),                    # unknown stage: first trimester
    (20, ["CV3", "CV4", "BL32", "BL23", "CV12", "ST36"], ["BL32", "BL23", "CV12"]),
    (32, ["KI18", "GV4", "LI4"], ["KI18", "GV4", "LI4"]),
])
def test_pregnancy_point_classes_by_stage(weeks, codes, warned):
    found = rules.safety_warnings({"pregnancy"}, codes, "manual", [20], [], weeks)
    assert [w.rule for w in found] == [f"pregnancy_point:{c}" for c in warned]
    assert rules.safety_warnings(set(), codes, "manual", [20], [], weeks) == []


def test_electro_in_pregnancy_asks_for_confirmation():
    by_adjunct = rules.safety_warnings({"pregnancy"}, [], "manual", [20], ["electro"], 20)
    by_needle = rules.safety_warnings({"pregnancy"}, [], ["electrical"], [20], [], 20)
    assert [w.rule for w in by_adjunct] == [w.rule for w in by_needle] == ["electro_pregnancy"]


@pytest.mark.parametrize("flag", ["diabetes", "reduced_sensation", "immunosuppression"])
@pytest.mark.parametrize("kind", ["moxa-direct", "moxa-indirect", "warm-needle", "heat-lamp"])
def test_heat_and_moxa_with_diabetes_or_reduced_sensation(flag, kind):
    found = rules.safety_warnings({flag}, [], "manual", [20], [kind])
    assert [w.rule for w in found] == [f"heat_sensation:{kind}"]
    assert "burns go unnoticed" in found[0].message
    assert rules.safety_warnings({"pregnancy"}, [], "manual", [20], [kind]) == []
    assert rules.safety_warnings({flag}, [], "manual", [20], ["cupping-dry"]) == []


def test_screen_rule_raises_not_sure_answers_for_discussion():
    calm = {f.code: "no" for f in safety.RED_FLAGS}
    raised = safety.screen_flags({"pregnancy": "unsure", "metal": "no"}, {},
                                 calm | {"fever": "unsure", "saddle_numbness": "unsure"})
    assert [k for k, _ in raised] == ["pregnancy", "red_flag_unsure", "red_flag_unsure"]
    assert raised[0][1] == "Patient answered “not sure”"
    assert "ask before treating today" in raised[2][1] and "ask before" not in raised[1][1]
    # The list of kinds and the old function agree: one rule.
    assert safety.flags_from_screen({"pregnancy": "unsure"}) == ["pregnancy"]


def test_emergency_acknowledgement_needs_an_action_and_words():
    assert safety.emergency_acknowledgement(None, "sent to A&E") is None
    assert safety.emergency_acknowledgement("referred", "  ") is None
    assert safety.emergency_acknowledgement("referred", "A&E, 10:40, by phone") == (
        "Referred for same-day emergency care: A&E, 10:40, by phone")


# --- HTTP flows -------------------------------------------------------------------------------

def test_a_flag_raised_at_visit_4_warns_on_the_session_form(app, client, world):
    session_id, page = open_record(client, world)
    assert "Raise a safety flag" in page
    form = client.get(f"/patients/{world['patient']}/flags/new?next=/sessions/{session_id}/edit")
    assert form.status_code == 200
    response = client.post(
        f"/patients/{world['patient']}/flags/new?next=/sessions/{session_id}/edit",
        data={"kind": "pregnancy", "source": "patient", "detail": "Positive test on Monday",
              "weeks": "10", "due_on": ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{session_id}/edit")
    with app.app_context():
        flag = db.session.scalars(select(SafetyFlag)).one()
        assert (flag.kind, flag.source, flag.raised_by_id, flag.weeks) == (
            "pregnancy", "patient", world["user"], 10)
    page = text(client.get(f"/sessions/{session_id}/edit"))
    assert "10 weeks (first trimester)" in page and "Positive test on Monday" in page
    data = payload(page, **{"points-1-point": "CV4", "points-1-side": "midline",
                            "action": "save"})
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 400
    assert "a lower abdomen (below the umbilicus) point, avoided in pregnancy" in text(response)
    response = client.post(f"/sessions/{session_id}/edit",
                           data=data | {"confirm": "pregnancy_point:CV4"})
    assert response.status_code == 302
    with app.app_context():
        assert [c.rule for c in db.session.scalars(select(SafetyConfirmation))] == [
            "pregnancy_point:CV4"]
    # Edited later (the due date now known), audited; the stage follows.
    with app.app_context():
        flag_id = db.session.scalars(select(SafetyFlag.id)).one()
    due = (date.today() + timedelta(weeks=20)).isoformat()
    response = client.post(f"/flags/{flag_id}/edit", data={
        "kind": "pregnancy", "source": "patient", "detail": "Scan done", "weeks": "",
        "due_on": due})
    assert response.status_code == 302
    assert "20 weeks (second trimester)" in text(client.get(f"/patients/{world['patient']}"))


def _intake_on_blood_thinners(app, patient_id):
    health = {"medications-0-name": "Warfarin", "medications-0-dose": "5 mg",
              "medications-1-name": "Apixaban", "medications-1-dose": "",
              "medications-1-how_often": ""}
    with app.test_request_context():
        factories.submitted_intake(patient_id, answers(
            health=health, safety={"safety_bleeding": "no", "safety_bleeding_detail": ""}))
        db.session.commit()


def test_warfarin_with_no_to_bleeding_raises_an_inferred_flag_that_can_be_dismissed(
        app, client, world):
    _intake_on_blood_thinners(app, world["patient"])
    with app.app_context():
        flag = db.session.scalars(select(SafetyFlag)).one()
        assert (flag.kind, flag.source, flag.active) == ("bleeding_risk", "inferred", True)
        assert flag.matched.splitlines() == [
            "“Warfarin” matches warfarin (vitamin K antagonist)",
            "“Apixaban” matches apixaban (direct oral anticoagulant)"]
        flag_id = flag.id
    page = text(client.get(f"/patients/{world['patient']}"))
    assert "Bleeding risk" in page and "“Warfarin” matches warfarin" in page
    with app.app_context():
        from tracker.intake.models import Intake
        intake_id = db.session.scalars(select(Intake.id)).one()
    assert "“Apixaban” matches apixaban" in text(client.get(f"/intakes/{intake_id}"))
    assert "Dismiss the match" in page
    session_id, page = open_record(client, world)
    assert "“Apixaban” matches apixaban" in text(client.get(f"/sessions/{session_id}/edit"))
    response = client.post(f"/flags/{flag_id}/dismiss-match",
                           data={"note": "stopped both in 2024, GP letter"})
    assert response.status_code == 302
    with app.app_context():
        flag = db.session.get(SafetyFlag, flag_id)
        assert not flag.active and flag.resolved_by_id == world["user"]
        assert flag.resolution == "False match dismissed: stopped both in 2024, GP letter"


def test_a_yes_answer_is_reinforced_by_the_match_not_duplicated(app, world):
    with app.test_request_context():
        factories.submitted_intake(world["patient"])  # "yes" to bleeding, Warfarin 5 mg
        db.session.commit()
        flag = db.session.scalars(select(SafetyFlag)).one()
        assert flag.source == "intake" and "warfarin" in flag.matched


def test_dan_shen_and_ginkgo_for_that_patient_need_a_stored_confirmation(app, client, world):
    _intake_on_blood_thinners(app, world["patient"])
    import tests.test_plans as plans_tests
    plans_tests.PRACTITIONER["id"] = str(world["user"])
    data = plan_data(**{"remedies-0-name": "Dan Shen", "remedies-0-dose": "9 g",
                        "remedies-1-kind": "supplement", "remedies-1-name": "Ginkgo biloba",
                        "remedies-1-dose": "120 mg"})
    with app.app_context():
        before = db.session.query(TreatmentPlan).count()
    response = client.post(f"/plans/patients/{world['patient']}/new", data=data)
    assert response.status_code == 400
    page = text(response)
    assert "“Dan Shen” matches Dan Shen (herb or supplement): raises INR with warfarin" in page
    assert "“Ginkgo biloba” matches ginkgo" in page and "Warfarin (warfarin)" in page
    with app.app_context():
        assert db.session.query(TreatmentPlan).count() == before
    response = client.post(f"/plans/patients/{world['patient']}/new", data=data | {
        "confirm": ["remedy:dan-shen", "remedy:ginkgo"]})
    assert response.status_code == 302, text(response)
    plan_id = int(re.search(r"/plans/(\d+)$", response.headers["Location"]).group(1))
    with app.app_context():
        rows = db.session.scalars(select(PlanSafetyConfirmation).where(
            PlanSafetyConfirmation.plan_id == plan_id)).all()
        assert sorted(r.rule for r in rows) == ["remedy:dan-shen", "remedy:ginkgo"]
        assert {r.confirmed_by_id for r in rows} == {world["user"]}
    page = text(client.get(f"/plans/{plan_id}"))
    assert "Herb and supplement checks confirmed" in page and "Confirmed by" in page
    # Saved again unchanged: the confirmations stand, nothing is asked twice.
    response = client.post(f"/plans/{plan_id}/edit", data=data)
    assert response.status_code == 302, text(response)
    assert count(app, PlanSafetyConfirmation) == 2


def test_cauda_equina_flag_blocks_signing_until_referral_or_reason(app, client, world):
    with app.app_context():
        db.session.add(SafetyFlag(patient_id=world["patient"], kind="cauda_equina",
                                  detail="Possible cauda equina syndrome: saddle numbness"))
        db.session.commit()
        flag_id = db.session.scalars(select(SafetyFlag.id)).one()
    session_id, page = open_record(client, world)
    assert "Emergency red flag" in page
    data = payload(page, action="sign")
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 400
    assert "record the referral made, or why treatment goes ahead" in text(response)
    response = client.post(f"/sessions/{session_id}/edit", data=data | {
        "emergency_action": "referred", "emergency_note": ""})
    assert response.status_code == 400
    with app.app_context():
        assert not db.session.get(SessionRecord, session_id).signed
    response = client.post(f"/sessions/{session_id}/edit", data=data | {
        "emergency_action": "referred",
        "emergency_note": "Sent to A&E at 10:40; GP phoned; patient agreed to go now"})
    assert response.status_code == 302, text(response)[:3000]
    with app.app_context():
        record = db.session.get(SessionRecord, session_id)
        assert record.signed
        confirmation = db.session.scalars(select(SafetyConfirmation)).one()
        assert confirmation.rule == f"emergency:{flag_id}"
        assert confirmation.detail.endswith(
            "Referred for same-day emergency care: Sent to A&E at 10:40; GP phoned; "
            "patient agreed to go now")
        assert confirmation.confirmed_by_id == world["user"]


def test_not_sure_to_a_red_flag_raises_a_discussion_flag(app, client, world):
    calm = {f"red_{f.code}": "no" for f in safety.RED_FLAGS}
    with app.test_request_context():
        factories.submitted_intake(world["patient"], answers(safety=calm | {
            "safety_bleeding": "no", "safety_bleeding_detail": "",
            "red_bladder_bowel": "unsure"}, health={"medications-0-name": "Paracetamol"}))
        db.session.commit()
        flags = db.session.scalars(select(SafetyFlag)).all()
        assert [f.kind for f in flags] == ["red_flag_unsure"]
        assert "ask before treating today" in flags[0].detail
    session_id, page = open_record(client, world)
    assert "Back pain red flag answered “not sure”" in html.unescape(page)
