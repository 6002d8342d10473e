"""Questions asked only when an earlier answer calls for them: which follow-up follows which
answer, in one place. The step page hides a follow-up until its answer is given (intake.js
reads `show_when`); without JavaScript it is shown. On the server a follow-up whose answer is
not given is dropped before the step is checked or kept, so a "No" never fails on, or stores,
words typed under an earlier "Yes"."""
from collections.abc import Callable

from werkzeug.datastructures import MultiDict

from ..clinical import instruments as registry
from ..clinical import safety

# step -> (follow-up field names, the question they follow, the answers that call for them)
RULES: dict[str, tuple[tuple[tuple[str, ...], str, frozenset[str]], ...]] = {
    "pain": (
        (("condition_other",), "conditions", frozenset({"other"})),
        (tuple(f"sss_{k}" for k in (*registry.SSS_ITEMS, *registry.SSS_YES_NO)),
         "conditions", frozenset({"fibromyalgia"})),
    ),
    # The detail prompt asks "if yes, ...": a "No" or "Not sure" needs no detail.
    "safety": tuple(((f"safety_{item.code}_detail",), f"safety_{item.code}", frozenset({"yes"}))
                    for item in safety.SAFETY_ITEMS),
}


def dropped(code: str, values: Callable[[str], list[str]]) -> set[str]:
    """Follow-ups of step `code` whose answer is not given; `values(name)` lists an answer."""
    return {name for names, question, calls in RULES.get(code, ())
            if not calls & set(values(question)) for name in names}


def prune(code: str, formdata) -> MultiDict:
    """Posted or saved answers (a MultiDict) without the follow-ups that do not apply."""
    drop = dropped(code, formdata.getlist)
    return MultiDict([(k, v) for k, v in formdata.items(multi=True) if k not in drop])


def prune_answers(code: str, answers: dict[str, list[str]]) -> dict[str, list[str]]:
    """The same for answers as kept in the draft (name -> list of values)."""
    drop = dropped(code, lambda name: answers.get(name) or [])
    return {k: v for k, v in answers.items() if k not in drop}


def show_when(code: str, name: str) -> str:
    """`question=answer|answer` for a follow-up field (the page's data-show-when), else ''."""
    for names, question, calls in RULES.get(code, ()):
        if name in names:
            return f"{question}={'|'.join(sorted(calls))}"
    return ""
