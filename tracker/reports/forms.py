"""Query-string forms for the summary and the dashboard: they only read, so no CSRF token."""
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from ..forms import choices, strip
from .summary import VERSIONS

MAX_ID = 2**31 - 1  # PostgreSQL integer keys: a larger id is a bad request, not a database error


class _GetForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing; a token in the URL would leak into logs


def _ordered(form, field) -> None:
    if form.start.data and form.end.data and form.start.data > form.end.data:
        raise ValidationError("The end date must be on or after the start date.")


class SummaryForm(_GetForm):
    FIELDS = ("plan", "start", "end", "version")
    plan = IntegerField("Treatment plan", validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional(), _ordered])
    version = SelectField("Version", choices=choices(VERSIONS.items()), default="clinical")


class DashboardForm(_GetForm):
    start = DateField("Plans starting from", validators=[Optional()])
    end = DateField("to", validators=[Optional(), _ordered])
    condition = StringField("Condition contains", filters=[strip], validators=[Optional()])
    practitioner = SelectField("Practitioner", coerce=str, default="")
