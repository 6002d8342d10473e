"""Shared form pieces: lenient phone check, plain-language messages, date-of-birth rule, the
one-time submission key of create and book forms."""
import re
import secrets

from dateutil.relativedelta import relativedelta
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select, html_params

from . import clock
from .accounts.passwords import MIN_LENGTH, weakness

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class LongSelect(Select):
    """A select whose hundreds of options never change while the app runs (the ~600 time zones):
    the options' HTML is made once per selected value and reused, instead of ~600 options built
    and escaped on every page. The same HTML as WTForms' Select (tests/test_forms_render.py)."""

    def __init__(self, multiple=False):
        super().__init__(multiple)
        self._options: dict = {}

    def __call__(self, field, **kwargs):
        key = field.data
        if self.multiple or field.has_groups() or not isinstance(key, str | None):
            return super().__call__(field, **kwargs)
        options = self._options.get(key)
        if options is None:
            html = super().__call__(field, **kwargs)
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
