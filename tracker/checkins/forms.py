"""The plan's check-in settings (staff) and the patient's check-in (fields from the registry)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.validators import InputRequired

from ..clinical import instruments as registry
from ..forms import MultiCheckboxField, choices
from ..measurements.fields import InstrumentForm
from . import services


class ScheduleForm(FlaskForm):
    weekday = SelectField("Day of the week", coerce=int,
                          choices=choices(enumerate(services.WEEKDAYS)),
                          validators=[InputRequired("Choose a day of the week.")])
    measures = MultiCheckboxField("Measures the patient answers",
                                  validators=[InputRequired("Choose at least one measure.")])
    active = BooleanField("Send a check-in every week while the plan is active", default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.measures.choices = choices((i.key, i.name) for i in services.offered())


class CheckinForm(InstrumentForm):
    """The registry's CHECKIN questions, limited to the measures this plan asks."""
    instrument_where = registry.CHECKIN

    def __init__(self, *args, measures=(), **kwargs):
        self.measures = {i.key for i in measures}
        super().__init__(*args, **kwargs)
        keep = {item.field for item in registry.items_for(self.instruments())}
        for name in type(self)._instrument_fields:
            if name not in keep:
                del self[name]

    def instruments(self) -> list[registry.Instrument]:
        return [i for i in super().instruments() if i.key in self.measures]

    def answers(self) -> dict:
        return {name: self[name].data for name in type(self)._instrument_fields
                if name in self._fields}
