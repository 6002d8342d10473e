"""The session record form: one page, prefilled, keyboard friendly, works without script."""
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

from ..clinical import acupoints, instruments, modalities, safety, tcm
from ..forms import MultiCheckboxField, choices, strip
from ..measurements.fields import InstrumentForm, sync
from .models import (
    DECISIONS,
    MANUAL_TECHNIQUES,
    RESPONSES,
    SETTINGS,
    SEVERITIES,
    STIMULATION,
)

S = [strip]
ZERO_TO_TEN = choices((i, str(i)) for i in range(11))
YES_NO = choices([("", "Not recorded"), ("yes", "Yes"), ("no", "No")])


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

    def process(self, *args, **kwargs) -> None:
        """A midline point (GV, CV, Yintang ...) shows, counts and saves as midline, whatever
        side was chosen, defaulted or restored from a draft (acupoints.side_for)."""
        super().process(*args, **kwargs)
        self.side.data = acupoints.side_for(acupoints.parse_point(self.point.data).code,
                                            self.side.data)

    def validate_point(self, field):
        parsed = acupoints.parse_point(field.data)
        if parsed.error:
            raise ValidationError(parsed.error)
        field.parsed = parsed


class AdjunctRow(Form):
    """One other intervention (clinical.modalities): its kind is fixed when the row is added, and
    the page shows the site, minutes and settings that kind declares. One field per declared
    parameter is added below, so a new modality needs no change here unless a parameter needs a
    new kind of input."""
    kind = HiddenField(validators=[Length(max=30)])
    site = StringField("Site", filters=S, validators=[Length(max=200)])
    minutes = minutes("Minutes")
    remove = BooleanField("Remove")

    def validate_kind(self, field):
        if field.data and field.data not in modalities.MODALITIES:
            raise ValidationError("Choose a treatment from the list.")


def _param_field(param: modalities.Param):
    if param.kind == "count":
        return IntegerField(param.label, validators=[Optional(), NumberRange(
            0, 500, "Enter a number between 0 and 500.")])
    if param.kind == "choice":
        return SelectField(param.label, default="", choices=choices(
            [("", "—")] + list(param.choices.items())))
    return StringField(param.label, filters=S, validators=[Length(max=param.max_length)],
                       description=param.help)


for _name, _param in modalities.params_union().items():
    setattr(AdjunctRow, _name, _param_field(_param))


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


class SessionForm(InstrumentForm):
    instrument_where, instrument_required = instruments.REEVALUATION, False

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
                              default="manual", description="Electrical: record the pairs and "
                              "settings as an Electroacupuncture row under Other treatments.")
    manual_technique = SelectField("Manual technique", choices=choices(
        MANUAL_TECHNIQUES.items()), default="even")
    retention_minutes = minutes("Retention (minutes)", description="Typically 20-30.")
    needle_type = StringField("Needle type", filters=S, validators=[Length(max=120)],
                              description="Gauge × length, material, maker, guide tube")
    setting = SelectField("Setting", choices=choices([("", "Not recorded")]
                                                     + list(SETTINGS.items())), default="")
    patient_told = TextAreaField("What the patient was told", filters=S,
                                 validators=[Length(max=4000)],
                                 description="Explanation, what to expect, advice and consent.")
    adjuncts = FieldList(FormField(AdjunctRow), "Other treatments", min_entries=0,
                         max_entries=30)
    adjunct_add = SelectField("Add a treatment", default="", choices=choices(
        [("", "Choose…")] + list(modalities.LABELS.items())))
    adjunct_notes = TextAreaField("Other details", filters=S, validators=[Length(max=4000)],
                                  description="Herbal formula, exercises, advice given.")
    adverse = RadioField("Adverse events", choices=choices([
        ("none", "None"), ("some", "Yes, recorded below")]), validators=[Optional()])
    adverse_events = FieldList(FormField(AdverseEventRow), "Adverse events", min_entries=1,
                               max_entries=20)
    needles_reconciled = BooleanField("All needles counted out at removal")
    # A routine visit answers both safety questions with one tick (validate fills them in).
    all_clear = BooleanField("No adverse events, and every needle counted out",
                             description="Or answer each below.")
    # A clinic note template (note_templates) per SOAP section; choices set by the view. The
    # "Insert" button without script; with it, one click on the phrase inserts at the cursor.
    phrase_subjective = SelectField("Phrase for Subjective", choices=[], validate_choice=False)
    phrase_objective = SelectField("Phrase for Objective", choices=[], validate_choice=False)
    phrase_assessment = SelectField("Phrase for Assessment", choices=[], validate_choice=False)
    phrase_plan_notes = SelectField("Phrase for Plan", choices=[], validate_choice=False)
    # Re-evaluation visits: the outcome set, fields from the instrument registry (InstrumentForm)
    reeval_decision = RadioField("Decision", choices=choices(DECISIONS.items()),
                                 validators=[Optional()])
    reeval_notes = TextAreaField("Re-evaluation notes", filters=S,
                                 validators=[Length(max=4000)])
    confirm = MultiCheckboxField("Confirm and go ahead", choices=[], validate_choice=False)
    # An emergency red flag (clinical.safety.EMERGENCY_FLAGS) blocks signing until one is given.
    emergency_action = RadioField("Emergency red flag", choices=choices(
        safety.EMERGENCY_ACTIONS.items()), validators=[Optional()])
    emergency_note = TextAreaField("Referral made (where, when), or why treatment goes ahead",
                                   filters=S, validators=[Length(max=2000)])

    points_error = ""

    def validate(self, extra_validators=None) -> bool:
        if self.all_clear.data and self.adverse.data != "some":
            self.adverse.data, self.needles_reconciled.data = "none", True
        ok = super().validate(extra_validators)
        if self.all_clear.data and self.adverse.data == "some":
            self.all_clear.errors = [*self.all_clear.errors, "You recorded an adverse event: "
                                     "untick this, or choose “None” above."]
            return False
        return ok

    def parsed_points(self) -> list[tuple[acupoints.ParsedPoint, PointRow]]:
        rows = []
        for entry in self.points:
            parsed = getattr(entry.form.point, "parsed", None) or acupoints.parse_point(
                entry.form.point.data)
            if parsed.code or parsed.location:
                rows.append((parsed, entry.form))
        return rows

    def add_adjunct(self) -> None:
        """The "Add" button: a row of the chosen kind; the page then shows that kind's fields."""
        if self.adjunct_add.data:
            self.adjuncts.append_entry({"kind": self.adjunct_add.data})
        self.adjunct_add.data = ""

    def adjunct_rows(self) -> list[tuple[modalities.Modality, AdjunctRow, list]]:
        """Each row with its modality and the fields that modality declares, labelled for it
        (the template shows only these)."""
        rows = []
        for entry in self.adjuncts:
            row = entry.form
            modality = modalities.MODALITIES.get(row.kind.data or "")
            if modality is None:
                continue
            fields = []
            if modality.site:
                row.site.label.text, row.site.description = modality.site, modality.site_help
                fields.append(row.site)
            for param in modality.params:
                row[param.name].label.text = param.label
                row[param.name].description = param.help
                fields.append(row[param.name])
            if modality.minutes:
                fields.append(row.minutes)
            rows.append((modality, row, fields))
        return rows

    def adjunct_values(self) -> list[dict]:
        """The rows to store (kind, site, minutes, the kind's settings), in order; a kind chosen
        under "Add a treatment" but not added yet is kept too."""
        values = []
        for modality, row, _ in self.adjunct_rows():
            if row.remove.data:
                continue
            values.append({
                "kind": modality.code, "site": (row.site.data or "") if modality.site else "",
                "minutes": row.minutes.data if modality.minutes else None,
                "settings": modalities.clean_settings(
                    modality.code, {p.name: row[p.name].data for p in modality.params})})
        if self.adjunct_add.data:
            values.append({"kind": self.adjunct_add.data, "site": "", "minutes": None,
                           "settings": {}})
        return values

    def reevaluation_required(self, positive_at_intake: set[str]) -> list[str]:
        """Fields a re-evaluation must record: the registry's "always" set, and the mood
        screens that were positive at intake."""
        return [item.field for i in self.instruments() for item in i.items
                if i.reevaluation == instruments.ALWAYS
                or (i.reevaluation == instruments.IF_POSITIVE and i.key in positive_at_intake)]

    def validate_for_signing(self, is_reevaluation: bool,
                             positive_at_intake: set[str] = frozenset()) -> bool:
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
            for name in dict.fromkeys(self.reevaluation_required(positive_at_intake)):
                if self[name].data is None:
                    need(self[name], "This is a re-evaluation visit: record this measure.")
            if not self.reeval_decision.data:
                need(self.reeval_decision, "Record the decision for the plan.")
        return ok


sync(SessionForm)  # at import, so requests never race to build the fields
