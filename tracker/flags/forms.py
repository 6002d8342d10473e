"""The clinician's flag form: raise or edit a safety flag at any visit."""
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..clinical.safety import CLINICIAN_KINDS, FLAG_LABELS, FLAG_SOURCES
from ..forms import choices, strip

HAND_SOURCES = ("clinician", "patient", "letter")


class FlagForm(FlaskForm):
    kind = SelectField("What is the concern?", validators=[DataRequired()],
                       choices=choices((k, FLAG_LABELS[k]) for k in CLINICIAN_KINDS))
    source = SelectField("Where it comes from", default="clinician",
                         choices=choices((k, FLAG_SOURCES[k]) for k in HAND_SOURCES))
    detail = TextAreaField("Details", filters=[strip], validators=[Length(max=2000)],
                           description="e.g. “started warfarin 5 mg last week”")
    weeks = IntegerField("Weeks pregnant (today)", validators=[
        Optional(), NumberRange(1, 42, "Enter weeks from 1 to 42.")],
        description="Pregnancy only: the stage decides which points are warned about.")
    due_on = DateField("Due date", validators=[Optional()],
                       description="Pregnancy only: used instead of the weeks when given.")

    def set_source(self, source: str) -> None:
        """An intake or inferred flag keeps its source; a hand-raised one picks from three."""
        if source not in HAND_SOURCES:
            self.source.choices = choices([(source, FLAG_SOURCES.get(source, source))])

    def validate_detail(self, field) -> None:
        if self.kind.data == "other" and not field.data:
            raise ValidationError("Say what the concern is.")

    def flag_data(self) -> dict:
        return {"kind": self.kind.data, "detail": self.detail.data, "source": self.source.data,
                "weeks": self.weeks.data, "due_on": self.due_on.data}
