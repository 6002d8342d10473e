"""The outcome engine on the worked examples of shared/clinical/instruments.md."""
from datetime import UTC, datetime, timedelta

import pytest

from tracker.clinical import outcomes
from tracker.clinical.outcomes import Reading, SessionPain

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def series(instrument, frame, values, intake=True):
    """Readings a week apart; the first is the intake when `intake` is true."""
    return [Reading(instrument, frame, v, T0 + timedelta(weeks=i),
                    "intake" if intake and i == 0 else "session", i or None)
            for i, v in enumerate(values)]


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
    found = outcomes.outcome(series("nrs", "now", [baseline, 9, latest]))
    assert found.baseline.value == baseline and found.latest.value == latest
    assert (found.absolute, found.change.percent, found.category) == (absolute, percent, category)


def test_issue_example_seven_to_three_is_57_percent_substantial():
    found = outcomes.outcome(series("nrs", "now", [7, 6, 6, 5, 5, 4, 4, 4, 3, 3, 3]))
    assert found.change.category == "substantial"
    assert outcomes.percent_text(found.change.percent) == "57 %"
    assert found.responder


def test_peg_uses_no_two_point_floor():
    found = outcomes.outcome(series("peg3", "", [8.0, 5.0]))
    assert (found.absolute, found.change.percent, found.category) == (-3.0, 37.5, "responder")


def test_baseline_is_the_last_intake_before_treatment_and_later_intakes_never_count():
    rows = [Reading("nrs", "now", 9, T0 - timedelta(days=400), "intake"),
            Reading("nrs", "now", 8, T0 - timedelta(days=2), "intake"),
            Reading("nrs", "now", 8, T0, "session", 1),
            Reading("nrs", "now", 4, T0 + timedelta(weeks=1), "session", 2),
            Reading("nrs", "now", 8, T0 + timedelta(weeks=2), "intake")]  # a late form
    found = outcomes.outcome(rows, start=T0)
    assert (found.baseline.value, found.latest.value, found.category) == (8, 4, "substantial")


def test_without_an_intake_the_first_session_is_the_baseline():
    found = outcomes.outcome(series("nrs", "now", [6, 5, 3], intake=False), start=T0)
    assert found.baseline.session_number is None and found.baseline.value == 6
    assert found.change.percent == 50.0


def test_sleep_goes_up_when_better_and_has_no_threshold_category():
    found = outcomes.outcome(series("sleep", "week", [3, 6]))
    assert found.change is None and found.direction == "improved"
    assert outcomes.outcome(series("med_days", "week", [2, 5])).direction == "worse"


def test_pgic_has_a_latest_value_and_no_baseline():
    found = outcomes.outcome([Reading("pgic", "", 4, T0, "reevaluation"),
                              Reading("pgic", "", 2, T0 + timedelta(weeks=4), "reevaluation")])
    assert found.baseline is None and found.latest.value == 2
    assert found.responder and found.label == "Much improved"


def test_outcomes_list_pain_first_and_leave_after_needling_to_immediate_effect():
    rows = (series("sleep", "week", [3, 6]) + series("nrs", "now", [7, 3])
            + series("nrs", "after_needling", [5, 2], intake=False)
            + series("nrs", "average_week", [6, 4]))
    found = outcomes.outcomes(rows)
    assert [(o.instrument, o.time_frame) for o in found] == [
        ("nrs", "now"), ("nrs", "average_week"), ("sleep", "week")]


def test_a_single_value_is_shown_without_a_comparison():
    found = outcomes.outcome(series("nrs", "now", [7]))
    assert found.change is None and found.label == "Not measured again yet"


def test_immediate_effect_per_session():
    effect = outcomes.immediate_effects([SessionPain(1, None, 7, 5), SessionPain(2, None, 6, 6),
                                         SessionPain(3, None, 5, None)])
    assert (effect.sessions, effect.mean_change, effect.relieved) == (2, -1.0, 1)


def test_rates_never_divide_by_zero():
    assert outcomes.per_100(3, 40) == 7.5
    assert outcomes.per_100(0, 0) is None and outcomes.rate(0, 0) is None
    assert outcomes.percent_text(12.5) == "13 %"  # half up, not banker's rounding
