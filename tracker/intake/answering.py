"""A patient answering the intake: each posted step is kept as a draft whatever state it is in,
then the patient moves on or goes back; after the last step a review page shows every answer,
and only its "Send" submits the whole intake. The view checks the link and the step's form and
commits; this decides what is saved and what comes next. Nothing here needs a request."""
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..settings.services import get_settings
from . import services, steps
from .models import Intake


@dataclass
class Posted:
    """What posting a step led to, and the step to show (`code`).

    'expired': kept, but this link can no longer continue; 'stay': the same step again (a
    medicine row was added); 'invalid': the same step with its errors; 'next' or 'back': go to
    `code` (steps.REVIEW after the last step); 'incomplete': a step is no longer valid (red-flag
    questions now apply, say) and `form` carries its errors; 'submitted', or 'already' when
    another tab submitted first."""

    outcome: str
    code: str
    form: Any = None


def post_step(intake: Intake, code: str, answers: dict[str, list[str]], *,
              action: str = "next", valid: bool = True, expired: bool = False,
              by: str | None = None, sees_all: bool = False) -> Posted:
    """Save one step's raw answers (`answers` as posted: name -> list of values) and move the
    intake along. `valid` is whether the step's form accepted them; `by` names the browser
    session typing them and `sees_all` whether it was shown every answer (services.save_draft)."""
    position = steps.index(code)
    save_draft = partial(services.save_draft, by=by, sees_all=sees_all)
    reached = int((intake.draft or {}).get("_reached", 0))
    if expired:  # too late on this link, but what they typed is kept for the next one
        save_draft(intake, code, answers, reached)
        return Posted("expired", code)
    if action == "add_medication" and code == "health":
        save_draft(intake, code, answers, reached)
        return Posted("stay", code)
    if action == "back":
        save_draft(intake, code, answers, reached)
        return Posted("back", steps.CODES[max(position - 1, 0)])
    if not valid:
        save_draft(intake, code, answers, reached)
        # A page that does not show answers given on another device (services.visible_draft)
        # is complete when the step's kept answers are: they are not asked again.
        if not (not sees_all and services.answered_elsewhere(intake, code, by)
                and steps.checked(code, intake.draft).valid):
            return Posted("invalid", code)
    # The last step leads to the review page; once every step was answered, so does any step
    # (the patient came to change it from there).
    last = code == steps.CODES[-1] or reached >= len(steps.CODES)
    following = steps.REVIEW if last else steps.CODES[position + 1]
    save_draft(intake, code, answers, max(reached, position + 1))
    intake.current_step = following
    return Posted("next", following)


def send(intake: Intake) -> Posted:
    """The review page's "Send": every step checked again from the draft, then stored once.
    Only after every step was answered (the review page was shown)."""
    reached = int((intake.draft or {}).get("_reached", 0))
    if reached < len(steps.CODES):
        return Posted("next", steps.CODES[reached])
    data, bad = steps.validate_all(intake.draft)
    if bad is not None:
        intake.current_step = bad.meta_code
        return Posted("incomplete", bad.meta_code, bad)
    settings = get_settings()
    submitted = services.submit(intake, data, settings.consent_text, settings.consent_version)
    return Posted("submitted" if submitted else "already", steps.REVIEW)
