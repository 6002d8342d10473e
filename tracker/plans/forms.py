"""Assessment, plan, status and schedule-confirmation forms."""
import re
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .. import clock
from ..clinical import acupoints, tcm
from ..clinical.conditions import ICD10_CODE
from ..forms import MultiCheckboxField, choices, strip
from ..templating import date_text
from .models import MEASURES, WEEKDAYS

S = [strip]
ICD10_RE = re.compile(rf"^{ICD10_CODE}$")
NOT_RECORDED = [("", "Not recorded")]


def assessed_on_check(form, field) -> None:
    if field.data and field.data > clock.today():
        raise ValidationError("The assessment date cannot be in the future.")
    if field.data and field.data.year < 1900:
        raise ValidationError("Check the year.")


def near_today(form, field) -> None:
    """Plans start within two years either side of today (guards typos such as 2062)."""
    if field.data and abs((field.data - clock.today()).days) > 2 * 366:
        raise ValidationError("Choose a date within two years of today.")


def icd10_check(form, field) -> None:
    if field.data:
        field.data = field.data.upper().replace(" ", "")
        if not ICD10_RE.match(field.data):
            raise ValidationError("Enter an ICD-10 code such as M54.5, or leave it blank.")


class AssessmentForm(FlaskForm):
    assessed_on = DateField("Date of assessment", validators=[
        InputRequired("Enter the date of the assessment."), assessed_on_check])
    western_diagnosis = TextAreaField("Western diagnosis", filters=S,
                                      validators=[Length(max=2000)])
    icd10 = StringField("ICD-10 code", filters=S, validators=[Length(max=10), icd10_check],
                        description="Optional, e.g. M54.5 for low back pain.")
    patterns = MultiCheckboxField("TCM patterns", choices=choices(
        (p.slug, f"{p.label} ({p.icd11})") for p in tcm.PATTERNS.values()))
    pattern_notes = TextAreaField("Pattern notes", filters=S, validators=[Length(max=2000)],
                                  description="Other patterns or combinations, e.g. "
                                              "wind-cold-damp Bi.")
    tongue_colour = SelectField("Tongue body colour", choices=choices(
        NOT_RECORDED + list(tcm.TONGUE_COLOUR.items())), default="")
    tongue_shape = MultiCheckboxField("Tongue shape and features",
                                      choices=choices(tcm.TONGUE_SHAPE.items()))
    coating_colour = SelectField("Coating colour", choices=choices(
        NOT_RECORDED + list(tcm.COATING_COLOUR.items())), default="")
    coating_thickness = SelectField("Coating thickness", choices=choices(
        NOT_RECORDED + list(tcm.COATING_THICKNESS.items())), default="")
    coating_quality = MultiCheckboxField("Coating quality",
                                         choices=choices(tcm.COATING_QUALITY.items()))
    tongue_notes = TextAreaField("Tongue notes", filters=S, validators=[Length(max=2000)])
    pulse_rate = SelectField("Pulse rate", choices=choices(
        NOT_RECORDED + list(tcm.PULSE_RATE.items())), default="")
    pulse_bpm = IntegerField("Beats per minute", validators=[
        Optional(), NumberRange(20, 250, "Enter beats per minute between 20 and 250.")])
    pulse_rhythm = SelectField("Pulse rhythm", choices=choices(
        NOT_RECORDED + list(tcm.PULSE_RHYTHM.items())), default="")
    pulse_qualities = MultiCheckboxField("Pulse qualities",
                                         choices=choices(tcm.PULSE_QUALITIES.items()))
    pulse_notes = TextAreaField("Pulse notes", filters=S, validators=[Length(max=2000)],
                                description="Per position if useful: left cun, guan, chi ...")
    palpation = TextAreaField("Palpation findings", filters=S, validators=[Length(max=4000)],
                              description="Tender (ashi) points with side and 0-10 tenderness, "
                                          "muscle tone, temperature.")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.western_diagnosis.data or self.patterns.data
                       or self.pattern_notes.data):
            self.western_diagnosis.errors.append(
                "Record a Western diagnosis or at least one TCM pattern.")
            return False
        return ok


class GoalForm(Form):
    description = StringField("Goal", filters=S, validators=[Length(max=300)],
                              description="What should change, e.g. average back pain.")
    measure = SelectField("Measure", choices=[], default="nrs_average")
    baseline = FloatField("Baseline (“Other” measure)", validators=[Optional(), NumberRange(
        0, 100, "Enter a number between 0 and 100.")])
    target = FloatField("Target", validators=[Optional(), NumberRange(
        0, 100, "Enter a number between 0 and 100.")])
    target_on = DateField("Target date", validators=[Optional(), near_today])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure.choices = choices(MEASURES.items())  # the registry as it is now

    def validate_description(self, field) -> None:
        if not field.data and (self.target.data is not None or self.target_on.data):
            raise ValidationError("Say what this goal is, or clear its target.")


def point_check(form, field) -> None:
    error = acupoints.parse_point(field.data).error
    if error:
        raise ValidationError(error)


class PointForm(Form):
    point = StringField("Point or location", filters=S, validators=[Length(max=200), point_check],
                        render_kw={"list": "acupoint-list", "autocomplete": "off"})
    side = SelectField("Side", choices=choices(tcm.SIDES.items()), default="bilateral")

    def process(self, *args, **kwargs) -> None:
        """A midline point (GV, CV, Yintang ...) shows and saves as midline, whatever side was
        chosen or defaulted (acupoints.side_for)."""
        super().process(*args, **kwargs)
        self.side.data = acupoints.side_for(acupoints.parse_point(self.point.data).code,
                                            self.side.data)


class RemedyForm(Form):
    kind = SelectField("Kind", choices=choices([("herbal", "Herbal formula"),
                                                ("supplement", "Supplement")]))
    name = StringField("Name", filters=S, validators=[Length(max=200)])
    dose = StringField("Dose", filters=S, validators=[Length(max=200)],
                       description="e.g. 3 g twice daily")

    def validate_name(self, field) -> None:
        if not field.data and self.dose.data:
            raise ValidationError("Name the herb or supplement for this dose.")


class PlanForm(FlaskForm):
    practitioner_id = SelectField("Practitioner", coerce=int)
    assessment_id = SelectField("Based on assessment", coerce=int, default=0)
    conditions = TextAreaField("Conditions treated", filters=S, validators=[
        DataRequired("Say which condition(s) this plan treats."), Length(max=2000)])
    patterns = MultiCheckboxField("TCM patterns", choices=choices(
        (p.slug, f"{p.label} ({p.icd11})") for p in tcm.PATTERNS.values()))
    style = SelectField("Style of acupuncture", choices=choices(tcm.STYLES.items()))
    variation = SelectField("Point selection", choices=choices(tcm.VARIATIONS.items()))
    rationale = TextAreaField("Rationale", filters=S, validators=[Length(max=4000)],
                              description="Why these points and this course.")
    goals = FieldList(FormField(GoalForm), min_entries=2, max_entries=12)
    points = FieldList(FormField(PointForm), min_entries=6, max_entries=40)
    modalities = MultiCheckboxField("Other modalities", choices=choices(tcm.MODALITIES.items()))
    remedies = FieldList(FormField(RemedyForm), min_entries=1, max_entries=12)
    weekdays = MultiCheckboxField("Days", coerce=int, choices=choices(enumerate(WEEKDAYS)),
                                  validators=[DataRequired("Choose at least one day.")])
    interval_weeks = SelectField("Every", coerce=int, default=1, choices=choices(
        [(1, "week"), (2, "2 weeks"), (3, "3 weeks"), (4, "4 weeks")]))
    start_time = TimeField("Time", validators=[InputRequired("Enter a start time, e.g. 09:30.")])
    minutes = IntegerField("Minutes per session", default=45, validators=[
        InputRequired("Enter the length of a session."),
        NumberRange(10, 180, "Choose between 10 and 180 minutes.")])
    start_on = DateField("First day", validators=[InputRequired("Enter the first day."),
                                                  near_today])
    sessions_planned = IntegerField("Number of sessions", validators=[
        Optional(), NumberRange(1, 100, "Choose between 1 and 100 sessions.")])
    end_on = DateField("Or until", validators=[Optional()],
                       description="Give a number of sessions or an end date.")
    reeval_every = IntegerField("Re-evaluate every", default=6, validators=[
        InputRequired("Enter how often to re-evaluate."),
        NumberRange(1, 50, "Choose between 1 and 50 sessions.")],
        description="Sessions between re-evaluations of the outcome measures.")
    more_rows = SubmitField("Add more rows")

    def set_choices(self, practitioners, assessments) -> None:
        self.practitioner_id.choices = choices((u.id, u.signature_name) for u in practitioners)
        self.assessment_id.choices = choices([(0, "None")] + [
            (a.id, f"{date_text(a.assessed_on)}: {(a.western_diagnosis or '')[:60]}")
            for a in assessments])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        end, count, start = self.end_on, self.sessions_planned, self.start_on.data
        problem = ""
        if end.errors or count.errors:
            return False
        if end.data and count.data:
            problem = "Give either a number of sessions or an end date, not both."
        elif not end.data and not count.data:
            problem = "Give a number of sessions or an end date."
        elif end.data and start and end.data < start:
            problem = "The end date is before the first day."
        elif end.data and start and end.data > start + timedelta(days=3 * 365):
            problem = "Plan at most three years ahead; review and extend the plan later."
        if problem:
            end.errors = [*end.errors, problem]
            return False
        return ok

    def plan_data(self) -> dict:
        data = {k: v for k, v in self.data.items() if k not in ("csrf_token", "more_rows")}
        data["assessment_id"] = data["assessment_id"] or None
        return data


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=choices([
        ("on_hold", "On hold"), ("active", "Active (resume)"), ("completed", "Completed"),
        ("discontinued", "Discontinued")]))
    reason = TextAreaField("Reason", filters=S, validators=[Length(max=1000)],
                           description="Required when pausing or discontinuing.")



def confirm_form(slots):
    """A form with one choice per problem date: next free slot, book anyway, or skip."""
    class ConfirmForm(FlaskForm):
        pass

    for i, slot in enumerate(slots):
        if slot.ok:
            continue
        options = []
        if slot.alternative:
            options.append(("next", "Use the next free slot"))
        options += [("skip", "Skip this date"), ("keep", "Book anyway (double-book)")]
        setattr(ConfirmForm, f"choice_{i}", RadioField(
            "What to do", choices=choices(options), default=options[0][0],
            validators=[InputRequired("Choose what to do with this date.")]))
    return ConfirmForm()
