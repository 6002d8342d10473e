"""The audit trail's date filters: clinic days, as every other page's dates (query string only,
no CSRF token: a GET that changes nothing)."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional, ValidationError


def _plausible(form, field) -> None:
    if field.data and not date(1900, 1, 1) <= field.data <= date(2200, 12, 31):
        raise ValidationError("Enter a date between 1900 and 2200.")


def _ordered(form, field) -> None:
    if form.since.data and field.data and form.since.data > field.data:
        raise ValidationError("The end date must be on or after the start date.")


class AuditDatesForm(FlaskForm):
    class Meta:
        csrf = False

    since = DateField("From", validators=[Optional(), _plausible])
    until = DateField("to", validators=[Optional(), _plausible, _ordered])

    def args(self) -> dict[str, str]:
        """The dates as query arguments, for the pager's links."""
        return {name: self[name].data.isoformat() for name in ("since", "until")
                if self[name].data}
