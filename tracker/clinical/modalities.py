"""Other interventions (STRICTA 4a, ../shared/clinical/session-note.md), declared once.

A plan lists the modalities a course uses by code; a session records each one it gave as an
adjunct row (kind, site, minutes and the settings declared here). The session form derives its
row fields from this list, the session view and amendments describe rows with it, and the safety
rules read each modality's cautions. A new modality with parameters is one entry here (plus, for
a parameter of a new kind of input, a field in `sessions/forms.py` AdjunctRow); no new columns.

Pure data, no Flask."""
from dataclasses import dataclass, field

WAVEFORMS = {"continuous": "Continuous", "dense_disperse": "Dense-disperse"}


@dataclass(frozen=True)
class Param:
    """One setting kept in the row's `settings` (JSON)."""
    name: str                         # key in settings; also the form field's name
    label: str
    kind: str = "text"                # "text", "count" (whole number) or "choice"
    help: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    unit: str = ""                    # shown after the value on the session view
    max_length: int = 60              # for text


@dataclass(frozen=True)
class Caution:
    """A warning needing a recorded confirmation when a patient with `flag` receives this."""
    flag: str                         # safety-flag kind (clinical.safety)
    rule: str                         # stable key stored with the confirmation
    message: str


@dataclass(frozen=True)
class Modality:
    code: str                         # stored in plans and in adjunct rows; never renamed
    label: str
    site: str = "Site"                # label of the site column on the form; "" = no site
    site_help: str = ""
    minutes: bool = True              # whether minutes are recorded
    params: tuple[Param, ...] = ()
    cautions: tuple[Caution, ...] = ()


DEVICE_FLAG = "implanted_device"
EPILEPSY_FLAG = "epilepsy"
BLEEDING_FLAG = "bleeding_risk"
PREGNANCY_FLAG = "pregnancy"

DIABETES_FLAG = "diabetes"
SENSATION_FLAG = "reduced_sensation"
INFECTION_OR_DIABETES_FLAG = "immunosuppression"   # the intake asks both in one question

CONES = Param("cones", "Cones", "count", unit="cones")
CUPS = Param("cups", "Cups", "count", unit="cups")

ELECTRO_CAUTIONS = (
    Caution(DEVICE_FLAG, "electro_device", "Electrical stimulation with an implanted electronic "
            "device (pacemaker, defibrillator): device makers contraindicate it."),
    Caution(EPILEPSY_FLAG, "electro_epilepsy",
            "Electrical stimulation for a patient with epilepsy or seizures."),
    Caution(PREGNANCY_FLAG, "electro_pregnancy", "Electrical stimulation for a patient with a "
            "pregnancy flag: strong stimulation is avoided throughout pregnancy (WHO 1999)."),
)


def _heat(rule: str, what: str) -> tuple[Caution, ...]:
    """Heat with diabetes or reduced sensation: neuropathy means burns go unnoticed
    (../shared/clinical/safety.md, intake screen row on immunosuppression and diabetes). One
    rule per modality, whichever of the flags raised it."""
    message = (f"{what} for a patient with diabetes or reduced sensation: burns go unnoticed. "
               "Check sensation first, keep the heat indirect and low, check the skin often.")
    return tuple(Caution(flag, rule, message)
                 for flag in (SENSATION_FLAG, DIABETES_FLAG, INFECTION_OR_DIABETES_FLAG))


MODALITY_LIST: tuple[Modality, ...] = (
    Modality("electro", "Electroacupuncture", site="Point pairs",
             site_help="e.g. BL23-BL25 left; GB30-GB34 left",
             params=(Param("hz", "Frequency (Hz)", help="e.g. 2/100", unit="Hz", max_length=30),
                     Param("waveform", "Waveform", "choice", choices=WAVEFORMS),
                     Param("intensity", "Intensity", help="e.g. to comfortable tingling")),
             cautions=ELECTRO_CAUTIONS),
    Modality("moxa-direct", "Moxibustion, direct", site="Points or area", params=(CONES,),
             cautions=_heat("heat_sensation:moxa-direct", "Direct moxibustion")),
    Modality("moxa-indirect", "Moxibustion, indirect", site="Points or area",
             params=(Param("method", "Method", help="e.g. stick, box, on ginger"),),
             cautions=_heat("heat_sensation:moxa-indirect", "Indirect moxibustion")),
    Modality("warm-needle", "Warm needle", site="Points", params=(CONES,),
             cautions=_heat("heat_sensation:warm-needle", "Warm needle moxibustion")),
    Modality("cupping-dry", "Cupping, dry", params=(CUPS,)),
    Modality("cupping-wet", "Cupping, wet", params=(CUPS,), cautions=(
        Caution(BLEEDING_FLAG, "wet_cupping_bleeding",
                "Wet cupping for a patient with a bleeding risk."),)),
    Modality("cupping-moving", "Cupping, moving"),
    Modality("gua-sha", "Gua sha"),
    Modality("tuina", "Tuina / massage"),
    Modality("heat-lamp", "Heat lamp",
             cautions=_heat("heat_sensation:heat-lamp", "A heat lamp")),
    Modality("ear-seeds", "Ear seeds / press tacks", site="Ear points", minutes=False),
    Modality("exercise", "Exercise or home programme", site="", minutes=False,
             params=(Param("details", "What was given", max_length=200),)),
    Modality("lifestyle", "Lifestyle advice", site="", minutes=False,
             params=(Param("details", "Advice given", max_length=200),)),
)
MODALITIES: dict[str, Modality] = {m.code: m for m in MODALITY_LIST}
LABELS: dict[str, str] = {m.code: m.label for m in MODALITY_LIST}
ELECTRO = "electro"


def params_union() -> dict[str, Param]:
    """Every parameter name across the list (the form's row has one field for each)."""
    found: dict[str, Param] = {}
    for modality in MODALITY_LIST:
        for param in modality.params:
            found.setdefault(param.name, param)
    return found


def clean_settings(kind: str, values: dict) -> dict:
    """Only the declared settings of this modality, with blank ones left out."""
    modality = MODALITIES.get(kind)
    if modality is None:
        return {}
    return {p.name: values[p.name] for p in modality.params
            if values.get(p.name) not in (None, "")}


def describe(kind: str, site: str = "", minutes: int | None = None,
             settings: dict | None = None) -> str:
    """One line for the session view, the timeline and amendments:
    'Electroacupuncture: BL23-BL25 left, 2/100 Hz, Dense-disperse, tingling, 20 min'."""
    modality = MODALITIES.get(kind)
    settings = settings or {}
    parts = [site] if site else []
    for param in modality.params if modality else ():
        value = settings.get(param.name)
        if value in (None, ""):
            continue
        if param.kind == "choice":
            value = param.choices.get(value, value)
        parts.append(f"{value} {param.unit}" if param.unit else str(value))
    if minutes is not None:
        parts.append(f"{minutes} min")
    label = modality.label if modality else kind
    return f"{label}: {', '.join(parts)}" if parts else label


def cautions_for(kinds, flags: set[str]) -> list[Caution]:
    """The cautions of the given modality kinds that apply to a patient with these flags."""
    found: dict[str, Caution] = {}
    for kind in dict.fromkeys(kinds):
        for caution in MODALITIES[kind].cautions if kind in MODALITIES else ():
            if caution.flag in flags:
                found.setdefault(caution.rule, caution)
    return list(found.values())
