"""Patient demographics form."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from ..forms import birth_date_check, choices, phone_check, strip
from ..messages.models import CHANNELS
from .models import SEXES

S = [strip]


class PatientForm(FlaskForm):
    given_name = StringField("Given name", filters=S, validators=[
        DataRequired("Enter the patient's given (first) name."), Length(max=100)])
    family_name = StringField("Family name", filters=S, validators=[
        DataRequired("Enter the patient's family (last) name."), Length(max=100)])
    preferred_name = StringField("Preferred name", filters=S, validators=[Length(max=100)],
                                 description="What the patient likes to be called.")
    date_of_birth = DateField("Date of birth", validators=[
        InputRequired("Enter the date of birth."), birth_date_check])
    sex = SelectField("Sex", choices=choices(SEXES.items()), default="unknown")
    gender = StringField("Gender identity", filters=S, validators=[Length(max=60)],
                         description="Optional, in the patient's own words.")
    phone = StringField("Phone", filters=S, validators=[Length(max=40), phone_check])
    email = EmailField("Email", filters=S, validators=[
        Optional(), Length(max=254), Email("Enter an email address like name@example.com.")])
    address = TextAreaField("Address", filters=S, validators=[Length(max=500)])
    preferred_channel = SelectField(
        "Messages from the clinic by", choices=choices(CHANNELS.items()), default="email",
        description="Confirmations and reminders; the other is used when this one has no "
                    "address.")
    reminder_opt_out = BooleanField("No appointment reminders")
    emergency_contact_name = StringField("Emergency contact", filters=S,
                                         validators=[Length(max=120)])
    emergency_contact_phone = StringField("Emergency contact phone", filters=S,
                                          validators=[Length(max=40), phone_check])
    referring_physician = StringField("Referring physician", filters=S,
                                      validators=[Length(max=200)],
                                      description="Name and practice, printed on summaries.")
    primary_practitioner_id = SelectField("Primary practitioner", coerce=int, default=0)
    notes = TextAreaField("Administrative notes", filters=S, validators=[Length(max=4000)],
                          description="Not clinical notes: these are visible to reception.")
    confirm_duplicate = BooleanField("This is a different person: save anyway")
    duplicate_of = HiddenField()

    def set_practitioners(self, users) -> None:
        self.primary_practitioner_id.choices = choices(
            [(0, "Not assigned")] + [(u.id, u.signature_name) for u in users])

