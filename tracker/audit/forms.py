"""The audit trail's date filters: clinic days, as every other page's dates."""
from ..forms import DateRangeFilter


class AuditDatesForm(DateRangeFilter):
    def args(self) -> dict[str, str]:
        """The dates as query arguments, for the pager's links."""
        return {name: self[name].data.isoformat() for name in ("since", "until")
                if self[name].data}
