"""The patient's request to cancel or move a visit."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from ..forms import choices, strip
from .models import KINDS
from .services import NOTE_MAX

CHOOSE = (0, "Choose a visit")


class RequestForm(FlaskForm):
    # The first choice is CHOOSE (0): a patient who sends without choosing is asked to, never
    # taken to mean the first visit.
    appointment = SelectField("Which visit", coerce=int,
                              validators=[InputRequired("Choose a visit."),
                                          NumberRange(min=1, message="Choose a visit.")])
    kind = RadioField("What would you like", choices=choices(KINDS.items()),
                      validators=[InputRequired("Choose cancel or move.")])
    note = TextAreaField("Anything reception should know (optional)",
                         description="For example the days or times that suit you.",
                         filters=[strip], validators=[Length(max=NOTE_MAX)])
