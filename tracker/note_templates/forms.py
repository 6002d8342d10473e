"""The form of one note template (settings)."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import choices, strip
from .models import SECTIONS


class NoteTemplateForm(FlaskForm):
    section = SelectField("Note section", choices=choices(SECTIONS.items()), default="subjective")
    label = StringField("Button label", filters=[strip], description="A few words, e.g. "
                        "“No change since last visit”.", validators=[
                            InputRequired("Give the phrase a short label."), Length(max=80)])
    text = TextAreaField("Phrase", filters=[strip], description="The words put into the note.",
                         validators=[InputRequired("Write the phrase to insert."),
                                     Length(max=2000)])
    position = IntegerField("Order", description="Lower numbers come first; empty puts it "
                            "last in its section.",
                            validators=[Optional(), NumberRange(
                                0, 999, "Enter a number between 0 and 999.")])
