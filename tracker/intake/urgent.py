"""Help the patient is told to seek now, on their own pages: the rule is clinical.safety's
(`patient_help`, from the same red-flag declaration that raises the staff's urgent flags); this
reads it from the intake's answers (a step's form, or the draft) and says when the page shows
it before the answer is even saved (intake.js reads `show_when`)."""
from ..clinical import safety
from . import steps

MESSAGES = {
    safety.EMERGENCY: (safety.URGENT_HELP_TITLE, safety.URGENT_HELP),
    safety.LOW_MOOD: ("Support with low mood", safety.MOOD_HELP),
}


def show_when(kind: str) -> str:
    """`question=answer;question=answer` (any one of them): the answers that call for `kind`."""
    if kind == safety.EMERGENCY:
        return ";".join(f"red_{flag.code}={safety.RAISING_ANSWER}" for flag in safety.RED_FLAGS
                        if flag.emergency and not flag.same_as)
    return f"{safety.LOW_MOOD_ITEM}={safety.LOW_MOOD_ANSWER}"


def _first(values) -> str | None:
    if isinstance(values, list | tuple):
        return values[0] if values else None
    return values


def from_draft(draft: dict) -> list[str]:
    """The help that applies to answers kept in a draft (name -> list of values): red flags
    count only while the pain step asks them, as on sending (steps.validate_all)."""
    draft = draft or {}
    screen = {k.removeprefix("safety_"): _first(v) for k, v in (draft.get("safety") or {}).items()
              if k.startswith("safety_")}
    red = None
    if steps.asks_red_flags(draft):
        red = safety.red_flag_answers(
            {k.removeprefix("red_"): _first(v) for k, v in (draft.get("safety") or {}).items()
             if k.startswith("red_")}, screen)
    mood = {k: _first(v) for k, v in (draft.get("sleep") or {}).items()}
    return safety.patient_help(red, mood)


def from_form(code: str, form) -> list[str]:
    """The help that applies to a step's form as shown (posted or saved answers)."""
    if code == "safety" and getattr(form, "asks_red_flags", False):
        red = {flag.code: form[f"red_{flag.code}"].data for flag in safety.RED_FLAGS}
        return safety.patient_help(red, None)
    if code == "sleep" and safety.LOW_MOOD_ITEM in form:
        data = form[safety.LOW_MOOD_ITEM].data
        return safety.patient_help(None, {safety.LOW_MOOD_ITEM: None if data is None
                                          else str(data)})
    return []
