"""Clinic settings form."""
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import FixedSelectField, LongSelect, choices, phone_check, strip
from ..messages.mail import TLS_MODES
from ..templating import DATE_STYLES, DEFAULT_STYLE

S = [strip]


class SettingsForm(FlaskForm):
    name = StringField("Clinic name", filters=S,
                       validators=[DataRequired("Enter the clinic's name."), Length(max=120)])
    address = TextAreaField("Address", filters=S, validators=[Length(max=500)],
                            description="Printed in the header of treatment summaries.")
    phone = StringField("Phone", filters=S, validators=[Length(max=40), phone_check])
    email = EmailField("Email", filters=S, validators=[
        Optional(), Length(max=254), Email("Enter an email address like name@example.com.")])
    time_zone = FixedSelectField("Time zone", widget=LongSelect(),
                                 choices=choices((z, z) for z in sorted(available_timezones())))
    date_style = SelectField("Dates are written", choices=choices(
        (key, example) for key, (example, *_) in DATE_STYLES.items()),
        filters=[lambda value: value or DEFAULT_STYLE],  # rows saved before it existed
        description="The same way on every page, letter, PDF and message.")
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
    # Outgoing mail and reminders (tracker/messages).
    mail_from = EmailField("Send messages from", filters=S, validators=[
        Optional(), Length(max=254), Email("Enter an email address like clinic@example.com.")],
        description="The sender patients see; empty uses the clinic's email above.")
    smtp_host = StringField("Mail server (SMTP host)", filters=S, validators=[Length(max=253)],
                            description="Empty: messages are printed by the sender, not sent "
                                        "(development).")
    smtp_port = IntegerField("Mail server port", default=587, validators=[
        Optional(), NumberRange(1, 65535, "Enter a port between 1 and 65535.")],
        description="Empty keeps the current port (587 unless changed).")
    smtp_tls = SelectField("Encryption", choices=choices(TLS_MODES.items()), default="starttls")

    def validate_smtp_tls(self, field) -> None:
        # The two ports whose encryption is fixed by convention (RFC 8314): a mismatch never
        # connects, and would only show as reminders that never arrive.
        port = self.smtp_port.data
        if field.data == "starttls" and port == 465:
            raise ValidationError("Port 465 starts with TLS: choose “Implicit TLS (port 465)”, "
                                  "or port 587 for STARTTLS.")
        if field.data == "ssl" and port == 587:
            raise ValidationError("Port 587 uses STARTTLS: choose “STARTTLS (port 587)”, or "
                                  "port 465 for implicit TLS.")
    smtp_username = StringField("Mail server user name", filters=S,
                                validators=[Length(max=254)])
    smtp_password = PasswordField(
        "Mail server password", validators=[Length(max=500)],
        description="Stored encrypted and never shown again. Leave empty to keep the current "
                    "one.")
    smtp_password_clear = BooleanField("Remove the stored mail server password")
    reminder_hours = IntegerField("Appointment reminders (hours before the visit)", default=24,
                                  validators=[Optional(),
                                              NumberRange(0, 336, "Choose between 0 and 336 "
                                                                  "hours.")],
        description="0 sends no reminders. Reminders go between 08:00 and 20:00 clinic time: one "
                    "due at night goes the evening before.")


class LogoForm(FlaskForm):
    logo = FileField("Logo for letters and summaries", validators=[
        FileRequired("Choose an image file.")],
        description="A PNG or JPEG of at most 2 MB. It is shown at most 600 × 200 pixels at the "
                    "top of summaries and referral letters.")
