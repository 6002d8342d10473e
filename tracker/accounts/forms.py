"""Login, first-run and user administration forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..forms import choices, password_strength, strip
from .models import ROLES
from .services import email_taken

S = [strip]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."),
                                            Length(max=254)], filters=S)
    password = PasswordField("Password", validators=[InputRequired("Enter your password."),
                                                     Length(max=200)])


class ProfileFields(FlaskForm):
    email = EmailField("Email", filters=S, validators=[
        DataRequired("Enter an email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])
    display_name = StringField("Full name", filters=S, validators=[
        DataRequired("Enter the person's name."), Length(max=120)])
    credentials = StringField("Credentials", filters=S, validators=[Length(max=60)],
                              description="Printed after the name, e.g. L.Ac., MD, PT; "
                                          "not kept for reception, who do not treat.")
    licence_number = StringField("Licence number", filters=S, validators=[Length(max=60)])
    years_in_practice = IntegerField("Years in practice", validators=[
        Optional(), NumberRange(0, 70, "Enter a number of years between 0 and 70.")])
    default_needle = StringField("Default needle", filters=S, validators=[Length(max=120)],
                                 description="e.g. 0.25 x 40 mm steel, guide tube")

    user_id: int | None = None

    def validate_email(self, field):
        if email_taken(field.data, except_id=self.user_id):
            raise ValidationError("Another account already uses this email address.")


class PasswordFields(FlaskForm):
    password = PasswordField("Password", validators=[InputRequired("Choose a password."),
                                                     password_strength],
                             description="At least 12 characters, not a common or breached "
                                         "password. A short sentence of unrelated words works "
                                         "well.")
    confirm = PasswordField("Repeat password", validators=[
        InputRequired("Repeat the password."), EqualTo("password", "The passwords do not match.")])


class SetupForm(ProfileFields, PasswordFields):
    """Creates the first administrator."""


class UserCreateForm(ProfileFields, PasswordFields):
    role = SelectField("Role", choices=choices(ROLES.items()), default="practitioner")


class UserEditForm(ProfileFields):
    role = SelectField("Role", choices=choices(ROLES.items()))
    active = BooleanField("Account active", description="Inactive accounts cannot log in.")


class PasswordResetForm(PasswordFields):
    pass


class PasswordChangeForm(FlaskForm):
    """A staff member's own password change (the view sets `account_words` to their name and
    email, so a password made of them is refused)."""

    current = PasswordField("Current password", validators=[
        InputRequired("Enter your current password."), Length(max=200)])
    password = PasswordField("New password", validators=[
        InputRequired("Choose a new password."), password_strength],
        description="At least 12 characters, not a common or breached password. A short "
                    "sentence of unrelated words works well.")
    confirm = PasswordField("Repeat the new password", validators=[
        InputRequired("Repeat the new password."),
        EqualTo("password", "The passwords do not match.")])

    account_words: tuple[str, ...] = ()

    def validate_password(self, field):
        if field.data and field.data == self.current.data:
            raise ValidationError("Choose a password different from the current one.")


class CodeForm(FlaskForm):
    code = StringField("Code", filters=S, validators=[
        DataRequired("Enter the 6-digit code from your authenticator app."), Length(max=40)],
        description="The 6-digit code your authenticator app shows now, or one of your "
                    "recovery codes.")


class EnrolForm(FlaskForm):
    code = StringField("Code from the app", filters=S, validators=[
        DataRequired("Enter the 6-digit code your app shows for this account."),
        Length(max=20)], description="The 6-digit code it shows for this account.")


class TwoFactorOffForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        InputRequired("Enter your current password."), Length(max=200)])
