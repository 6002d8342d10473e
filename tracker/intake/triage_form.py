"""The query-string filters of the intakes awaiting review (they only read: no CSRF token)."""
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..clinical.conditions import CONDITIONS
from ..forms import DateRangeFilter, LongSelect, choices, plausible_date
from . import triage


class TriageFilterForm(DateRangeFilter):
    # Fixed choices: their options' HTML is made once (LongSelect), not on every list page.
    group = SelectField("Flags", default="", widget=LongSelect(), choices=choices(
        [("", "Any"), *triage.GROUPS.items()]))
    practitioner = SelectField("Practitioner", default="")
    condition = SelectField("Condition", default="", widget=LongSelect(), choices=choices(
        [("", "Any"), *CONDITIONS.items()]))
    since = DateField("Sent from", validators=[Optional(), plausible_date])

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
