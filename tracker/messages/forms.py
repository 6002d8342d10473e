"""Emailing an intake link from its share page."""
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Email, Length

from ..forms import strip


class IntakeEmailForm(FlaskForm):
    email = EmailField("Patient's email address", filters=[strip], validators=[
        DataRequired("Enter the patient's email address."), Length(max=254),
        Email("Enter an email address like name@example.com.")])
    # The link as shown on this page (its token), when it is being sent the first time.
    token = HiddenField()
