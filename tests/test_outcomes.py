"""The outcome engine on the worked examples of shared/clinical/instruments.md."""
from datetime import UTC, datetime, timedelta

import pytest

from tracker.clinical import instruments, outcomes
from tracker.clinical.outcomes import Reading, SessionPain

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
START = T0 + timedelta(weeks=1)  # the first session, a week after the intake


def series(instrument, frame, values, intake=True):
    """Readings a week apart; the first is the intake when `intake` is true, then sessions
    numbered 1, 2, ... (session ids equal their numbers)."""
    rows = []
    for i, v in enumerate(values):
        number = i if intake else i + 1
        if intake and i == 0:
            rows.append(Reading(instrument, frame, v, T0, "intake"))
        else:
            rows.append(Reading(instrument, frame, v, T0 + timedelta(weeks=i), "session",
                                number, number))
    return rows


def course(intake=True, window=30):
    return outcomes.Course(START if intake else T0, 1, window)


@pytest.mark.parametrize(("baseline", "latest", "absolute", "percent", "category"), [
    (8, 4, -4, 50.0, "substantial"),
    (6, 4, -2, 33.3, "responder"),
    (3, 2, -1, 33.3, "not_responder_small"),
    (7, 6, -1, 14.3, "minimal"),
    (5, 6, 1, -20.0, "worse"),
    (0, 1, 1, None, "no_baseline"),
])
def test_worked_examples_compare_intake_with_the_latest_value(baseline, latest, absolute,
                                                              percent, category):
    found = outcomes.outcome(series("nrs", "now", [baseline, 9, latest]), course())
    assert found.baseline.value == baseline and found.latest.value == latest
    assert (found.absolute, found.change.percent, found.category) == (absolute, percent, category)


def test_issue_example_seven_to_three_is_57_percent_substantial():
    found = outcomes.outcome(series("nrs", "now", [7, 6, 6, 5, 5, 4, 4, 4, 3, 3, 3]), course())
    assert found.change.category == "substantial"
    assert outcomes.percent_text(found.change.percent) == "57 %"
    assert found.responder


def test_peg_uses_no_two_point_floor():
    found = outcomes.outcome(series("peg3", "", [8.0, 6.0, 5.0]), course())
    assert (found.absolute, found.change.percent, found.category) == (-3.0, 37.5, "responder")


def test_peg_is_classified_from_its_items_not_the_rounded_mean():
    def peg(items, at, source, sid=None):
        return Reading("peg3", "", instruments.REGISTRY["peg3"].score(items), at, source, sid, sid,
                       items=dict(zip(("pain", "enjoyment", "activity"), items, strict=True)))
    rows = [peg([7, 7, 6], T0, "intake"), peg([6, 6, 6], START, "session", 1),
            peg([5, 5, 4], START + timedelta(weeks=1), "reevaluation", 2)]
    found = outcomes.outcome(rows, course())
    # Means 6.7 -> 4.7 read as 29.9 %; the item sums 20 -> 14 are exactly 30 %.
    assert (found.change.percent, found.category) == (30.0, "responder")


def test_baseline_is_the_newest_intake_in_the_window_and_later_intakes_never_count():
    rows = [Reading("nrs", "now", 9, START - timedelta(days=400), "intake"),
            Reading("nrs", "now", 8, START - timedelta(days=2), "intake"),
            Reading("nrs", "now", 8, START, "session", 1, 1),
            Reading("nrs", "now", 4, START + timedelta(weeks=1), "session", 2, 2),
            Reading("nrs", "now", 8, START + timedelta(weeks=2), "intake")]  # a late form
    found = outcomes.outcome(rows, course())
    assert (found.baseline.value, found.latest.value, found.category) == (8, 4, "substantial")


def test_an_intake_older_than_the_window_is_not_this_course_s_baseline():
    """A second course ten weeks after the first intake: its first session's pre-needling
    score is the baseline, and that score is never a response."""
    rows = [Reading("nrs", "now", 8, START - timedelta(weeks=10), "intake"),
            Reading("nrs", "now", 5, START, "session", 1, 1)]
    found = outcomes.outcome(rows, course())
    assert found.baseline.session_id == 1 and found.latest is None
    assert found.change is None and found.label == "Not measured again yet"
    response = outcomes.course_response(rows, course())
    assert response.baseline.value == 5 and response.first_response is None
    # A wider window the clinic chose takes the intake again.
    wide = outcomes.outcome(rows, course(window=90))
    assert wide.baseline.source == "intake"


def test_without_an_intake_the_first_session_is_the_baseline():
    found = outcomes.outcome(series("nrs", "now", [6, 5, 3], intake=False), course(False))
    assert found.baseline.session_number == 1 and found.baseline.value == 6
    assert found.change.percent == 50.0


def test_without_any_baseline_the_outcome_says_so():
    rows = [Reading("sleep", "week", 3, START - timedelta(days=200), "intake"),
            Reading("sleep", "week", 6, START + timedelta(weeks=5), "reevaluation", 6, 6)]
    found = outcomes.outcome(rows, course())
    assert found.baseline is None and found.latest.value == 6
    assert found.label == "No baseline for this course"


def test_sleep_goes_up_when_better_and_has_no_threshold_category():
    found = outcomes.outcome(series("sleep", "week", [3, 4, 6]), course())
    assert found.category == "improved" and found.change.percent is None
    worse = outcomes.outcome(series("med_days", "week", [2, 2, 5]), course())
    assert worse.category == "worse"


def test_pgic_has_a_latest_value_and_no_baseline():
    found = outcomes.outcome([Reading("pgic", "", 4, START + timedelta(weeks=2), "reevaluation"),
                              Reading("pgic", "", 2, START + timedelta(weeks=4),
                                      "reevaluation")], course())
    assert found.baseline is None and found.latest.value == 2
    assert found.responder and found.label == "Much improved"


def test_outcomes_list_pain_first_and_leave_after_needling_to_immediate_effect():
    rows = (series("sleep", "week", [3, 5, 6]) + series("nrs", "now", [7, 5, 3])
            + series("nrs", "after_needling", [5, 2], intake=False)
            + series("nrs", "average_week", [6, 5, 4]))
    found = outcomes.outcomes(rows, course())
    assert [(o.instrument, o.time_frame) for o in found] == [
        ("nrs", "now"), ("nrs", "average_week"), ("sleep", "week")]


def test_a_single_value_is_shown_without_a_comparison():
    found = outcomes.outcome(series("nrs", "now", [7]), course())
    assert found.change is None and found.label == "Not measured again yet"


def test_immediate_effect_per_session():
    effect = outcomes.immediate_effects([SessionPain(1, None, 7, 5), SessionPain(2, None, 6, 6),
                                         SessionPain(3, None, 5, None)])
    assert (effect.sessions, effect.mean_change, effect.relieved) == (2, -1.0, 1)


def test_rates_never_divide_by_zero():
    assert outcomes.per_100(3, 40) == 7.5
    assert outcomes.per_100(0, 0) is None and outcomes.rate(0, 0) is None
    assert outcomes.percent_text(12.5) == "13 %"  # half up, not banker's rounding


def test_an_earlier_course_is_one_that_ended_before_this_one_began():
    from datetime import date

    from tracker.clinical.outcomes import previous_last_visit
    d = date(2026, 11, 1)
    earlier = [(1, d), (1, date(2026, 11, 8))]
    assert previous_last_visit(earlier, 2, date(2026, 11, 20)) == date(2026, 11, 8)
    assert previous_last_visit(earlier, 2, date(2026, 11, 8)) is None  # still treating that day
    concurrent = earlier + [(1, date(2026, 11, 22))]  # the other course goes on: not earlier
    assert previous_last_visit(concurrent, 2, date(2026, 11, 20)) is None
    assert previous_last_visit([(None, d)], 2, date(2026, 11, 20)) is None  # a one-off visit
    assert previous_last_visit([(2, d)], 2, date(2026, 11, 20)) is None  # its own sessions
    assert previous_last_visit(earlier + [(3, date(2026, 11, 12))], 2,
                               date(2026, 11, 20)) == date(2026, 11, 12)
