"""Query-string forms for the summary and the dashboard: they only read, so no CSRF token."""
import math
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .. import clock
from ..clinical import instruments as registry
from ..forms import choices, strip
from ..measurements.fields import InstrumentForm, sync
from .summary import VERSIONS

MAX_ID = 2**31 - 1  # PostgreSQL integer keys: a larger id is a bad request, not a database error


class _GetForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing; a token in the URL would leak into logs


def _plausible(form, field) -> None:
    """Keep date arithmetic (a day after the end, a year before it) inside what dates can hold."""
    if field.data and not date(1900, 1, 1) <= field.data <= date(2200, 12, 31):
        raise ValidationError("Enter a date between 1900 and 2200.")


def _ordered(form, field) -> None:
    if form.start.data and form.end.data and form.start.data > form.end.data:
        raise ValidationError("The end date must be on or after the start date.")


class SummaryForm(_GetForm):
    FIELDS = ("plan", "start", "end", "version")
    plan = IntegerField("Treatment plan", validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    start = DateField("From", validators=[Optional(), _plausible])
    end = DateField("To", validators=[Optional(), _plausible, _ordered])
    version = SelectField("Version", choices=choices(VERSIONS.items()), default="clinical")


class DashboardForm(_GetForm):
    start = DateField("Plans starting from", validators=[Optional(), _plausible])
    end = DateField("to", validators=[Optional(), _plausible, _ordered])
    condition = StringField("Condition contains", filters=[strip], validators=[Optional()])
    practitioner = SelectField("Practitioner", coerce=str, default="")
    within = IntegerField("Responded within (visits)", default=10, validators=[
        Optional(), NumberRange(2, 60, "Enter a number of visits between 2 and 60.")])


def _finite(form, field) -> None:
    if field.data is not None and not math.isfinite(field.data):
        raise ValidationError("Enter a number.")


class OtherScoreForm(FlaskForm):
    """A licensed instrument's total (ODI, BPI, HIT-6 ...): its name and scale, never its items."""
    name = StringField("Instrument", filters=[strip], validators=[
        DataRequired("Name the instrument, e.g. HIT-6."), Length(max=100)],
        description="The instrument's name as your licence gives it, e.g. Oswestry (ODI) 2.1a.")
    score = FloatField("Total score", validators=[InputRequired("Enter the total."), _finite])
    scale_min = FloatField("Lowest possible", default=0, validators=[
        InputRequired("Enter the scale's lowest score."), _finite])
    scale_max = FloatField("Highest possible", validators=[
        InputRequired("Enter the scale's highest score."), _finite])
    direction = RadioField("Which way is better?", default="lower", choices=choices(
        (("lower", "Lower scores are better"), ("higher", "Higher scores are better"))))
    taken_on = DateField("Date completed", validators=[DataRequired("Enter the date."),
                                                       _plausible])

    def validate_scale_max(self, field) -> None:
        if self.scale_min.data is not None and field.data is not None \
                and field.data <= self.scale_min.data:
            raise ValidationError("The highest score must be above the lowest.")

    def validate_score(self, field) -> None:
        low, high = self.scale_min.data, self.scale_max.data
        if None not in (field.data, low, high) and low < high and not low <= field.data <= high:
            raise ValidationError(f"The total must be between {low:g} and {high:g}.")

    def validate_taken_on(self, field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError("The date cannot be in the future.")


class BaselineForm(InstrumentForm):
    """A course's baseline taken by staff (on paper, by phone, before the first needling):
    the intake's questions, each optional, worded and scored as the registry says."""
    instrument_where, instrument_required = registry.INTAKE, False
    taken_on = DateField("Date asked", validators=[DataRequired("Enter the date."), _plausible])

    def validate_taken_on(self, field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError("The date cannot be in the future.")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        answered = {name for name, value in self.answers().items() if value is not None}
        for instrument in self.instruments():
            own = [i.field for i in instrument.items if sum(
                i in other.items for other in self.instruments()) == 1]
            missing = [i.field for i in instrument.items if i.field not in answered]
            if missing and answered & set(own):
                field = self[missing[0]]
                field.errors = [*field.errors, f"Answer every {instrument.short} question for "
                                               "its score, or none of them."]
                ok = False
        if ok and not registry.score_answers(self.answers(), registry.INTAKE):
            self.taken_on.errors = [*self.taken_on.errors, "Record at least one measure."]
            ok = False
        return ok


sync(BaselineForm)  # at import, so requests never race to build the fields
