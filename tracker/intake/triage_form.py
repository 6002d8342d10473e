"""The query-string filters of the intakes awaiting review (they only read: no CSRF token)."""
from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from ..clinical.conditions import CONDITIONS
from ..forms import LongSelect, choices
from . import triage


def _plausible(form, field) -> None:
    if field.data and not date(1900, 1, 1) <= field.data <= date(2200, 12, 31):
        raise ValidationError("Enter a date between 1900 and 2200.")


def _ordered(form, field) -> None:
    if form.since.data and field.data and form.since.data > field.data:
        raise ValidationError("The end date must be on or after the start date.")


class TriageFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing; a token in the URL would leak into logs

    # Fixed choices: their options' HTML is made once (LongSelect), not on every list page.
    group = SelectField("Flags", default="", widget=LongSelect(), choices=choices(
        [("", "Any"), *triage.GROUPS.items()]))
    practitioner = SelectField("Practitioner", default="")
    condition = SelectField("Condition", default="", widget=LongSelect(), choices=choices(
        [("", "Any"), *CONDITIONS.items()]))
    since = DateField("Sent from", validators=[Optional(), _plausible])
    until = DateField("to", validators=[Optional(), _plausible, _ordered])

    def set_practitioners(self, staff) -> None:
        self.practitioner.choices = choices(
            [("", "Anyone"), *((str(u.id), u.display_name) for u in staff)])

    def filters(self) -> triage.Filters:
        return triage.Filters(group=self.group.data or "",
                              practitioner_id=int(self.practitioner.data or 0) or None,
                              since=self.since.data, until=self.until.data,
                              condition=self.condition.data or "")

    def args(self) -> dict[str, str]:
        """The filters as query arguments, for the pager's links."""
        return {name: str(self[name].data) for name in ("group", "practitioner", "condition",
                                                        "since", "until")
                if self[name].data not in (None, "")}
