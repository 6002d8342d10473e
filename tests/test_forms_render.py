"""Form rendering shortcuts give the same HTML as WTForms' own (issue 17: per-request overhead)."""
from wtforms import Form, SelectField
from wtforms.widgets import Select

from tracker.forms import LongSelect, choices, strip

ZONES = choices((z, z) for z in ["Africa/Abidjan", "America/New_York", "Europe/London",
                                 "Pacific/Auckland", "Quote\"s & <tags>"])


class Plain(Form):
    time_zone = SelectField("Time zone", choices=ZONES, widget=Select())


class Cached(Form):
    time_zone = SelectField("Time zone", choices=ZONES, widget=LongSelect())


def test_long_select_renders_what_select_renders_for_every_value_and_on_reuse():
    for data in ["Europe/London", "Pacific/Auckland", 'Quote"s & <tags>', "not a zone", None]:
        for _ in range(3):  # made, then reused from the cache
            expected = Plain(data={"time_zone": data}).time_zone(class_="wide")
            got = Cached(data={"time_zone": data}).time_zone(class_="wide")
            assert got == expected
            assert str(got).count(" selected") == (data in [c.value for c in ZONES])


def test_long_select_keeps_each_render_own_attributes():
    form = Cached(data={"time_zone": "Europe/London"})
    form.time_zone()  # fills the cache
    html = str(form.time_zone(**{"aria-describedby": "tz-help", "required": True}))
    assert html.startswith('<select aria-describedby="tz-help" id="time_zone" name="time_zone" '
                           'required>')
    assert '<option selected value="Europe/London">' in html


def test_strip_drops_control_characters_but_keeps_tabs_and_newlines():
    assert strip("  a\x00b\x07c\td\ne\x0bf\x1fg\x7f  ") == "abc\td\nefg\x7f"
    assert strip("\n\t x \t\n") == "x"
    assert strip(None) is None and strip(5) == 5


def test_fast_html_params_writes_what_wtforms_writes():
    from markupsafe import Markup
    from wtforms.widgets.core import html_params as wtforms_html_params

    from tracker.forms import html_params
    cases = [
        {},
        {"name": "time_zone", "id": "time_zone"},
        {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
        {"class_": "wide", "for_": "x", "data_user_name": "a", "aria_describedby": "x-help"},
        {"value": 'Quote"s & <tags>', "title": Markup('<b class="x">&amp;</b>'), "n": 5,
         "none": None, "f": 1.5, "aria-invalid": "true", "min": 0},
        {"value": Markup("a \"quoted\" 'one'"), "placeholder": "it's"},
    ]
    for kwargs in cases:
        got, expected = html_params(**kwargs), wtforms_html_params(**kwargs)
        assert got == expected and type(got) is type(expected)


def test_fixed_select_field_binds_its_declared_choices_and_checks_against_them():
    from tracker.forms import FixedSelectField

    class Fixed(Form):
        time_zone = FixedSelectField("Time zone", choices=ZONES, widget=LongSelect())

    from werkzeug.datastructures import MultiDict
    first, second = Fixed(), Fixed(MultiDict({"time_zone": "Mars/Olympus"}))
    assert first.time_zone.choices is ZONES and second.time_zone.choices is ZONES
    assert not second.validate() and Fixed(MultiDict({"time_zone": "Europe/London"})).validate()
    assert Fixed(data={"time_zone": "Europe/London"}).time_zone() == \
        Plain(data={"time_zone": "Europe/London"}).time_zone()
