"""Appointment, reschedule, closure-day and working-hours forms."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from .. import clock
from ..forms import choices, strip
from ..templating import date_text
from .services import ACTIONS

S = [strip]
DEFAULT_MINUTES = 45  # an appointment's length unless chosen (the day view's free slots too)


def within_two_years(form, field) -> None:
    if field.data and abs((field.data - clock.today()).days) > 2 * 366:
        raise ValidationError("Choose a date within two years of today.")


class SlotFields:
    day = DateField("Date", validators=[InputRequired("Enter the date."), within_two_years])
    start = TimeField("Time", validators=[InputRequired("Enter a time, e.g. 09:30.")])
    minutes = IntegerField("Minutes", default=DEFAULT_MINUTES, validators=[
        InputRequired("Enter the length in minutes."),
        NumberRange(10, 240, "Choose between 10 and 240 minutes.")])
    reason = StringField("Reason or note", filters=S, validators=[Length(max=300)])
    book_anyway = BooleanField("Book anyway")  # worded for what was found (Slot.override)


class AppointmentForm(SlotFields, FlaskForm):
    practitioner_id = SelectField("Practitioner", coerce=int)
    plan_id = SelectField("Treatment plan", coerce=int, default=0)

    def set_choices(self, practitioners, plans) -> None:
        self.practitioner_id.choices = choices((u.id, u.signature_name) for u in practitioners)
        self.plan_id.choices = choices([(0, "None (one-off)")] + [
            (p.id, f"Plan from {date_text(p.start_on)}") for p in plans])


class RescheduleForm(SlotFields, FlaskForm):
    pass


class ActionForm(FlaskForm):
    action = SelectField("Action", choices=choices(ACTIONS.items()))
    reason = TextAreaField("Reason", filters=S, validators=[Length(max=500)])


class ClosureForm(FlaskForm):
    day = DateField("Date", validators=[InputRequired("Enter the date the clinic is closed."),
                                        within_two_years])
    reason = StringField("Reason", filters=S, validators=[Length(max=200)],
                         description="e.g. Bank holiday, staff training.")



class DayHours(Form):
    starts = TimeField("From", validators=[Optional()])
    ends = TimeField("To", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        # Optional() stops per-field checks on an empty time, so the pair is checked here.
        if not super().validate(extra_validators):
            return False
        starts, ends = self.starts.data, self.ends.data
        if (starts is None) != (ends is None):
            self.ends.errors = ["Give both times, or neither for a day off."]
        elif starts and ends and ends <= starts:
            self.ends.errors = ["The end must be after the start."]
        return not self.ends.errors


class HoursForm(FlaskForm):
    """One span per weekday; fixed fields (not a FieldList) so a missing day cannot shift the
    others into the wrong weekday."""

    @property
    def days(self) -> list[FormField]:
        return [self[f"day{i}"] for i in range(7)]


for _i in range(7):
    setattr(HoursForm, f"day{_i}", FormField(DayHours))
