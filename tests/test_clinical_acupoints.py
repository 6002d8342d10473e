"""Acupoint lookup and search, TCM vocabulary, and the data copies kept identical to ../shared."""
from pathlib import Path

import pytest

from tracker.clinical import acupoints, tcm

SHARED = Path(__file__).resolve().parents[2] / "shared" / "clinical"
OURS = Path(acupoints.__file__).resolve().parent / "data"


@pytest.mark.parametrize("name", ["acupoints.csv", "extra_points.csv"])
def test_data_copies_match_shared(name):
    if not (SHARED / name).exists():
        pytest.skip("../shared is not beside the project (as on a user's machine)")
    assert (OURS / name).read_bytes() == (SHARED / name).read_bytes()


def test_all_361_who_points_and_meridian_counts():
    table = acupoints.points()
    who = [p for p in table.values() if not p.is_extra]
    assert len(who) == 361
    counts = {m: sum(p.meridian == m for p in who) for m in acupoints.MERIDIANS}
    assert counts == {"LU": 11, "LI": 20, "ST": 45, "SP": 21, "HT": 9, "SI": 19, "BL": 67,
                      "KI": 27, "PC": 9, "TE": 23, "GB": 44, "LR": 14, "GV": 28, "CV": 24}


@pytest.mark.parametrize("typed, code", [
    ("LI4", "LI4"), ("li 4", "LI4"), ("LI-4", "LI4"), ("li4", "LI4"), (" LI 04 ", "LI4"),
    ("UB23", "BL23"), ("ub-40", "BL40"), ("SJ5", "TE5"), ("TW5", "TE5"), ("LV3", "LR3"),
    ("Liv3", "LR3"), ("Du20", "GV20"), ("Ren6", "CV6"), ("P6", "PC6"), ("H7", "HT7"),
    ("HE7", "HT7"), ("K3", "KI3"), ("EX-HN3", "EX-HN3"), ("ex hn 3", "EX-HN3"),
    ("EX-B2", "EX-B2"), ("Hegu", "LI4"), ("zusanli", "ST36"),
])
def test_lookup_accepts_aliases_and_spellings(typed, code):
    assert acupoints.lookup(typed).code == code


@pytest.mark.parametrize("typed", ["LI40", "BL68", "XX1", "EX-HN99", "Ashi: left trapezius", "",
                                   "   ", "\x00", "🙂"])
def test_unknown_points_are_not_invented(typed):
    assert acupoints.lookup(typed) is None


def test_code_shape_is_told_apart_from_free_locations():
    assert acupoints.looks_like_code("LI40")
    assert not acupoints.looks_like_code("Ashi: left trapezius")


def test_search_by_code_pinyin_and_meridian():
    assert [p.code for p in acupoints.search("li", 3)] == ["LI1", "LI2", "LI3"]
    assert acupoints.search("UB23")[0].code == "BL23"
    assert acupoints.search("taich")[0].code == "LR3"
    assert {p.meridian for p in acupoints.search("Liver", 50)} == {"LR"}
    assert len(acupoints.search("BL", 100)) == 67
    assert acupoints.search("") == [] and acupoints.search("%_\\") == []


def test_cautions_shipped():
    assert "pregnancy" in acupoints.lookup("LI4").caution
    assert acupoints.lookup("LU9").caution


def test_tcm_vocabulary_slugs_and_icd11_codes():
    assert tcm.TONGUE_COLOUR["pale-red"] == "pale red (normal)"
    assert tcm.PULSE_QUALITIES["thready"] == "thready (fine)"
    assert len(tcm.PULSE_QUALITIES) == 28
    assert tcm.PATTERNS["kidney-yang-deficiency"].icd11 == "SF97"
    assert len(tcm.PATTERNS) == 19 and len({p.icd11 for p in tcm.PATTERNS.values()}) == 19
    assert tcm.pattern_labels(["qi-stagnation", "nope"]) == ["Qi stagnation (SE91)"]
    for vocab in (tcm.TONGUE_COLOUR, tcm.COATING_QUALITY, tcm.PULSE_QUALITIES):
        assert all(slug == slug.lower() and " " not in slug for slug in vocab)


@pytest.mark.parametrize("code, midline", [
    ("GV4", True), ("GV20", True), ("CV6", True), ("CV24", True), ("EX-HN3", True),
    ("EX-B8", True), ("LI4", False), ("BL23", False), ("KI1", False), ("EX-HN5", False),
    ("EX-B2", False), ("EX-HN1", False),
])
def test_the_registry_knows_which_points_lie_on_the_midline(code, midline):
    assert acupoints.points()[code].midline is midline


def test_a_midline_point_is_midline_whatever_side_was_chosen():
    for side in ("bilateral", "left", "right", "midline"):
        assert acupoints.side_for("GV4", side) == "midline"
        assert acupoints.side_for("EX-HN3", side) == "midline"
    assert acupoints.side_for(acupoints.parse_point("Ren 6").code, "bilateral") == "midline"
    # Other points and free-text places keep the side chosen.
    assert acupoints.side_for("LI4", "left") == "left"
    assert acupoints.side_for("BL23", "bilateral") == "bilateral"
    assert acupoints.side_for(None, "bilateral") == "bilateral"
    assert acupoints.side_for("XX1", "right") == "right"
