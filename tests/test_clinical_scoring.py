"""Scoring checked against the worked examples in shared/clinical/instruments.md."""
import filecmp
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.clinical import body_regions, conditions, instruments, outcome_rule, safety

SHARED = Path(__file__).resolve().parents[2] / "shared" / "clinical"
DATA = Path(__file__).resolve().parents[1] / "tracker" / "clinical" / "data"


@pytest.mark.parametrize(("baseline", "latest", "absolute", "percent", "category"), [
    (8, 4, -4, 50.0, "substantial"),
    (6, 4, -2, 33.3, "responder"),
    (3, 2, -1, 33.3, "not_responder_small"),
    (7, 6, -1, 14.3, "minimal"),
    (5, 6, 1, -20.0, "worse"),
    (0, 1, 1, None, "no_baseline"),
])
def test_nrs_change_worked_examples(baseline, latest, absolute, percent, category):
    change = outcome_rule.classify(instruments.REGISTRY["nrs_now"], baseline, latest)
    assert (change.absolute, change.percent, change.category) == (absolute, percent, category)


PEG = instruments.REGISTRY["peg3"]


def peg(items):
    return dict(zip(("nrs_average_week", "peg_enjoyment", "peg_activity"), items, strict=True))


def test_peg_worked_example_is_a_responder_without_the_nrs_two_point_floor():
    baseline, latest = PEG.score([8, 7, 9]), PEG.score([5, 4, 6])
    assert (baseline, latest) == (8.0, 5.0)
    change = outcome_rule.classify(PEG, PEG.exact([8, 7, 9]), PEG.exact([5, 4, 6]))
    assert (change.absolute, change.percent, change.category) == (-3.0, 37.5, "responder")


def test_peg_needs_all_three_items_and_rounds_to_one_decimal():
    assert PEG.score([3, 4, 4]) == 3.7
    assert PEG.item_answers(peg([3, None, 4])) is None
    assert instruments.score_answers(peg([3, None, 4]), instruments.INTAKE, only=["peg3"]) == []
    with pytest.raises(ValueError):
        PEG.item_answers(peg([3, 11, 4]))


def test_phq2_worked_example_is_a_positive_screen():
    phq2 = instruments.REGISTRY["phq2"]
    assert phq2.score([2, 1]) == 3 and phq2.positive(phq2.score([2, 1]))
    assert phq2.score([1, 1]) == 2 and not phq2.positive(2)


@given(st.lists(st.integers(0, 3), min_size=2, max_size=2))
def test_two_item_screen_total_and_threshold(items):
    for code in ("phq2", "gad2"):
        screen = instruments.REGISTRY[code]
        total = screen.score(items)
        assert 0 <= total <= 6 and screen.positive(total) == (sum(items) >= 3)


def test_fibromyalgia_worked_example_meets_criteria():
    marked = ["shoulder_girdle_l", "shoulder_girdle_r", "neck", "upper_back", "lower_back",
              "hip_l", "hip_r", "upper_leg_l"]
    sss = instruments.sss_score(3, 2, 1, headaches=True, abdominal=False, depression=False)
    screen = body_regions.fibromyalgia_screen(marked, sss, months=12)
    assert (screen.wpi, screen.regions, screen.sss, screen.met) == (8, 5, 7, True)
    assert not body_regions.fibromyalgia_screen(marked, sss, months=2).met


def test_detail_regions_do_not_count_in_the_wpi():
    assert body_regions.wpi(["knee_l", "knee_r", "head_front", "jaw_l"]) == 1
    # jaw, chest and abdomen count in the WPI but not towards the generalised-pain rule
    assert body_regions.generalised_regions(["jaw_l", "chest", "abdomen"]) == set()


def test_safety_answers_raise_flags_and_red_flags():
    assert safety.flags_from_screen({"pregnancy": "yes", "device": "unsure", "metal": "no"}) == [
        "pregnancy", "implanted_device"]
    raised = safety.red_flags_raised({"saddle_numbness": "yes", "fever": "no"})
    assert [f.code for f in raised] == ["saddle_numbness"] and raised[0].emergency


def test_red_flags_are_asked_for_back_pain_and_sciatica_only():
    assert conditions.needs_red_flags(["sciatica"])
    assert conditions.needs_red_flags(["migraine"], ["lower_back"])
    assert not conditions.needs_red_flags(["migraine", "tmj"], ["jaw_l"])


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside this checkout")
@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.csv")))
def test_data_copies_match_shared_reference(name):
    assert filecmp.cmp(DATA / name, SHARED / name, shallow=False), name
