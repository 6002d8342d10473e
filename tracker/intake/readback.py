"""A step's answers read back in words, as the review page before "Send" lists them."""
from wtforms import Field

from ..templating import date_text
from . import conditional

NOT_SHOWN = frozenset({"CSRFTokenField", "HiddenField", "SubmitField"})


def rows(code: str, form) -> list[tuple[str, str]]:
    """(question, answer) in the order the step asks them; an answer left empty is '' and a
    follow-up that does not apply, or a red-flag question not asked, is left out."""
    def values(name: str) -> list[str]:
        data = form[name].data
        return [str(v) for v in data] if isinstance(data, list) else [str(data)]

    skipped = conditional.dropped(code, values)
    if not getattr(form, "asks_red_flags", True):
        skipped |= {name for name in form._fields if name.startswith("red_")}
    grouped = _instrument_labels(form)
    return [(grouped.get(field.name, field.label.text), text(field)) for field in form
            if field.type not in NOT_SHOWN and field.name not in skipped]


def _instrument_labels(form) -> dict[str, str]:
    """An instrument question's label with its group's legend: "Pain: right now"."""
    if not hasattr(form, "instrument_groups"):
        return {}
    return {f.name: f"{group.legend}: {f.label.text}" if group.legend else f.label.text
            for group in form.instrument_groups() for f, _ in group.fields}


def text(field: Field) -> str:
    if field.type in ("RadioField", "MultiCheckboxField"):
        return ", ".join(option.label.text for option in field if option.checked)
    if field.type == "BooleanField":
        return "Yes" if field.data else "No"
    if field.type == "FieldList":  # medicine rows: the ones with a name, one per line
        return "\n".join(", ".join(v for v in (row.form.name.data, row.form.dose.data,
                                                 row.form.how_often.data) if v)
                         for row in field if row.form.name.data)
    if field.type == "DateField":
        return date_text(field.data) if field.data else ""
    return str(field.data or "")
