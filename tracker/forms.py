"""Shared form pieces: lenient phone check, plain-language messages, date-of-birth rule, the
one-time submission key of create and book forms."""
import re
import secrets
from datetime import date

from dateutil.relativedelta import relativedelta
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select
from wtforms.widgets import core as widgets_core

from . import clock
from .accounts.passwords import MIN_LENGTH, weakness

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


QUOTE = '"'


def html_params(**kwargs) -> Markup:
    """wtforms.widgets.html_params, the same string made without Markup.format per attribute
    (string.Formatter runs in Python: ~8 µs an attribute, and a form page prints a hundred or
    more). tests/test_forms_render.py compares the two."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = widgets_core.clean_key(key)
        if value is True:
            params.append(escape(key))
        elif value is not False:
            # escape() leaves no quote in a plain value; a Markup value may still hold one.
            params.append(f'{escape(key)}="{str(escape(value)).replace(QUOTE, "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704


def use_fast_html_params() -> None:
    """Every WTForms widget and label builds its attributes with html_params above (called once
    at app start): the same HTML, made faster."""
    widgets_core.html_params = html_params  # Select, TextArea, options, lists
    widgets_core.Input.html_params = staticmethod(html_params)  # every <input>
    widgets_core.Button.html_params = staticmethod(html_params)
    import wtforms.widgets
    wtforms.widgets.html_params = html_params  # Label.__call__ reads it here


class FixedSelectField(SelectField):
    """A SelectField whose choices (SelectChoice list, never changed in place) are fixed where the
    form class declares it: every form binds that one list, not a copy WTForms walks to check
    (~600 time zones on each settings page; with LongSelect nothing else reads them on a GET)."""

    def __init__(self, label=None, validators=None, choices=(), **kwargs):
        super().__init__(label, validators, **kwargs)
        self._choices = choices


class LongSelect(Select):
    """A select whose hundreds of options never change while the app runs (the ~600 time zones):
    the options' HTML is made once per selected value and reused, instead of ~600 options built
    and escaped on every page. The same HTML as WTForms' Select (tests/test_forms_render.py)."""

    def __init__(self, multiple=False):
        super().__init__(multiple)
        self._options: dict = {}

    def __call__(self, field, **kwargs):
        key = field.data
        options = self._options.get(key) if isinstance(key, str | None) else None
        if options is None:
            html = super().__call__(field, **kwargs)
            # Only plain options are kept; the options never change, so neither does this test
            # (has_groups() walks every option: asked on each page it cost what the cache saves).
            if self.multiple or field.has_groups() or not isinstance(key, str | None):
                return html
            if len(self._options) < 2000:  # posted junk cannot grow it for ever
                self._options[key] = html[html.index(">") + 1:]  # Markup stays Markup
            return html
        # The <select> tag as Select.__call__ writes it (WTForms 3.3).
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        params = html_params(name=field.name, **kwargs)  # each value escaped, as in WTForms
        return Markup(f"<select {params}>") + options  # noqa: S704


CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f]")  # control characters but tab and newline


def strip(value):
    """WTForms filter: trim surrounding whitespace and drop NUL and control characters."""
    if isinstance(value, str):
        value = CONTROL_RE.sub("", value).strip()
    return value


def phone_check(form, field) -> None:
    """Lenient: digits with spaces, brackets, dots, dashes and an optional leading +."""
    if field.data and (not PHONE_RE.match(field.data)
                       or sum(ch.isdigit() for ch in field.data) < 6):
        raise ValidationError("Enter a phone number using digits, e.g. +44 20 7946 0958.")


def birth_date_check(form, field) -> None:
    """Not in the future and not more than 120 years ago."""
    if field.data is None:
        return
    today = clock.today()
    if field.data > today:
        raise ValidationError("Date of birth cannot be in the future.")
    if field.data < today - relativedelta(years=120):
        raise ValidationError("Date of birth cannot be more than 120 years ago.")


def password_strength(form, field) -> None:
    value = field.data or ""
    if len(value) < MIN_LENGTH:
        raise ValidationError(f"Use at least {MIN_LENGTH} characters.")
    if len(value) > 200:
        raise ValidationError("Use at most 200 characters.")
    if value.strip() == "" or len(set(value)) < 4:
        raise ValidationError("Choose a less predictable password.")
    # Common and breached passwords, and ones built from the person's own name or email.
    from .settings.services import get_settings
    inputs = [getattr(getattr(form, name, None), "data", None) or ""
              for name in ("email", "display_name")]
    inputs += list(getattr(form, "account_words", ())) + [get_settings().name]
    problem = weakness(value, tuple(str(text) for text in inputs))
    if problem:
        raise ValidationError(problem)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; `_macros.field` renders it as a fieldset."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def not_in_future(form, field) -> None:
    if field.data and field.data > clock.today():
        raise ValidationError("This date cannot be in the future.")


class EmptyForm(FlaskForm):
    """No fields: its CSRF token protects POST-only buttons (archive, revoke, sign...)."""


def submission_key_input() -> Markup:
    """The hidden one-time key of a create or book form (tracker/submissions.py), as a template
    global: `{{ submission_key() }}` inside the <form>. A form shown again after a refused post
    keeps the key it was sent with; a fresh page gets a new one."""
    from .submissions import FIELD, posted_key
    key = posted_key() or secrets.token_urlsafe(24)
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, key)


def plausible_date(form, field) -> None:
    if field.data and not date(1900, 1, 1) <= field.data <= date(2200, 12, 31):
        raise ValidationError("Enter a date between 1900 and 2200.")


def not_before_since(form, field) -> None:
    if form.since.data and field.data and form.since.data > field.data:
        raise ValidationError("The end date must be on or after the start date.")


class DateRangeFilter(FlaskForm):
    """A list's From/to filter in the query string, in clinic days."""
    class Meta:
        csrf = False  # a GET that changes nothing; a token in the URL would leak into logs

    since = DateField("From", validators=[Optional(), plausible_date])
    until = DateField("to", validators=[Optional(), plausible_date, not_before_since])
