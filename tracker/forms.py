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
from wtforms.widgets import CheckboxInput, ListWidget

from . import clock
from .accounts.passwords import MIN_LENGTH, weakness

PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip(value):
    """WTForms filter: trim surrounding whitespace and drop NUL and control characters."""
    if isinstance(value, str):
        value = "".join(ch for ch in value if ch in "\n\t" or ord(ch) >= 32).strip()
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
