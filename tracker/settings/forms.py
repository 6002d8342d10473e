"""Clinic settings form."""
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ..forms import choices, phone_check, strip

S = [strip]


class SettingsForm(FlaskForm):
    name = StringField("Clinic name", filters=S,
                       validators=[DataRequired("Enter the clinic's name."), Length(max=120)])
    address = TextAreaField("Address", filters=S, validators=[Length(max=500)],
                            description="Printed in the header of treatment summaries.")
    phone = StringField("Phone", filters=S, validators=[Length(max=40), phone_check])
    email = EmailField("Email", filters=S, validators=[
        Optional(), Length(max=254), Email("Enter an email address like name@example.com.")])
    time_zone = SelectField("Time zone",
                            choices=choices((z, z) for z in sorted(available_timezones())))
    idle_timeout_minutes = IntegerField("Log out after inactivity (minutes)", validators=[
        InputRequired("Enter a number of minutes."),
        NumberRange(2, 240, "Choose between 2 and 240 minutes.")])
    intake_link_days = IntegerField("Intake links expire after (days)", validators=[
        InputRequired("Enter a number of days."),
        NumberRange(1, 90, "Choose between 1 and 90 days.")])
    baseline_window_days = IntegerField("A course's baseline may be up to (days) old", validators=[
        InputRequired("Enter a number of days."),
        NumberRange(1, 365, "Choose between 1 and 365 days.")],
        description="An intake or score older than this before a plan's first session is not "
                    "its baseline; the first session's pain before needling is used instead.")
    require_two_factor = BooleanField(
        "Require two-factor login for all staff",
        description="Everyone then enters a code from an authenticator app after their password; "
                    "staff without one are asked to set it up when they next log in.")
    consent_text = TextAreaField("Consent text shown to patients", filters=S, validators=[
        DataRequired("Patients must be shown a consent text."), Length(max=20000)],
        description="Changing it starts a new version; each intake records the version it showed.")
