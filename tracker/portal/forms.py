"""The patient's request to cancel or move a visit."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..forms import choices, strip
from .models import KINDS
from .services import NOTE_MAX


class RequestForm(FlaskForm):
    appointment = SelectField("Which visit", coerce=int,
                              validators=[InputRequired("Choose the visit.")])
    kind = RadioField("What would you like", choices=choices(KINDS.items()),
                      validators=[InputRequired("Choose cancel or move.")])
    note = TextAreaField("Anything reception should know (optional)",
                         description="For example the days or times that suit you.",
                         filters=[strip], validators=[Length(max=NOTE_MAX)])
