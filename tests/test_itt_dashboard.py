"""Outcome evidence on the dashboard: intention to treat against completers, with Wilson
intervals and the Kaplan-Meier time to first response, counted in the database and checked
against a hand count; the measure used is named on the page (issue 15, item 4)."""
from datetime import timedelta
from fractions import Fraction

import pytest

from tests import factories
from tracker import clock
from tracker.clinical import statistics
from tracker.extensions import db
from tracker.measurements import services as measurements
from tracker.reports import dashboard

# Seven courses of a ten-visit plan, baseline pain 8 at intake (a response is 5 or less: 30 %
# and 2 points). Pain before needling at visits 1, 2, ...; the plan's status at the end.
COHORT = {
    "A responds at 3, still at 10": ([8, 7, 5, 5, 4, 4, 4, 4, 4, 4], "completed"),
    "B responds at 4, relapses by 10": ([8, 7, 7, 5, 5, 6, 6, 7, 7, 7], "completed"),
    "C never responds, completes": ([8, 8, 7, 7, 7, 7, 7, 6, 7, 7], "completed"),
    "D responds first at 10": ([8, 8, 8, 7, 7, 7, 6, 6, 6, 5], "completed"),
    "E responds at 2, stops at 5": ([8, 5, 5, 4, 4], "discontinued"),
    "F responds at 5, stops at 6": ([8, 7, 7, 6, 5, 5], "discontinued"),
    "G no response, stops at 4": ([8, 8, 7, 7], "discontinued"),
}


def hand_count(within=10):
    """What a clinician counts on paper from COHORT."""
    first = {name: next((i for i, p in enumerate(pains, 1) if i > 1 and p <= 5), None)
             for name, (pains, _) in COHORT.items()}
    itt = sum(1 for f in first.values() if f is not None and f <= within)
    reached = [pains for pains, _ in COHORT.values() if len(pains) >= within]
    completers = sum(1 for pains in reached if pains[within - 1] <= 5)
    return itt, len(COHORT), completers, len(reached)


def seed(patient_name, user, pains, status, days_ago=200, average=None):
    patient = factories.patient(patient_name, "Cohort")
    start = clock.now() - timedelta(days=days_ago)
    measurements.add(patient.id, "nrs", 8, source="intake", taken_at=start - timedelta(days=3),
                     time_frame="now")
    if average is not None:
        measurements.add(patient.id, "nrs", average[0], source="intake",
                         taken_at=start - timedelta(days=3), time_frame="average_week")
    plan = factories.plan_row(patient, user, start_on=clock.local_date(start), status=status,
                              conditions="Low back pain")
    for number, pain in enumerate(pains, start=1):
        visit = factories.appointment(patient, user, start + timedelta(days=3 * (number - 1)),
                                      plan=plan, number=number)
        answers = None
        if average is not None and number in average[1]:
            answers = {"nrs_average_week": average[1][number]}
        factories.signed_session(patient, user, visit, pain_before=pain, pain_after=pain,
                                 reevaluation=answers)
    return plan


@pytest.fixture
def cohort(app):
    with app.app_context():
        user = factories.practitioner("cohort@example.org")
        for name, (pains, status) in COHORT.items():
            seed(name.split()[0], user, pains, status)
        db.session.commit()
        return user.id


def test_hand_count_of_the_cohort_is_the_finding():
    assert hand_count() == (5, 7, 2, 4)


def test_itt_and_completers_match_a_hand_count(app, cohort):
    with app.app_context():
        e = dashboard.compute().evidence
        e4 = dashboard.compute(within=4).evidence
    itt, whole, done, reached = hand_count()
    assert (e.itt.part, e.itt.whole) == (itt, whole) == (5, 7)          # 71 %
    assert (e.completers.part, e.completers.whole) == (done, reached) == (2, 4)  # 50 %
    assert e.itt.percent == 71.4 and e.completers.percent == 50.0
    assert e.itt_interval == (35.9, 91.8)  # Wilson, 5 of 7 (worked below)
    assert e.measures == {"nrs_now": 7}
    # Another N, chosen on the page: within 4 visits E, A and B had responded.
    assert (e4.itt.part, e4.itt.whole) == hand_count(4)[:2] == (3, 7)
    assert (e4.completers.part, e4.completers.whole) == hand_count(4)[2:] == (3, 7)


def test_kaplan_meier_curve_of_the_cohort_by_hand(app, cohort):
    """Events E@2, A@3, B@4, F@5, D@10; censored G@4 (after B's event), C@10 (after D's)."""
    with app.app_context():
        e = dashboard.compute().evidence
    steps = [(s.time, s.at_risk, s.events, s.censored) for s in e.curve]
    assert steps == [(2, 7, 1, 0), (3, 6, 1, 0), (4, 5, 1, 1), (5, 3, 1, 0), (10, 2, 1, 1)]
    by_hand = [Fraction(6, 7), Fraction(5, 7), Fraction(4, 7), Fraction(8, 21), Fraction(4, 21)]
    assert [s.survival for s in e.curve] == pytest.approx([float(f) for f in by_hand])
    assert e.km_within == round(100 * float(1 - Fraction(4, 21)), 1) == 81.0


def test_the_page_shows_itt_completers_interval_curve_and_measure(app, client, auth, cohort):
    auth.login("admin")
    page = client.get("/reports/outcomes").text
    assert "Improved within 10 visits" in page
    assert "5 of 7 courses responded within 10 visits" in page and "71 %" in page
    assert "95 % CI 36–92 %" in page
    assert "2 of 4 courses that reached visit 10" in page
    assert 'class="km"' in page and 'data-final="81"' in page
    assert "pain right now before needling" in page and "(7 courses)" in page
    page = client.get("/reports/outcomes?within=4").text
    assert "3 of 7 courses responded within 4 visits" in page
    assert client.get("/reports/outcomes?within=1").status_code == 400


def test_filters_apply_to_the_evidence(app, client, auth, cohort):
    with app.app_context():
        other = factories.practitioner("other@example.org")
        seed("H", other, [8, 4, 4], "completed")
        db.session.commit()
        mine = dashboard.compute(practitioner_id=cohort).evidence
        theirs = dashboard.compute(practitioner_id=other.id).evidence
        none = dashboard.compute(condition="migraine").evidence
    assert (mine.itt.part, mine.itt.whole) == (5, 7)
    assert (theirs.itt.part, theirs.itt.whole) == (1, 1)
    assert (none.itt.whole, none.curve, none.itt_interval) == (0, [], None)


def test_average_week_pain_is_used_where_collected(app, client, auth):
    """A course with average pain over the past week at intake and re-evaluations is counted
    on it, not on momentary pain: here pain now never drops 30 %, average pain does at 6."""
    auth.login("admin")
    with app.app_context():
        user = factories.practitioner("avg@example.org")
        seed("Avg", user, [8, 7, 7, 7, 7, 7, 7, 7, 7, 7], "completed",
             average=(7, {6: 4, 10: 4}))
        seed("Now", user, [8, 7, 7, 5, 5], "discontinued")
        db.session.commit()
        e = dashboard.compute().evidence
    assert e.measures == {"nrs_now": 1, "nrs_average_week": 1}
    assert (e.itt.part, e.itt.whole) == (2, 2)
    assert [(s.time, s.events) for s in e.curve] == [(4, 1), (6, 1)]
    page = client.get("/reports/outcomes").text
    assert "average pain over the past 7 days (NRS), asked at intake, at re-evaluations and " \
           "in weekly check-ins (1 course)" in page
    assert "where average pain over the past 7 days was not collected (1 course)" in page


def test_courses_under_way_before_n_are_counted_apart(app):
    with app.app_context():
        user = factories.practitioner("way@example.org")
        seed("Way", user, [8, 7, 7], "active", days_ago=10)
        seed("Quick", user, [8, 5], "active", days_ago=10)
        db.session.commit()
        e = dashboard.compute().evidence
    assert (e.itt.part, e.itt.whole, e.in_progress) == (1, 1, 1)


# --- Wilson and Kaplan-Meier on published worked examples -----------------------------------

@pytest.mark.parametrize(("successes", "total", "low", "high"), [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718)])
def test_wilson_matches_newcombe_1998(successes, total, low, high):
    """Newcombe RG, Stat Med 1998;17:857, table I, method 3 (score, no continuity correction)."""
    lo, hi = statistics.wilson(successes, total)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_five_of_seven_by_hand():
    z = statistics.Z95
    p, n = 5 / 7, 7
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert statistics.wilson(5, 7) == pytest.approx((centre - half, centre + half))
    assert [round(x, 3) for x in statistics.wilson(5, 7)] == [0.359, 0.918]
    assert statistics.wilson(0, 0) is None


def test_kaplan_meier_matches_freireich_6mp():
    """The 6-MP arm of Freireich et al. 1963 (the textbook Kaplan-Meier example, e.g. Kleinbaum &
    Klein, Survival Analysis): weeks in remission, + censored."""
    weeks = ["6", "6", "6", "6+", "7", "9+", "10", "10+", "11+", "13", "16", "17+", "19+",
             "20+", "22", "23", "25+", "32+", "32+", "34+", "35+"]
    groups = [(int(w.rstrip("+")), 0 if w.endswith("+") else 1, 1 if w.endswith("+") else 0)
              for w in weeks]
    steps = [(s.time, round(s.survival, 4)) for s in statistics.kaplan_meier(groups) if s.events]
    assert steps == [(6, 0.8571), (7, 0.8067), (10, 0.7529), (13, 0.6902), (16, 0.6275),
                     (22, 0.5378), (23, 0.4482)]
    assert statistics.survival_at(statistics.kaplan_meier(groups), 12) == pytest.approx(
        0.7529, abs=1e-4)
