"""Form fields derived from the instrument registry (clinical/instruments.py).

A form that asks instruments names where it asks them (intake step, re-evaluation) and gets one
field per question, worded and scaled as the registry says. The fields follow the registry: an
instrument registered later appears on the next form built."""
from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.core import Field
from wtforms.form import FormMeta
from wtforms.validators import InputRequired, Optional

from ..clinical import instruments as registry
from ..forms import choices


def radio(item: registry.Item, required: bool) -> RadioField:
    validators = [InputRequired(item.required_message)] if required else [Optional()]
    return RadioField(item.text, coerce=int, choices=choices(item.choices),
                      description=item.anchors, validators=validators)


def sync(cls) -> None:
    """Add and drop the class's instrument fields to match the registry (WTForms rebuilds a
    class's field list when its attributes change)."""
    if cls.__dict__.get("_registry_revision") == registry.revision():
        return
    asked = registry.asked_at(cls.instrument_where, cls.instrument_step)
    wanted = {item.field: item for item in registry.items_for(asked)}
    for name in cls.__dict__.get("_instrument_fields", ()):
        if name not in wanted:
            delattr(cls, name)
    for name, item in wanted.items():
        setattr(cls, name, radio(item, cls.instrument_required))
    cls._instrument_fields = tuple(wanted)
    cls._registry_revision = registry.revision()


class RegistryFormMeta(FormMeta):
    def __call__(cls, *args, **kwargs):
        sync(cls)
        return super().__call__(*args, **kwargs)


@dataclass
class Group:
    """Questions shown together: a fieldset on the intake, a block on the session form."""
    legend: str
    help: str
    fields: list[tuple[Field, bool]]  # each field, and whether it is a 0-n number scale


class InstrumentForm(FlaskForm, metaclass=RegistryFormMeta):
    """Base of every form that asks instruments. Subclasses say where they ask them."""
    instrument_where = ""
    instrument_step: str | None = None
    instrument_required = True

    def instruments(self) -> list[registry.Instrument]:
        return registry.asked_at(self.instrument_where, self.instrument_step)

    def instrument_groups(self) -> list[Group]:
        """The instrument fields in registry order, grouped as the registry groups them; each
        question once (PEG-3 shares its first item with the NRS average)."""
        groups: dict[str, Group] = {}
        seen: set[str] = set()
        for instrument in self.instruments():
            legend = instrument.intake_group or instrument.stem or (
                "" if len(instrument.items) < 2 else instrument.name)
            group = groups.setdefault(legend or instrument.key, Group(
                legend, registry.GROUP_HELP.get(legend, ""), []))
            for item in instrument.items:
                if item.field not in seen:
                    seen.add(item.field)
                    group.fields.append((self[item.field], item.numeric))
        return [g for g in groups.values() if g.fields]

    def answers(self) -> dict:
        """The instrument answers as the registry's scoring reads them."""
        return {name: self[name].data for name in type(self)._instrument_fields}
