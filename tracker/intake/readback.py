"""A step's answers read back in words, as the review page before "Send" lists them."""
import re

from markupsafe import Markup, escape
from wtforms import Field

from ..clinical import safety
from ..templating import date_text
from . import conditional

# Red-flag questions the screen asks already (their answer is the screen's): not read twice.
DERIVED = frozenset(f"red_{flag.code}" for flag in safety.RED_FLAGS if flag.same_as)

NOT_SHOWN = frozenset({"CSRFTokenField", "HiddenField", "SubmitField"})


def rows(code: str, form) -> list[tuple[str, str | None]]:
    """(question, answer) in the order the step asks them; an answer left empty is '' and a
    follow-up that does not apply, or a red-flag question not asked, is left out. A group of
    instrument questions is headed by its legend once: (legend, None)."""
    def values(name: str) -> list[str]:
        data = form[name].data
        return [str(v) for v in data] if isinstance(data, list) else [str(data)]

    skipped = conditional.dropped(code, values) | DERIVED
    if not getattr(form, "asks_red_flags", True):
        skipped |= {name for name in form._fields if name.startswith("red_")}
    legends = {f.name: group.legend for group in getattr(form, "instrument_groups", list)()
               for f, _ in group.fields}
    result, headed = [], set()
    for field in form:
        if field.type in NOT_SHOWN or field.name in skipped:
            continue
        legend = legends.get(field.name)
        if legend and legend not in headed:
            headed.add(legend)
            result.append((legend, None))
        result.append((field.label.text, text(field)))
    return result


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


def soft_breaks(value: str) -> Markup:
    """An answer for a narrow column: an email address may wrap after its "@", never
    mid-word; the page's CSS breaks inside a word only as a last resort."""
    if "@" not in value:
        return escape(value)
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=@)", value))
