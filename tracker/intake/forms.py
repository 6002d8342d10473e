"""The intake form, one FlaskForm per step, with plain-language messages for patients."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from ..clinical import body_regions, safety
from ..clinical import instruments as registry
from ..clinical.conditions import CONDITIONS, DURATIONS, NONE_OF_THESE
from ..forms import (
    MultiCheckboxField,
    birth_date_check,
    choices,
    not_in_future,
    phone_check,
    strip,
)
from ..measurements.fields import InstrumentForm, sync

S = [strip]
YES_NO_UNSURE = choices(safety.ANSWERS)


class AboutForm(FlaskForm):
    given_name = StringField("First name", filters=S, validators=[
        DataRequired("Please enter your first name."), Length(max=100)])
    family_name = StringField("Last name", filters=S, validators=[
        DataRequired("Please enter your last name."), Length(max=100)])
    date_of_birth = DateField("Date of birth", validators=[
        InputRequired("Please enter your date of birth."), birth_date_check])
    phone = StringField("Phone", filters=S, validators=[Length(max=40), phone_check])
    email = EmailField("Email", filters=S, validators=[
        Optional(), Length(max=254),
        Email("Please check your email address, e.g. name@example.com.")])
    address = TextAreaField("Address", filters=S, validators=[Length(max=500)])
    emergency_contact_name = StringField("Emergency contact: name", filters=S,
                                         validators=[Length(max=120)])
    emergency_contact_phone = StringField("Emergency contact: phone", filters=S,
                                          validators=[Length(max=40), phone_check])
    family_doctor = StringField("Family doctor", filters=S, validators=[Length(max=200)],
                                description="Name and practice, if you have one.")


class PainForm(InstrumentForm):
    """The pain step; its 0-10 and 0-7 questions come from the instrument registry."""
    instrument_where, instrument_step = registry.INTAKE, "pain"

    complaint = TextAreaField("What brings you here?", filters=S, validators=[
        DataRequired("Please tell us, in your own words, what brings you here."),
        Length(max=4000)], description="In your own words: where, what it feels like, when.")
    # "None of these / not sure" answers the question on its own: it is never stored as a
    # condition (the data of a valid form leaves it out) and cannot be ticked with another.
    conditions = MultiCheckboxField(
        "Have you been told you have any of these?",
        choices=choices([*CONDITIONS.items(), NONE_OF_THESE]),
        validators=[DataRequired(f"Please tick at least one. If none fit, or you are not sure, "
                                 f"tick “{NONE_OF_THESE[1]}”.")])
    condition_other = StringField("If other, what?", filters=S, validators=[Length(max=200)])
    pain_duration = RadioField("How long have you had this pain?",
                               choices=choices((k, v[0]) for k, v in DURATIONS.items()),
                               validators=[InputRequired("Please choose how long.")])
    regions = MultiCheckboxField(
        "Where does it hurt?", description="Tick each area where you have pain.",
        validators=[DataRequired("Please mark at least one area where you have pain.")])
    medication_for_pain = StringField("Which medicines do you take for your pain?", filters=S,
                                      validators=[Length(max=500)])
    better_with = TextAreaField("What makes it better?", filters=S, validators=[Length(max=2000)])
    worse_with = TextAreaField("What makes it worse?", filters=S, validators=[Length(max=2000)])
    # Fibromyalgia symptom severity (ACR 2016): only when fibromyalgia is ticked.
    sss_fatigue = RadioField(registry.SSS_ITEMS["fatigue"], coerce=int, choices=choices(
        registry.SSS_SEVERITY), validators=[Optional()])
    sss_unrefreshed = RadioField(registry.SSS_ITEMS["unrefreshed"], coerce=int,
                                 choices=choices(registry.SSS_SEVERITY), validators=[Optional()])
    sss_cognitive = RadioField(registry.SSS_ITEMS["cognitive"], coerce=int, choices=choices(
        registry.SSS_SEVERITY), validators=[Optional()])
    sss_headaches = BooleanField(registry.SSS_YES_NO["headaches"])
    sss_abdominal = BooleanField(registry.SSS_YES_NO["abdominal"])
    sss_depression = BooleanField(registry.SSS_YES_NO["depression"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # In the patient's words (staff pages read body_regions.label).
        self.regions.choices = choices((code, text[:1].upper() + text[1:]) for code, text in (
            (r.code, body_regions.patient_label(r.code)) for r in body_regions.regions().values()))

    def validate_condition_other(self, field):
        if "other" in (self.conditions.data or []) and not field.data:
            raise ValidationError("You ticked “Other”: please tell us what it is.")

    def validate_conditions(self, field):
        if NONE_OF_THESE[0] in (field.data or []) and len(field.data) > 1:
            raise ValidationError(f"You ticked “{NONE_OF_THESE[1]}” and another answer: please "
                                  "untick one of them.")

    def pain_conflicts(self) -> dict[str, str]:
        """Every disagreement between the week's pain numbers at once, each for the field it
        is about: least above worst (on least), average outside least to worst (on average)."""
        worst, least = self.nrs_worst_week.data, self.nrs_least_week.data
        average = self.nrs_average_week.data
        found = {}
        if least is not None and worst is not None and least > worst:
            found["nrs_least_week"] = (f"Your least pain ({least}) is higher than your worst "
                                       f"pain ({worst}). Please check both numbers.")
        if average is not None and ((worst is not None and average > worst)
                                    or (least is not None and average < least)):
            span = (f" ({least} to {worst})" if least is not None and worst is not None
                    and least <= worst else "")
            found["nrs_average_week"] = (f"Your average pain ({average}) should be between your "
                                         f"least and your worst pain{span}. Please check the "
                                         "numbers.")
        return found

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, message in self.pain_conflicts().items():
            if not self[name].errors:
                self[name].errors = [*self[name].errors, message]
                ok = False
        if "fibromyalgia" in (self.conditions.data or []):
            for name in ("sss_fatigue", "sss_unrefreshed", "sss_cognitive"):
                field = self[name]
                if field.data is None:
                    field.errors = [*field.errors, "You ticked fibromyalgia: please answer "
                                    "this question too."]
                    ok = False
        if ok and NONE_OF_THESE[0] in self.conditions.data:
            self.conditions.data = []  # an answer, not a condition to store
        return ok

    @property
    def sss_fields(self):
        return [self.sss_fatigue, self.sss_unrefreshed, self.sss_cognitive]


class SleepMoodForm(InstrumentForm):
    """Sleep and mood: every question from the instrument registry."""
    instrument_where, instrument_step = registry.INTAKE, "sleep"


class MedicationRow(Form):
    name = StringField("Medicine", filters=S, validators=[Length(max=200)])
    dose = StringField("Dose", filters=S, validators=[Length(max=100)],
                       description="e.g. 500 mg")
    how_often = StringField("How often", filters=S, validators=[Length(max=100)],
                            description="e.g. twice a day")

    def validate_name(self, field):
        if not field.data and (self.dose.data or self.how_often.data):
            raise ValidationError("Please add the medicine's name.")


class HealthForm(FlaskForm):
    medical_history = TextAreaField("Other health conditions", filters=S,
                                    validators=[Length(max=4000)],
                                    description="For example high blood pressure, asthma, "
                                                "arthritis, heart problems.")
    surgeries = TextAreaField("Operations or serious injuries", filters=S,
                              validators=[Length(max=4000)], description="With the year, roughly.")
    medications = FieldList(FormField(MedicationRow), "Medicines you take now", min_entries=3,
                            max_entries=30)
    supplements = TextAreaField("Supplements and herbs", filters=S, validators=[Length(max=2000)],
                                description="Vitamins, herbal remedies, Chinese herbs.")
    allergies = TextAreaField("Allergies", filters=S, validators=[Length(max=2000)],
                              description="Medicines, plasters, latex, metals, foods.")


def _safety_form():
    attrs = {}
    for item in safety.SAFETY_ITEMS:
        attrs[f"safety_{item.code}"] = RadioField(
            item.question, choices=YES_NO_UNSURE,
            validators=[InputRequired("Please answer yes, no or not sure.")])
        attrs[f"safety_{item.code}_detail"] = StringField(
            item.detail_prompt or "Anything we should know?", filters=S,
            validators=[Length(max=500)])
    for flag in safety.RED_FLAGS:
        attrs[f"red_{flag.code}"] = RadioField(flag.question, choices=YES_NO_UNSURE,
                                               validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = FlaskForm.validate(self, extra_validators)
        if self.asks_red_flags:
            for flag in safety.RED_FLAGS:
                if flag.same_as:  # asked once, on the screen above (derive_red_flags)
                    continue
                field = self[f"red_{flag.code}"]
                if not field.data:
                    field.errors = [*field.errors, "Please answer yes, no or not sure."]
                    ok = False
        return ok

    attrs["validate"] = validate
    attrs["asks_red_flags"] = False
    return type("SafetyForm", (FlaskForm,), attrs)


SafetyForm = _safety_form()


def safety_fields(form):
    """(question field, detail field) pairs in screen order."""
    return [(form[f"safety_{i.code}"], form[f"safety_{i.code}_detail"])
            for i in safety.SAFETY_ITEMS]


def derive_red_flags(form) -> None:
    """A red flag the screen already asks (`same_as`) takes the screen's answer: the patient
    answers once, and the red-flag rule reads both as before. When the red flags are asked,
    the others are marked required, as the step checks them."""
    for flag in safety.RED_FLAGS:
        field = form[f"red_{flag.code}"]
        if flag.same_as:  # whatever was posted for it (an older page) gives way
            field.data = form[f"safety_{flag.same_as}"].data if form.asks_red_flags else None
            field.raw_data = [field.data] if field.data else []
        elif form.asks_red_flags:
            field.flags.required = True


def red_flag_fields(form):
    """The red-flag questions the patient answers, under neutral headings: (heading, fields,
    whether the group holds an emergency sign), in order. Clinical names are for staff."""
    groups = {}
    for flag in safety.RED_FLAGS:
        if flag.same_as:
            continue
        heading, fields, emergency = groups.get(flag.group) or (
            safety.RED_FLAG_PATIENT_GROUPS[flag.group], [], False)
        groups[flag.group] = (heading, [*fields, form[f"red_{flag.code}"]],
                              emergency or flag.emergency)
    return list(groups.values())


class GoalsForm(FlaskForm):
    previous_treatments = TextAreaField("Treatments you have tried for this pain", filters=S,
                                        validators=[Length(max=4000)],
                                        description="Physiotherapy, massage, acupuncture, "
                                                    "injections, surgery, medicines ...")
    what_helped = TextAreaField("What helped, and what did not?", filters=S,
                                validators=[Length(max=4000)])
    goals = TextAreaField("What would you like to be able to do again?", filters=S, validators=[
        DataRequired("Please tell us at least one thing you would like to be able to do."),
        Length(max=4000)], description="For example: sleep through the night, walk the dog, "
                                       "pick up my grandchild.")


class ConsentForm(FlaskForm):
    consent_name = StringField("Type your full name as your signature", filters=S, validators=[
        DataRequired("Please type your full name to sign."), Length(max=200)])
    consent_date = DateField("Date", validators=[InputRequired("Please enter today's date."),
                                                 not_in_future])
    agree = BooleanField("I have read and understood the information above and agree to "
                         "acupuncture treatment.", validators=[
                             DataRequired("Please tick the box to give your consent. If you "
                                          "have questions, ask us before you sign.")])


class SendForm(FlaskForm):
    """A post on the link that carries only its CSRF token: the review page's "Send", and the
    open step's answers saved as the patient types (the answers are kept as a raw draft)."""


for _form in (PainForm, SleepMoodForm):
    sync(_form)  # at import, so requests never race to build the fields
