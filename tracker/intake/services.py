"""Intake rules: links, drafts, submission (once), reopening and review. No request needed."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import bindparam, func, literal_column, select, union_all, update
from sqlalchemy.orm import joinedload
from wtforms import SelectMultipleField
from wtforms.fields.core import UnboundField

from .. import clock, links, submissions
from ..clinical import body_regions, conditions, interactions, safety
from ..clinical import instruments as registry
from ..extensions import db
from ..flags import services as flags
from ..measurements import services as measurements
from ..patients.models import Patient
from ..permissions import can, role_can
from ..security import token_hash
from ..timeutil import utcnow
from . import conditional
from .models import (
    Intake,
    IntakeAnswer,
    IntakeCondition,
    IntakeInvitation,
    IntakeMedication,
    IntakeRegion,
)

# What one step's draft may hold. Drafts keep answers whatever state they are in (too long
# included, so the patient sees the error beside their own words), but not without bound: no
# field of the intake takes more than 4,000 characters, a step has under 120 fields (30 medicine
# rows) and none more than 31 choices.
DRAFT_VALUE_MAX = 8_000
DRAFT_FIELDS_MAX = 200
DRAFT_VALUES_MAX = 100
DRAFT_STEP_MAX = 40_000  # characters in all of one step's answers


class DraftTooLarge(ValueError):
    """A step's answers are larger than any real answer: nothing is saved (a 413 page)."""


def open_draft(patient: Patient) -> Intake | None:
    return db.session.scalars(select(Intake).where(
        Intake.patient_id == patient.id, Intake.status == "draft")
        .order_by(Intake.id.desc()).limit(1)).first()


def has_answers(intake: Intake) -> bool:
    """Whether a draft holds anything the patient answered (or was submitted once and reopened)."""
    return bool(intake.submitted_at) or any(
        not key.startswith("_") for key in (intake.draft or {}))


def create_invitation(patient: Patient, user, days: int, *,
                      continue_draft: bool | None = None) -> tuple[IntakeInvitation, str]:
    """A new link. A clinician's link continues the patient's unfinished (or reopened) intake, so
    a patient whose old link expired never loses what they typed. Continuing a draft shows its
    answers to whoever holds the link, so it is a clinical action: a link from someone without
    `clinical.view` (reception) reuses a draft only while nothing is answered in it, and
    otherwise starts a fresh intake. The clinic expects reception to be able to send a form at
    any time; the earlier draft is kept, unshown, for clinicians, and a clinician's new link
    continues the newest draft. `continue_draft` defaults to what the user's role allows."""
    if continue_draft is None:
        continue_draft = can(user, "clinical.view")
    intake = open_draft(patient)
    if intake is None or (not continue_draft and has_answers(intake)):
        intake = Intake(patient=patient, draft={})
    token, hashed = links.new_token()  # 256 bits; the link carries it, the database its hash
    invitation = IntakeInvitation(patient_id=patient.id, intake=intake, token_hash=hashed,
                                  created_by_id=user.id if user else None,
                                  expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    return invitation, token


def find(token: str) -> IntakeInvitation | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalars(select(IntakeInvitation).where(
        IntakeInvitation.token_hash == token_hash(token))).first()


def revoke(invitation: IntakeInvitation, user) -> None:
    invitation.revoked_at = utcnow()
    invitation.revoked_by_id = user.id


def invitations_for(patient_id: int) -> list[IntakeInvitation]:
    """With who made each (the patient page names them): no query per link."""
    return list(db.session.scalars(
        select(IntakeInvitation).options(joinedload(IntakeInvitation.created_by))
        .where(IntakeInvitation.patient_id == patient_id)
        .order_by(IntakeInvitation.created_at.desc())))


def intakes_for(patient_id: int) -> list[Intake]:
    """With who reviewed each (the patient page names them)."""
    return list(db.session.scalars(select(Intake).options(joinedload(Intake.reviewed_by))
                                   .where(Intake.patient_id == patient_id)
                                   .order_by(Intake.id.desc())))


def save_draft(intake: Intake, step: str, formdata: dict[str, list[str]], reached: int,
               by: str | None = None, *, sees_all: bool = False) -> None:
    """Keep the patient's raw answers for a step, whatever state they are in. `by` names the
    browser session that typed them (a hash; see `visible_draft`); `sees_all` says that session
    was shown every answer (a clinician's link).

    The posted page is merged into what is kept, answer by answer (`_merge`): an answer given in
    another browser session, and so not shown to this one, keeps its value unless this session
    typed a new value for it. A field shown empty (or with the register's prefill) because the
    answer is hidden is not a deliberate clearing; a field this session was shown is."""
    answers = {k: v for k, v in formdata.items() if k != "csrf_token"}
    _check_size(answers)
    # Merged into the latest draft under the intake's row lock: two tabs posting different
    # steps (or two phones the same step) at the same moment keep both.
    submissions.lock_row(Intake, intake.id)
    draft = dict(intake.draft or {})
    authors = _authors(draft, step)
    if draft.get(step) and not _typed(answers):
        # A page shown blank (its answers were typed in another browser and are not shown
        # here) never erases them when the patient presses Back or Continue.
        answers = draft[step]
    else:
        hidden = set() if sees_all or by is None else _hidden(draft, step, by)
        answers, authors = _merge(step, draft.get(step) or {}, authors, answers, hidden, by,
                                  _defaults(intake, step))
        answers = conditional.prune_answers(step, answers)
        _check_size(answers)
    draft[step] = answers
    draft["_reached"] = max(int(draft.get("_reached", 0)), reached)
    if by:
        kept = {name: who for name, who in authors.items() if name in answers and who}
        single = set(kept.values())
        draft["_by"] = {**(draft.get("_by") or {}),
                        step: single.pop() if len(single) == 1 and len(kept) == len(answers)
                        else kept}
    intake.draft = draft  # a new dict so the JSON column is seen as changed
    intake.current_step = step


def _check_size(answers: dict[str, list[str]]) -> None:
    if (len(answers) > DRAFT_FIELDS_MAX
            or any(len(v) > DRAFT_VALUES_MAX for v in answers.values())
            or any(len(x) > DRAFT_VALUE_MAX for v in answers.values() for x in v)
            or sum(len(k) + sum(map(len, v)) for k, v in answers.items()) > DRAFT_STEP_MAX):
        raise DraftTooLarge("These answers are longer than this step can keep (no answer here "
                            "takes more than 4,000 characters). Nothing from this page was "
                            "saved; shorten the longest answers and send it again.")


def _is_answer(name: str) -> bool:
    """Buttons and form keys are not answers."""
    return name != "action" and not name.startswith(("csrf", "submission"))


def _typed(answers: dict[str, list[str]]) -> bool:
    """Whether a posted step holds any answer (buttons and form keys are not answers)."""
    return any(value.strip() for name, values in answers.items() if _is_answer(name)
               for value in values)


def _blank(values: list[str] | None) -> bool:
    return not any(v.strip() for v in values or ())


def _authors(draft: dict, step: str) -> dict[str, str]:
    """Which browser session gave each kept answer of a step: `_by[step]` is one session's hash
    (the whole step typed there) or, once two sessions answered it, a hash per field."""
    who = (draft.get("_by") or {}).get(step)
    if isinstance(who, dict):
        return dict(who)
    return dict.fromkeys(draft.get(step) or {}, who) if who else {}


def _hidden(draft: dict, step: str, by: str | None) -> set[str]:
    """The kept answers of a step that a link page in session `by` does not show."""
    authors = _authors(draft, step)
    return {name for name in draft.get(step) or {}
            if _is_answer(name) and (not by or authors.get(name) != by)}


_ROW = re.compile(r"^(?P<list>[a-z_]+)-(?P<index>\d+)-(?P<field>[a-z_]+)$")


def _multi_choice(step: str) -> set[str]:
    """A step's tick-box lists (conditions, body areas): each box is its own answer."""
    from .steps import BY_CODE
    form_class = BY_CODE[step].form_class
    return {name for name in dir(form_class)
            if isinstance(getattr(form_class, name, None), UnboundField)
            and issubclass(getattr(form_class, name).field_class, SelectMultipleField)}


def _merge(step: str, kept: dict[str, list[str]], authors: dict[str, str],
           posted: dict[str, list[str]], hidden: set[str], by: str | None,
           shown: dict[str, list[str]]) -> tuple[dict, dict]:
    """The step's answers after session `by` posted `posted`, and who gave each.

    An answer this session was shown (its own, or none kept) takes the posted value, empty
    included: a deliberate clearing clears. An answer it was not shown (`hidden`: given in
    another session) keeps its value unless the posted one was typed here, i.e. is not empty
    and not what the page showed in its place (`shown`: the register's prefill, today's date).
    A tick-box list adds the boxes ticked here to those kept. A medicine row typed here over a
    hidden row becomes a row of its own after the kept ones."""
    merged: dict[str, list[str]] = {}
    who: dict[str, str] = {}
    multi = _multi_choice(step) if hidden else set()

    def untouched(name: str, values: list[str]) -> bool:
        default = [v.strip() for v in shown.get(name) or ()]
        return _blank(values) or [v.strip() for v in values] == default

    rows_hidden = {(m["list"], m["index"]) for m in map(_ROW.match, hidden) if m}
    moved: dict[tuple[str, str], str] = {}
    if rows_hidden:
        used = {(m["list"], int(m["index"])) for m in map(_ROW.match, [*kept, *posted]) if m}
        rows_posted: dict[tuple[str, str], list[str]] = {}
        for name, values in posted.items():
            m = _ROW.match(name)
            if m and (m["list"], m["index"]) in rows_hidden:
                rows_posted.setdefault((m["list"], m["index"]), []).extend(values)
        for (list_, index), values in sorted(rows_posted.items(), key=lambda r: int(r[0][1])):
            if not _blank(values):
                new = max(i for lst, i in used if lst == list_) + 1
                used.add((list_, new))
                moved[(list_, index)] = str(new)
    for name, values in posted.items():
        m = _ROW.match(name)
        if m and (m["list"], m["index"]) in rows_hidden:
            new = moved.get((m["list"], m["index"]))
            if new is not None:
                merged[f"{m['list']}-{new}-{m['field']}"] = values
                who[f"{m['list']}-{new}-{m['field']}"] = by
            continue  # an untouched row over a hidden one: the kept row stays (below)
        if name not in hidden:
            merged[name], who[name] = values, by
        elif untouched(name, values):
            continue  # kept below
        elif name in multi:
            merged[name] = [*kept[name], *(v for v in values if v not in kept[name])]
            who[name] = authors.get(name)  # still not shown here: it holds the other's boxes
        else:
            merged[name], who[name] = values, by
    for name in hidden:
        if name not in merged:
            merged[name], who[name] = kept[name], authors.get(name)
    return merged, who


def _defaults(intake: Intake, step: str) -> dict[str, list[str]]:
    """What a step's page shows in a field with no answer of this session's, as it would be
    posted back: the register's details on 'About you', today's date on the consent (the same
    prefill as the link page's, tracker/intake/public_views.py)."""
    if step == "consent":
        return {"consent_date": [clock.today().isoformat()]}
    if step != "about":
        return {}
    p = intake.patient
    values = {name: getattr(p, name) for name in (
        "given_name", "family_name", "date_of_birth", "phone", "email", "address",
        "emergency_contact_name", "emergency_contact_phone")}
    values["family_doctor"] = p.referring_physician
    return {name: [value.isoformat() if hasattr(value, "isoformat") else str(value)]
            for name, value in values.items() if value not in (None, "")}


def answered_elsewhere(intake: Intake, step: str, by: str | None) -> bool:
    """Whether a step holds answers a link page in session `by` does not show."""
    return bool(by) and bool(_hidden(intake.draft or {}, step, by))


def sees_all(invitation: IntakeInvitation) -> bool:
    """A clinician's link (a reopened or continued intake, a clinical action) shows every
    answer; any other link shows a browser session only what it typed."""
    creator = invitation.created_by
    return creator is not None and role_can(creator.role, "clinical.view")


def hidden_answers(invitation: IntakeInvitation, by: str | None, step: str) -> set[str]:
    """A step's answers given in another browser session and not shown to session `by` (kept,
    and sent with the intake). Those left empty there are not counted."""
    if sees_all(invitation):
        return set()
    draft = invitation.intake.draft or {}
    kept = draft.get(step) or {}
    return {name for name in _hidden(draft, step, by) if not _blank(kept[name])}


def visible_draft(invitation: IntakeInvitation, by: str | None) -> dict:
    """The part of the draft a link page may show: answers typed in this browser session (`by`),
    and on a clinician's link (a reopened or continued intake, a clinical action) everything.
    Reception creates links and sees each token once, so a link alone must not read answers: a
    page opened from the link in another browser shows none typed elsewhere (they are kept).
    Where a step was answered in two sessions, each sees its own answers, and in place of the
    others what the page shows with no answer (the register's prefill on 'About you')."""
    draft = invitation.intake.draft or {}
    if sees_all(invitation):
        return draft
    shown = {}
    for key, value in draft.items():
        if key.startswith("_"):
            shown[key] = value
            continue
        hidden = _hidden(draft, key, by)
        own = {name: v for name, v in value.items() if name not in hidden}
        if not hidden:
            shown[key] = value
        elif any(_is_answer(name) for name in own):
            defaults = _defaults(invitation.intake, key)
            shown[key] = {**{n: v for n, v in defaults.items() if n in hidden}, **own}
    return shown


def awaiting_review_counted():
    """The count of intakes awaiting review, as a statement (the navigation bar's badge reads
    it together with the other badges, tracker/nav.py)."""
    return select(func.count()).select_from(Intake).where(Intake.status == "submitted")


def awaiting_review_count() -> int:
    return db.session.execute(awaiting_review_counted()).scalar_one()


# -- submission -----------------------------------------------------------------------------------

TEXT_FIELDS = {
    "about": ("given_name", "family_name", "date_of_birth", "phone", "email", "address",
              "emergency_contact_name", "emergency_contact_phone", "family_doctor"),
    "pain": ("complaint", "condition_other", "pain_duration", "better_with", "worse_with",
             "medication_for_pain"),
    "health": ("medical_history", "surgeries", "supplements", "allergies"),
    "goals": ("previous_treatments", "what_helped", "goals"),
}


def submit(intake: Intake, data: dict[str, dict], consent_text: str, consent_version: int,
           now: datetime | None = None) -> bool:
    """Store a finished intake once. Returns False when it was already submitted (a double
    submit, or a second tab): the conditional UPDATE lets exactly one request through."""
    now = now or utcnow()
    db.session.flush()  # the intake row must exist before the guarded UPDATE below
    claimed = db.session.execute(
        update(Intake).where(Intake.id == intake.id, Intake.status == "draft")
        .values(status="submitted", submitted_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False
    db.session.refresh(intake)
    _store_answers(intake, data)
    consent = data["consent"]
    intake.consent_name = consent["consent_name"]
    intake.consent_date = consent["consent_date"]
    intake.consent_at = now
    intake.consent_text = consent_text
    intake.consent_version = consent_version
    intake.reviewed_at = intake.reviewed_by_id = None
    _store_scores(intake, data, now)
    _store_flags(intake, data)
    return True


def _store_answers(intake: Intake, data: dict[str, dict]) -> None:
    for step, names in TEXT_FIELDS.items():
        for name in names:
            setattr(intake, name, data[step][name] if data[step][name] is not None else "")
    pain, health, answers = data["pain"], data["health"], data["safety"]
    intake.conditions = [IntakeCondition(code=c) for c in pain["conditions"]]
    intake.regions = [IntakeRegion(code=r) for r in pain["regions"]]
    intake.medications = [
        IntakeMedication(position=i, name=row["name"], dose=row["dose"] or "",
                         how_often=row["how_often"] or "")
        for i, row in enumerate(r for r in health["medications"] if r["name"])]
    rows = [IntakeAnswer(kind="safety", code=item.code, answer=answers[f"safety_{item.code}"],
                         detail=answers[f"safety_{item.code}_detail"] or "")
            for item in safety.SAFETY_ITEMS]
    if answers.get("_asks_red_flags"):
        rows += [IntakeAnswer(kind="red_flag", code=flag.code, answer=answers[f"red_{flag.code}"])
                 for flag in safety.RED_FLAGS]
    intake.answers = rows


def _store_scores(intake: Intake, data: dict[str, dict], now: datetime) -> None:
    """The intake's scores become the patient's baseline measurements. A resubmission (a
    reopened intake) adds rows taken now and keeps the earlier ones as history: the review shows
    the newest (`measurements.for_intake`), the outcome engine picks the newest baseline."""
    pain = data["pain"]
    answers = {k: v for step in ("pain", "sleep") for k, v in data[step].items()}
    links = {"source": "intake", "taken_at": now, "intake_id": intake.id}
    measurements.write_scores(intake.patient_id, registry.score_answers(answers, registry.INTAKE),
                              **links)
    # Computed, not asked: the WPI from the body map, the SSS with fibromyalgia only.
    measurements.add(intake.patient_id, "wpi", body_regions.wpi(pain["regions"]),
                     items={"regions": sorted(pain["regions"])}, **links)
    if "fibromyalgia" in pain["conditions"]:
        sss_items = {k: pain[f"sss_{k}"] for k in (*registry.SSS_ITEMS, *registry.SSS_YES_NO)}
        measurements.add(intake.patient_id, "sss", registry.sss_score(**sss_items),
                         items=sss_items, **links)


def _store_flags(intake: Intake, data: dict[str, dict]) -> None:
    """The screen's flags by the one rule (clinical.safety.screen_flags), then the medicine and
    supplement lists read against the curated list (clinical.interactions): a blood thinner or
    an herb with a bleeding concern raises or reinforces the bleeding-risk flag, whatever the
    patient answered, with the match shown so a clinician can dismiss a false one."""
    answers = data["safety"]
    codes = [item.code for item in safety.SAFETY_ITEMS]
    red = ({f.code: answers[f"red_{f.code}"] for f in safety.RED_FLAGS}
           if answers.get("_asks_red_flags") else None)
    raised = safety.screen_flags({c: answers[f"safety_{c}"] for c in codes},
                                 {c: answers[f"safety_{c}_detail"] for c in codes}, red)
    flags.raise_from_intake(intake.patient_id, intake.id, raised)
    flags.raise_inferred(intake.patient_id, intake.id, interactions.scan(
        [m.name for m in intake.medications] + [intake.supplements or ""]))


def reopen(intake: Intake) -> None:
    """Staff let the patient change a submitted intake; their answers are kept."""
    intake.status = "draft"
    intake.reopened_at = utcnow()
    intake.current_step = "about"


CONFIRMED_DETAILS = ("given_name", "family_name", "date_of_birth", "phone", "email", "address",
                     "emergency_contact_name", "emergency_contact_phone")


def detail_changes(intake: Intake) -> dict[str, tuple]:
    """Details the patient corrected on the intake: field -> (register, intake)."""
    patient = intake.patient
    return {name: (getattr(patient, name), getattr(intake, name)) for name in CONFIRMED_DETAILS
            if getattr(intake, name) not in (None, "") and
            getattr(intake, name) != getattr(patient, name)}


def apply_details(intake: Intake) -> int:
    """Copy the patient's corrections into the register (audited like any patient edit)."""
    from ..patients import services as patient_services
    changes = detail_changes(intake)
    if changes:
        patient_services.save(intake.patient, {k: new for k, (_, new) in changes.items()})
    return len(changes)


def mark_reviewed(intake: Intake, user) -> None:
    intake.status = "reviewed"
    intake.reviewed_at = utcnow()
    intake.reviewed_by_id = user.id


# -- reading back ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreRow:
    """One line of the review's score table."""
    instrument: registry.Instrument
    value: float | None
    items: dict | None

    @property
    def positive(self) -> bool:
        return self.instrument.positive(self.value)


class Medication(NamedTuple):
    name: str
    dose: str
    how_often: str


class Answer(NamedTuple):
    answer: str
    detail: str


@dataclass(frozen=True)
class Parts:
    """An intake's rows of its own as the review page reads them (plain values, not entities)."""
    regions: list[str]                      # body-map codes, in the order marked
    conditions: list[str]                   # condition codes, in the order chosen
    medications: list[Medication]           # in their order on the form
    answers: dict[tuple[str, str], Answer]  # (kind, code) -> the answer

    @property
    def red_flags_asked(self) -> bool:
        return any(kind == "red_flag" for kind, _ in self.answers)


_BLANK = literal_column("''")
# The four kinds of row in one statement instead of four lazy loads: (part, order, a, b, c, d),
# in the order each relationship declares (tracker/intake/models.py).
_PARTS = union_all(
    select(literal_column("0"), IntakeRegion.id, IntakeRegion.code, _BLANK, _BLANK, _BLANK)
    .where(IntakeRegion.intake_id == bindparam("intake_id")),
    select(literal_column("1"), IntakeCondition.id, IntakeCondition.code, _BLANK, _BLANK, _BLANK)
    .where(IntakeCondition.intake_id == bindparam("intake_id")),
    select(literal_column("2"), IntakeMedication.position, IntakeMedication.name,
           IntakeMedication.dose, IntakeMedication.how_often, _BLANK)
    .where(IntakeMedication.intake_id == bindparam("intake_id")),
    select(literal_column("3"), IntakeAnswer.id, IntakeAnswer.kind, IntakeAnswer.code,
           IntakeAnswer.answer, IntakeAnswer.detail)
    .where(IntakeAnswer.intake_id == bindparam("intake_id")))


def parts(intake_id: int) -> Parts:
    """The intake's regions, conditions, medicines and screen answers, read together."""
    found = Parts([], [], [], {})
    for part, _, a, b, c, d in sorted(db.session.execute(_PARTS, {"intake_id": intake_id}),
                                      key=itemgetter(0, 1)):
        if part == 0:
            found.regions.append(a)
        elif part == 1:
            found.conditions.append(a)
        elif part == 2:
            found.medications.append(Medication(a, b or "", c or ""))
        else:
            found.answers[(a, b)] = Answer(c, d or "")
    return found


def scores(intake: Intake, regions: list[str] | None = None) -> dict:
    """What the review page shows: every instrument the intake asks, in registry order, with
    its value and items; the WPI, the SSS and the fibromyalgia screening (from the `regions`
    marked, when the caller read them already)."""
    rows = measurements.for_intake(intake.id)
    shown = [i for i in registry.REGISTRY.values()
             if registry.INTAKE in i.asked or i.key == "wpi"
             or (i.key == "sss" and (i.code, i.time_frame) in rows)]
    result: dict = {"rows": []}
    for instrument in shown:
        row = rows.get((instrument.code, instrument.time_frame))
        result["rows"].append(ScoreRow(instrument, row.value if row else None,
                                       row.items if row else None))
    sss = rows.get(("sss", ""))
    if sss is not None:
        result["fibro"] = body_regions.fibromyalgia_screen(
            [r.code for r in intake.regions] if regions is None else regions, int(sss.value),
            conditions.duration_months(intake.pain_duration))
    return result
