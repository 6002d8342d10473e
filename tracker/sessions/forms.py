"""The session record form: one page, prefilled, keyboard friendly, works without script."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..clinical import instruments, safety, tcm
from ..forms import MultiCheckboxField, choices, strip
from . import rules
from .models import (
    DECISIONS,
    MANUAL_TECHNIQUES,
    RESPONSES,
    SEVERITIES,
    STIMULATION,
    WAVEFORMS,
)

S = [strip]
ZERO_TO_TEN = choices((i, str(i)) for i in range(11))
YES_NO = choices([("", "Not recorded"), ("yes", "Yes"), ("no", "No")])
ADJUNCTS = {k: v for k, v in tcm.MODALITIES.items() if k != "electro"}


def minutes(label: str, **kw) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(
        0, 240, "Enter minutes between 0 and 240.")], **kw)


class PointRow(Form):
    point = StringField("Point", filters=S, validators=[Length(max=200)],
                        render_kw={"list": "acupoints", "autocomplete": "off",
                                   "spellcheck": "false"})
    side = SelectField("Side", choices=choices(tcm.SIDES.items()), default="bilateral")
    depth = StringField("Depth", filters=S, validators=[Length(max=60)])
    stimulation = SelectField("Stimulation", choices=choices(
        [("", "As session")] + list(STIMULATION.items())), default="")
    retention_minutes = minutes("Retention (min)")

    def validate_point(self, field):
        parsed = rules.parse_point(field.data)
        if parsed.error:
            raise ValidationError(parsed.error)
        field.parsed = parsed


class AdverseEventRow(Form):
    kind = SelectField("What happened", choices=choices(
        [("", "Choose…")] + list(safety.ADVERSE_EVENTS)), default="")
    site = StringField("Site or point", filters=S, validators=[Length(max=120)])
    severity = SelectField("Severity", choices=choices(SEVERITIES.items()), default="mild")
    serious = BooleanField("Serious")
    action = TextAreaField("Action taken", filters=S, validators=[Length(max=2000)])
    outcome = TextAreaField("Outcome", filters=S, validators=[Length(max=2000)])
    referral = BooleanField("Referral made")

    def validate_kind(self, field):
        if not field.data and (self.site.data or self.action.data or self.outcome.data):
            raise ValidationError("Choose what happened.")


class SessionForm(FlaskForm):
    version = HiddenField()
    pain_before = RadioField("Pain before needling", coerce=int, choices=ZERO_TO_TEN,
                             description="NRS now, 0 = no pain, 10 = worst imaginable",
                             validators=[InputRequired("Record the pain before needling.")])
    pain_after = RadioField("Pain after treatment", coerce=int, choices=ZERO_TO_TEN,
                            description="Ask before the patient leaves.",
                            validators=[Optional()])
    pain_after_not_asked = BooleanField("Not asked today")
    subjective = TextAreaField("Subjective", filters=S, validators=[Length(max=8000)],
                               description="Change since last visit, sleep, medication use.")
    objective = TextAreaField("Objective", filters=S, validators=[Length(max=8000)],
                              description="Observations, tongue and pulse today, range of "
                                          "motion.")
    assessment = TextAreaField("Assessment", filters=S, validators=[Length(max=8000)])
    plan_notes = TextAreaField("Plan", filters=S, validators=[Length(max=8000)])
    style = SelectField("Style", choices=choices(tcm.STYLES.items()), default="tcm")
    points = FieldList(FormField(PointRow), "Points", min_entries=1, max_entries=80)
    extra_insertions = IntegerField("Other insertions", default=0, validators=[
        Optional(), NumberRange(0, 200, "Enter a number between 0 and 200.")],
        description="Needles not in the rows above, e.g. ear points.")
    depth = StringField("Depth", filters=S, validators=[Length(max=60)],
                        description="e.g. 0.5-1 cun, or muscle level")
    response_sought = SelectField("Response sought", choices=choices(RESPONSES.items()),
                                  default="de_qi")
    response_obtained = RadioField("Response obtained", choices=YES_NO, default="",
                                   validators=[Optional()])
    stimulation = SelectField("Stimulation", choices=choices(STIMULATION.items()),
                              default="manual")
    manual_technique = SelectField("Manual technique", choices=choices(
        MANUAL_TECHNIQUES.items()), default="even")
    electro_pairs = StringField("Electro: point pairs", filters=S, validators=[Length(max=200)],
                                description="e.g. BL23-BL25 left; GB30-GB34 left")
    electro_hz = StringField("Frequency (Hz)", filters=S, validators=[Length(max=30)],
                             description="e.g. 2/100")
    electro_waveform = SelectField("Waveform", choices=choices(
        [("", "—")] + list(WAVEFORMS.items())), default="")
    electro_intensity = StringField("Intensity", filters=S, validators=[Length(max=60)],
                                    description="e.g. to comfortable tingling")
    electro_minutes = minutes("Electro minutes")
    retention_minutes = minutes("Retention (minutes)", description="Typically 20-30.")
    needle_type = StringField("Needle type", filters=S, validators=[Length(max=120)],
                              description="Gauge × length, material, maker, guide tube")
    adjuncts = MultiCheckboxField("Adjunct treatments", choices=choices(ADJUNCTS.items()))
    adjunct_notes = TextAreaField("Adjunct details", filters=S, validators=[Length(max=4000)],
                                  description="Herbal formula, exercises, advice given.")
    adverse = RadioField("Adverse events", choices=choices([
        ("none", "None"), ("some", "Yes, recorded below")]), validators=[Optional()])
    adverse_events = FieldList(FormField(AdverseEventRow), "Adverse events", min_entries=1,
                               max_entries=20)
    needles_reconciled = BooleanField("All needles counted out at removal")
    # Re-evaluation visits: the outcome set (instruments.md)
    nrs_average_week = RadioField("Average pain, past 7 days", coerce=int, choices=ZERO_TO_TEN,
                                  validators=[Optional()])
    nrs_worst_week = RadioField("Worst pain, past 7 days", coerce=int, choices=ZERO_TO_TEN,
                                validators=[Optional()])
    peg_enjoyment = RadioField("Interference with enjoyment of life, past week", coerce=int,
                               choices=ZERO_TO_TEN, validators=[Optional()])
    peg_activity = RadioField("Interference with general activity, past week", coerce=int,
                              choices=ZERO_TO_TEN, validators=[Optional()])
    sleep = RadioField("Sleep quality, past 7 days (0 terrible, 10 excellent)", coerce=int,
                       choices=ZERO_TO_TEN, validators=[Optional()])
    med_days = RadioField("Days with pain medicine, past 7", coerce=int,
                          choices=choices((i, str(i)) for i in range(8)),
                          validators=[Optional()])
    pgic = RadioField(instruments.PGIC_ITEM, coerce=int, choices=choices(
        instruments.PGIC_CHOICES), validators=[Optional()])
    reeval_decision = RadioField("Decision", choices=choices(DECISIONS.items()),
                                 validators=[Optional()])
    reeval_notes = TextAreaField("Re-evaluation notes", filters=S,
                                 validators=[Length(max=4000)])
    confirm = MultiCheckboxField("Confirm and go ahead", choices=[], validate_choice=False)

    points_error = ""
    REEVAL_FIELDS = ("nrs_average_week", "nrs_worst_week", "peg_enjoyment", "peg_activity",
                     "sleep", "pgic")

    def parsed_points(self) -> list[tuple[rules.ParsedPoint, PointRow]]:
        rows = []
        for entry in self.points:
            parsed = getattr(entry.form.point, "parsed", None) or rules.parse_point(
                entry.form.point.data)
            if parsed.code or parsed.location:
                rows.append((parsed, entry.form))
        return rows

    def validate_for_signing(self, is_reevaluation: bool) -> bool:
        """Extra rules at signing: a complete record, explicit about adverse events."""
        ok = True

        def need(field, message):
            nonlocal ok
            field.errors = [*field.errors, message]
            ok = False

        if self.pain_after.data is None and not self.pain_after_not_asked.data:
            need(self.pain_after, "Ask how the pain is now, or tick “Not asked today”.")
        if not self.adverse.data:
            need(self.adverse, "Say whether there were adverse events (choose “None” if none).")
        elif self.adverse.data == "some" and not any(
                row.form.kind.data for row in self.adverse_events):
            need(self.adverse, "Record the adverse event below, or choose “None”.")
        if not self.needles_reconciled.data:
            need(self.needles_reconciled, "Count the needles out before signing.")
        if not self.parsed_points() and not self.extra_insertions.data:
            self.points_error = "Record at least one point, or the number of other insertions."
            ok = False
        if is_reevaluation:
            for name in self.REEVAL_FIELDS:
                if self[name].data is None:
                    need(self[name], "This is a re-evaluation visit: record this measure.")
            if not self.reeval_decision.data:
                need(self.reeval_decision, "Record the decision for the plan.")
        return ok
