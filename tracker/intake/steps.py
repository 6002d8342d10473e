"""The intake's steps, in the order the patient sees them, and how a step's form is built."""
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from ..clinical.conditions import needs_red_flags
from . import conditional, forms


@dataclass(frozen=True)
class Step:
    code: str
    title: str
    form_class: type


STEPS = (
    Step("about", "About you", forms.AboutForm),
    Step("pain", "Your pain", forms.PainForm),
    Step("sleep", "Sleep and mood", forms.SleepMoodForm),
    Step("health", "Health history", forms.HealthForm),
    Step("safety", "Safety questions", forms.SafetyForm),
    Step("goals", "Treatments and goals", forms.GoalsForm),
    Step("consent", "Consent", forms.ConsentForm),
)
BY_CODE = {step.code: step for step in STEPS}
CODES = [step.code for step in STEPS]
REVIEW = "review"  # the page after the last step: every answer, and the only "Send"
REVIEW_TITLE = "Check and send"
# What the patient is told of the whole form, in one place: the link's message, the first page
# and the progress line on every page ("Step 1 of 8": the review page is a step too) read these.
PAGES = len(STEPS) + 1
TIME_ESTIMATE = "about 15 minutes"


def index(code: str) -> int:
    return CODES.index(code)


def draft_formdata(draft: dict, code: str) -> MultiDict | None:
    saved = (draft or {}).get(code)
    return MultiDict([(k, v) for k, values in saved.items() for v in values]) if saved else None


def asks_red_flags(draft: dict) -> bool:
    pain = (draft or {}).get("pain") or {}
    return needs_red_flags(pain.get("conditions", []), pain.get("regions", []))


def build(code: str, draft: dict, formdata=None, defaults: dict | None = None, meta=None):
    """The form for one step: posted data if any, else the saved draft, else defaults. A
    follow-up whose answer was not given is left out (conditional.py)."""
    step = BY_CODE[code]
    kwargs = {"meta": meta} if meta else {}
    if formdata is None:
        formdata = draft_formdata(draft, code)
    if formdata is None:
        form = step.form_class(formdata=None, data=defaults or {}, **kwargs)
    else:
        form = step.form_class(formdata=conditional.prune(code, formdata), **kwargs)
    if code == "safety":
        form.asks_red_flags = asks_red_flags(draft)
        forms.derive_red_flags(form)
    return form


def validate_all(draft: dict):
    """Re-check every step from the saved draft before submitting: (data, None) when all are
    valid, else (None, the first invalid form, with its errors and `meta_code`)."""
    data = {}
    for code in CODES:
        form = checked(code, draft)
        if not form.valid:
            return None, form
        data[code] = form.data
    data["safety"]["_asks_red_flags"] = asks_red_flags(draft)
    return data, None


def checked(code: str, draft: dict):
    """One step's form from the saved draft, validated: `valid`, and `errors` to fix."""
    form = build(code, draft, formdata=draft_formdata(draft, code), meta={"csrf": False})
    form.meta_code = code
    form.valid = form.validate()
    return form
