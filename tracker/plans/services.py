"""Assessment and plan rules: save, prefill from the latest assessment, copy, status changes and
versions ("what was the plan at date X"). Callers commit."""
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..accounts.models import User
from ..clinical import acupoints, interactions
from ..clinical import instruments as registry
from ..extensions import db
from ..measurements.services import latest
from ..settings.services import get_settings
from ..timeutil import as_utc, utcnow
from .models import (
    Assessment,
    PlanGoal,
    PlanPoint,
    PlanRemedy,
    PlanSafetyConfirmation,
    PlanVersion,
    TreatmentPlan,
)

ASSESSMENT_FIELDS = (
    "assessed_on", "western_diagnosis", "icd10", "patterns", "pattern_notes", "tongue_colour",
    "tongue_shape", "coating_colour", "coating_thickness", "coating_quality", "tongue_notes",
    "pulse_rate", "pulse_bpm", "pulse_rhythm", "pulse_qualities", "pulse_notes", "palpation")
PLAN_FIELDS = ("assessment_id", "conditions", "patterns", "style", "variation", "rationale",
               "modalities", "weekdays", "interval_weeks", "start_time", "minutes", "start_on",
               "sessions_planned", "end_on", "reeval_every")
# Changing any of these on an active plan means the future appointments must be regenerated.
SCHEDULE_FIELDS = ("weekdays", "interval_weeks", "start_time", "minutes", "start_on",
                   "sessions_planned", "end_on", "practitioner_id")
TRANSITIONS = {
    "draft": {"discontinued"},
    "active": {"on_hold", "completed", "discontinued"},
    "on_hold": {"active", "completed", "discontinued"},
    "completed": set(), "discontinued": set(),
}
REASON_NEEDED = {"on_hold", "discontinued"}


def save_assessment(assessment: Assessment | None, patient_id: int, practitioner_id: int,
                    data: dict) -> Assessment:
    if assessment is None:
        assessment = Assessment(patient_id=patient_id, practitioner_id=practitioner_id)
        db.session.add(assessment)
    for key in ASSESSMENT_FIELDS:
        if key in data:
            value = data[key]
            setattr(assessment, key, list(value) if isinstance(value, list | tuple) else
                    ("" if value is None and key not in ("pulse_bpm", "assessed_on") else value))
    db.session.flush()
    return assessment


@cache
def _by_patient(model, with_practitioner: bool, limit: int | None):
    # Built once per shape (building a statement costs more than running these).
    newest = model.assessed_on if model is Assessment else model.start_on
    stmt = (select(model).where(model.patient_id == bindparam("patient_id"))
            .order_by(newest.desc(), model.id.desc()))
    if with_practitioner:
        stmt = stmt.options(selectinload(model.practitioner))
    return stmt.limit(limit) if limit else stmt


def assessments_for(patient_id: int, *, with_practitioner: bool = True,
                    limit: int | None = None) -> list[Assessment]:
    """Newest first; the practitioner loaded with each for the pages that name them."""
    return list(db.session.scalars(_by_patient(Assessment, with_practitioner, limit),
                                   {"patient_id": patient_id}))


def plans_for(patient_id: int, *, with_practitioner: bool = True) -> list[TreatmentPlan]:
    """Newest first; the practitioner loaded with each for the pages that name them."""
    return list(db.session.scalars(_by_patient(TreatmentPlan, with_practitioner, None),
                                   {"patient_id": patient_id}))


# The patient and practitioner the plan's page draws, read in the plan's own statement (lazy,
# one statement each; its lists: shown, history). Built once (a get() with options builds its
# statement anew each time), on first use, not at import: a loader option configures every
# mapper when made.
@cache
def _page_statement():
    return (select(TreatmentPlan).where(TreatmentPlan.id == bindparam("plan_id"))
            .options(joinedload(TreatmentPlan.patient, innerjoin=True),
                     joinedload(TreatmentPlan.practitioner, innerjoin=True)))


def for_page(plan_id: int) -> TreatmentPlan | None:
    """The plan with what its page shows (plans/plan.html)."""
    return db.session.scalars(_page_statement(), {"plan_id": plan_id}).one_or_none()


def prefill(patient_id: int, today: date) -> dict[str, Any]:
    """Defaults for a new plan: the latest assessment's diagnosis and patterns."""
    data: dict[str, Any] = {"start_on": today, "weekdays": [], "start_time": time(9, 30),
                            "minutes": 45, "interval_weeks": 1, "sessions_planned": 10,
                            "reeval_every": 6, "style": "tcm", "variation": "core-plus"}
    latest = next(iter(assessments_for(patient_id)), None)
    if latest:
        data.update(assessment_id=latest.id, patterns=list(latest.patterns or []),
                    conditions=latest.western_diagnosis
                    + (f" ({latest.icd10})" if latest.icd10 else ""))
    return data


def baseline_goals(patient_id: int) -> list[dict[str, Any]]:
    """Goal rows proposed for the measures the patient has recent scores on."""
    goals = []
    since = clock.now() - timedelta(days=get_settings().baseline_window_days)
    for measure, what in (("nrs_average", "Reduce average pain"), ("peg", "Less pain "
                                                                          "interference")):
        source = registry.goal_measures()[measure]
        found = latest(patient_id, source.code, source.time_frame, since)
        if found is not None:  # a goal worth proposing; its start is the course's baseline
            goals.append({"description": what, "measure": measure, "baseline": None,
                          "target": None, "target_on": None})
    return goals


def typed_baseline(measure: str, value: float | None) -> float | None:
    """A goal keeps a typed starting value only for a measure outside the registry ("other"):
    a scored measure starts from the course's baseline (reports.summary.goal_starts), and
    PGIC has none."""
    return None if measure in registry.goal_measures() else value


def save_plan(plan: TreatmentPlan | None, patient_id: int, practitioner_id: int, data: dict,
              user_id: int | None = None) -> tuple[TreatmentPlan, bool]:
    """Create or update a plan and its children. Returns (plan, schedule_changed). A plan that
    has been active gets a new version."""
    if plan is None:
        plan = TreatmentPlan(patient_id=patient_id, practitioner_id=practitioner_id,
                             status="draft")
        db.session.add(plan)
    before = {k: getattr(plan, k) for k in SCHEDULE_FIELDS}
    for key in PLAN_FIELDS:
        if key in data:
            value = data[key]
            if isinstance(value, list | tuple):
                value = sorted(int(v) for v in value) if key == "weekdays" else list(value)
            elif value is None and key in ("conditions", "rationale"):
                value = ""
            setattr(plan, key, value)
    plan.practitioner_id = data.get("practitioner_id") or plan.practitioner_id
    if "goals" in data:
        plan.goals = [PlanGoal(position=i, description=g["description"], measure=g["measure"],
                               baseline=typed_baseline(g["measure"], g["baseline"]),
                               target=g["target"],
                               target_on=g["target_on"])
                      for i, g in enumerate(data["goals"]) if g.get("description")]
    if "points" in data:
        rows = []
        for i, p in enumerate(x for x in data["points"] if (x.get("point") or "").strip()):
            parsed = acupoints.parse_point(p["point"])
            rows.append(PlanPoint(position=i, code=parsed.code, location=parsed.location,
                                  side=acupoints.side_for(parsed.code, p["side"])))
        plan.points = rows
    if "remedies" in data:
        plan.remedies = [PlanRemedy(position=i, kind=r["kind"], name=r["name"], dose=r["dose"])
                         for i, r in enumerate(data["remedies"]) if r.get("name")]
    db.session.flush()
    changed = any(before[k] != getattr(plan, k) for k in SCHEDULE_FIELDS)
    if changed and plan.status == "active":
        plan.schedule_pending = True
    if plan.status != "draft":
        add_version(plan, user_id, "Plan edited")
    return plan, changed


def patient_medicines(patient_id: int) -> list[str]:
    """The medicine names and supplements of the patient's newest submitted intake."""
    from ..intake.models import Intake
    intake = db.session.scalars(select(Intake).where(
        Intake.patient_id == patient_id, Intake.submitted_at.is_not(None))
        .order_by(Intake.submitted_at.desc(), Intake.id.desc()).limit(1)).first()
    if intake is None:
        return []
    return [m.name for m in intake.medications] + [intake.supplements or ""]


def remedy_warnings(patient_id: int, remedies: list[dict],
                    plan: TreatmentPlan | None = None) -> list[interactions.RemedyWarning]:
    """The plan's remedies against the patient's medicines and bleeding-risk flag
    (clinical.interactions.remedy_warnings); those already confirmed on this plan are left out."""
    from ..flags.services import BLEEDING, active_for
    found = interactions.remedy_warnings(
        [r["name"] for r in remedies if r.get("name")], patient_medicines(patient_id),
        any(f.kind == BLEEDING for f in active_for(patient_id)))
    done = {c.rule for c in plan.confirmations} if plan is not None else set()
    return [w for w in found if w.rule not in done]


def confirm_remedies(plan: TreatmentPlan, warnings: list[interactions.RemedyWarning],
                     user_id: int) -> None:
    """Store each confirmed remedy warning with who and when."""
    done = {c.rule for c in plan.confirmations}
    for warning in warnings:
        if warning.rule not in done:
            plan.confirmations.append(PlanSafetyConfirmation(
                rule=warning.rule, detail=warning.message, confirmed_by_id=user_id))


def copy_plan(source: TreatmentPlan, practitioner_id: int, today: date) -> TreatmentPlan:
    """A new draft with the previous plan's content, starting today."""
    plan = TreatmentPlan(patient_id=source.patient_id, practitioner_id=practitioner_id,
                         status="draft", copied_from_id=source.id, start_on=today)
    for key in PLAN_FIELDS:
        if key not in ("start_on", "end_on"):
            value = getattr(source, key)
            setattr(plan, key, list(value) if isinstance(value, list) else value)
    plan.goals = [PlanGoal(position=g.position, description=g.description, measure=g.measure,
                           baseline=g.baseline, target=g.target) for g in source.goals]
    plan.points = [PlanPoint(position=p.position, code=p.code, location=p.location,
                             side=acupoints.side_for(p.code, p.side)) for p in source.points]
    plan.remedies = [PlanRemedy(position=r.position, kind=r.kind, name=r.name, dose=r.dose)
                     for r in source.remedies]
    db.session.add(plan)
    db.session.flush()
    return plan


def transition_problem(plan: TreatmentPlan, status: str, reason: str) -> str:
    if status not in TRANSITIONS.get(plan.status, set()):
        return f"A {plan.status_label.lower()} plan cannot be set to that status."
    if status in REASON_NEEDED and not reason.strip():
        return "Give a reason (it is kept with the plan)."
    return ""


def set_status(plan: TreatmentPlan, status: str, reason: str, user_id: int | None) -> None:
    plan.status = status
    plan.status_reason = reason.strip()
    db.session.flush()
    add_version(plan, user_id, f"Status: {plan.status_label}")


def activate(plan: TreatmentPlan, user_id: int | None) -> None:
    plan.status = "active"
    plan.status_reason = ""
    db.session.flush()
    add_version(plan, user_id, "Activated")


# --- Versions -------------------------------------------------------------------------------

def snapshot(plan: TreatmentPlan, lists: tuple | None = None) -> dict[str, Any]:
    """Everything the plan says, as plain JSON values (the same shape the summary renders).
    `lists`: its goals, points and remedies when the caller read them (see shown); else the
    plan's own."""
    def plain(value):
        return value.isoformat() if isinstance(value, date | time | datetime) else value
    goals, points, remedies = lists or (plan.goals, plan.points, plan.remedies)
    data = {key: plain(getattr(plan, key)) for key in PLAN_FIELDS + ("status", "status_reason")}
    data["goals"] = [{"description": g.description, "measure": g.measure, "baseline": g.baseline,
                      "target": g.target, "target_on": plain(g.target_on)} for g in goals]
    data["points"] = [{"code": p.code, "location": p.location, "side": p.side}
                      for p in points]
    data["remedies"] = [{"kind": r.kind, "name": r.name, "dose": r.dose} for r in remedies]
    data["practitioner_id"] = plan.practitioner_id
    return data


# The plan's lists as its page shows them: plain rows in the relationships' order, each a plain
# statement (cheaper than a lazy load of whole objects).
_LISTS = tuple(
    select(*columns).where(model.plan_id == bindparam("plan_id")).order_by(model.position)
    for model, columns in (
        (PlanGoal, (PlanGoal.description, PlanGoal.measure, PlanGoal.baseline, PlanGoal.target,
                    PlanGoal.target_on)),
        (PlanPoint, (PlanPoint.code, PlanPoint.location, PlanPoint.side)),
        (PlanRemedy, (PlanRemedy.kind, PlanRemedy.name, PlanRemedy.dose))))


def shown(plan: TreatmentPlan) -> dict[str, Any]:
    """snapshot(plan) of a stored plan, for a page that only shows it."""
    ids = {"plan_id": plan.id}
    return snapshot(plan, tuple(db.session.execute(s, ids).all() for s in _LISTS))


# The warnings confirmed on the plan and its versions (oldest first) as its page lists them, with
# who by name: plain rows (lazy loads of whole objects, then of their users, cost more).
_CONFIRMED = (select(PlanSafetyConfirmation.detail, PlanSafetyConfirmation.confirmed_at,
                     User.display_name.label("who"))
              .join(User, User.id == PlanSafetyConfirmation.confirmed_by_id)
              .where(PlanSafetyConfirmation.plan_id == bindparam("plan_id"))
              .order_by(PlanSafetyConfirmation.id))
_VERSIONS = (select(PlanVersion.version, PlanVersion.note, PlanVersion.valid_from,
                    User.display_name.label("who"))
             .outerjoin(User, User.id == PlanVersion.changed_by_id)
             .where(PlanVersion.plan_id == bindparam("plan_id")).order_by(PlanVersion.version))


def history(plan: TreatmentPlan) -> tuple[list, list]:
    """The stored plan's confirmed warnings and versions, for its page."""
    ids = {"plan_id": plan.id}
    return db.session.execute(_CONFIRMED, ids).all(), db.session.execute(_VERSIONS, ids).all()


def add_version(plan: TreatmentPlan, user_id: int | None, note: str) -> PlanVersion:
    plan.version = (plan.version or 0) + 1
    version = PlanVersion(plan=plan, version=plan.version, valid_from=utcnow(),
                          changed_by_id=user_id, note=note, snapshot=snapshot(plan))
    db.session.add(version)
    db.session.flush()
    return version


def version_at(plan: TreatmentPlan, when: datetime) -> PlanVersion | None:
    """The version in force at `when` (UTC); None before the plan was first activated."""
    found = None
    for version in plan.versions:
        if as_utc(version.valid_from) <= when:
            found = version
    return found

