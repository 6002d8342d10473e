"""CSV of sessions and outcomes, one row per session, for the clinic's own analysis, then one
row per weekly check-in answered between visits (`record` tells them apart).

Every column is declared once in `COLUMNS` with what it means; the download, its header and the
codebook (`codebook()`, served beside the CSV) all come from that list. Pseudonymised rows carry
no name, birth date, contact, free text or raw id: keyed pseudonyms of the patient, plan and
session (stable within this clinic, not reversible without its secret key), the age at the visit
and the days since the plan started, so dates cannot be matched against appointment books."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..checkins.models import Checkin
from ..clinical import instruments as registry
from ..clock import local_date
from ..extensions import db
from ..measurements.models import Measurement
from ..patients.models import Patient
from ..plans.models import Assessment, TreatmentPlan
from ..reports import plan_outcomes
from ..sessions import stricta
from ..sessions.models import AdverseEvent, SessionRecord
from ..timeutil import age_on


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    identified: bool = True       # in the clinic's own (identified) export
    pseudonymised: bool = True    # in the research (pseudonymised) export


COLUMNS = [
    Column("record", "What the row is: session (a visit's record) or checkin (a weekly check-in "
           "the patient answered between visits; it fills the patient, plan, dates and "
           "checkin_ columns only, its date being the day it was answered)."),
    Column("patient_id", "The clinic's patient number.", pseudonymised=False),
    Column("family_name", "Family name.", pseudonymised=False),
    Column("given_name", "Given name.", pseudonymised=False),
    Column("date_of_birth", "Date of birth (YYYY-MM-DD).", pseudonymised=False),
    Column("visit_on", "Date of the visit (YYYY-MM-DD).", pseudonymised=False),
    Column("patient_pseudonym", "Keyed pseudonym of the patient (HMAC-SHA-256 with the clinic's "
           "secret key, 16 hex digits): the same patient has the same value in every export "
           "of this clinic.", identified=False),
    Column("plan_pseudonym", "Keyed pseudonym of the treatment plan (course).", identified=False),
    Column("session_pseudonym", "Keyed pseudonym of the session record.", identified=False),
    Column("age_at_visit", "Whole years of age on the day of the visit.", identified=False),
    Column("sex", "Sex as recorded: female, male, intersex or unknown.", identified=False),
    Column("day_of_plan", "Days from the plan's start to the visit.", identified=False),
    Column("plan_id", "The treatment plan's number.", pseudonymised=False),
    Column("condition", "The plan's conditions as the practitioner typed them (free text).",
           pseudonymised=False),
    Column("diagnosis_icd10", "ICD-10 code of the Western diagnosis in the plan's assessment."),
    Column("session_number", "The visit's number within its plan (empty for a walk-in)."),
    Column("reevaluation", "1 when the visit was a re-evaluation, else 0."),
    Column("reeval_decision", "The re-evaluation's decision for the plan: continue, modify, "
           "discharge or refer (empty at other visits)."),
    Column("status", "The record's status: draft or signed."),
    Column("pain_before", "Pain right now before needling, NRS 0-10."),
    Column("pain_after", "Pain after treatment, NRS 0-10 (empty when not asked)."),
    Column("baseline_nrs_now", "The course's baseline pain right now (NRS 0-10): an intake or "
           "staff-entered score within the clinic's window before the first session, else the "
           "first session's pain before needling."),
    Column("baseline_source", "Where the baseline came from: intake, manual (entered by staff) "
           "or session (the first session)."),
    Column("pain_before_change_percent", "Reduction of pain before needling from the baseline, "
           "percent with one decimal (negative is worse); empty at the first session, which is "
           "scored before any needling."),
    Column("pain_before_category", "The change's category by IMMPACT: substantial, responder, "
           "minimal, not_responder_small (under 2 points), no_change, worse, no_baseline."),
    Column("adverse_events", "Adverse events recorded at the visit."),
    Column("serious_events", "Of those, how many were serious."),
]


# STRICTA's needling items (sessions/stricta.py), typed free text only in the clinic's own export.
COLUMNS += [Column(f"stricta_{item.key}", f"STRICTA {item.stricta}: {item.label.lower()}"
                   + (" (free text)." if item.free_text else "."),
                   pseudonymised=not item.free_text) for item in stricta.ITEMS]


def reevaluated() -> list[registry.Instrument]:
    return [i for i in registry.REGISTRY.values() if registry.REEVALUATION in i.asked]


def reeval_columns() -> dict[tuple[str, ...], Column]:
    """(instrument, time frame) -> its column, from the registry as it is now; measures with
    IMMPACT thresholds also get the change's category against the course baseline."""
    found: dict[tuple[str, ...], Column] = {}
    for i in reevaluated():
        found[(i.code, i.time_frame)] = Column(
            f"reeval_{i.key}", f"{i.name} at a re-evaluation visit"
            + (f" ({i.note})." if i.note else "."))
        if i.thresholds:
            found[(i.code, i.time_frame, "category")] = Column(
                f"reeval_{i.key}_category", f"Category of the change in {i.short} from the "
                "course's baseline, as pain_before_category.")
    return found


def checkin_columns() -> dict[tuple[str, str], Column]:
    """(instrument, time frame) -> its column, for the registry's measures asked at a weekly
    check-in (the answers' own scores: an answered check-in's measurement rows)."""
    return {(i.code, i.time_frame): Column(
        f"checkin_{i.key}", f"{i.name} answered in a weekly check-in (empty on session rows)"
        + (f" ({i.note})." if i.note else ".")) for i in registry.asked_at(registry.CHECKIN)}


def every_column() -> list[Column]:
    return COLUMNS + list(reeval_columns().values()) + list(checkin_columns().values())


def declared(pseudonymised: bool) -> list[Column]:
    return [c for c in every_column() if (c.pseudonymised if pseudonymised else c.identified)]


def columns(pseudonymised: bool) -> list[str]:
    return [c.name for c in declared(pseudonymised)]


def codebook() -> Iterator[str]:
    """Every column of both exports and what it means, as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["column", "identified_export", "pseudonymised_export", "meaning"])
    for c in every_column():
        writer.writerow([c.name, "yes" if c.identified else "no",
                         "yes" if c.pseudonymised else "no", c.meaning])
    yield buffer.getvalue()


def pseudonym(secret: str, kind: str, key: int) -> str:
    return hmac.new(secret.encode(), f"{kind}:{key}".encode(), hashlib.sha256).hexdigest()[:16]


def _safe(value):
    """Spreadsheets run cells that start with = + - @ as formulas; prefix them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows(pseudonymised: bool, secret: str) -> Iterator[dict]:
    """One dict per session record, in batches so memory stays flat on a large clinic."""
    ae = (select(AdverseEvent.session_id, func.count().label("n"),
                 func.sum(func.cast(AdverseEvent.serious, db.Integer)).label("serious"))
          .group_by(AdverseEvent.session_id).subquery())
    stmt = (select(SessionRecord, Patient, TreatmentPlan, ae.c.n, ae.c.serious,
                   Assessment.icd10)
            .join(Patient, Patient.id == SessionRecord.patient_id)
            .outerjoin(TreatmentPlan, TreatmentPlan.id == SessionRecord.plan_id)
            .outerjoin(Assessment, Assessment.id == TreatmentPlan.assessment_id)
            .outerjoin(ae, ae.c.session_id == SessionRecord.id)
            .options(selectinload(SessionRecord.points), selectinload(SessionRecord.adjuncts))
            .order_by(SessionRecord.patient_id, SessionRecord.visit_on, SessionRecord.id)
            .execution_options(yield_per=500))
    batch: list = []
    for row in db.session.execute(stmt):
        batch.append(row)
        if len(batch) >= 500:
            yield from _emit(batch, pseudonymised, secret)
            batch = []
    yield from _emit(batch, pseudonymised, secret)
    yield from _checkins(pseudonymised, secret)


def _checkins(pseudonymised: bool, secret: str) -> Iterator[dict]:
    """One row per answered check-in, with its answers' scores in the checkin_ columns."""
    stmt = (select(Checkin, Patient, TreatmentPlan)
            .join(Patient, Patient.id == Checkin.patient_id)
            .join(TreatmentPlan, TreatmentPlan.id == Checkin.plan_id)
            .where(Checkin.answered_at.is_not(None))
            .order_by(Checkin.patient_id, Checkin.answered_at, Checkin.id))
    found = checkin_columns()
    batch: list = []
    for row in db.session.execute(stmt.execution_options(yield_per=500)):
        batch.append(row)
        if len(batch) >= 500:
            yield from _emit_checkins(batch, found, pseudonymised, secret)
            batch = []
    yield from _emit_checkins(batch, found, pseudonymised, secret)


def _emit_checkins(batch, found, pseudonymised: bool, secret: str) -> Iterator[dict]:
    if not batch:
        return
    values: dict[int, dict] = {}
    for m in db.session.scalars(select(Measurement).where(
            Measurement.checkin_id.in_([r[0].id for r in batch]))):
        values.setdefault(m.checkin_id, {})[(m.instrument, m.time_frame)] = m.value
    for checkin, patient, plan in batch:
        day = local_date(checkin.answered_at)
        row = {"record": "checkin"} | {column.name: values.get(checkin.id, {}).get(key)
                                       for key, column in found.items()}
        if pseudonymised:
            row |= {"patient_pseudonym": pseudonym(secret, "patient", patient.id),
                    "plan_pseudonym": pseudonym(secret, "plan", plan.id),
                    "age_at_visit": age_on(patient.date_of_birth, day), "sex": patient.sex,
                    "day_of_plan": (day - plan.start_on).days}
        else:
            row |= {"plan_id": plan.id, "condition": plan.conditions, "patient_id": patient.id,
                    "family_name": patient.family_name, "given_name": patient.given_name,
                    "date_of_birth": patient.date_of_birth.isoformat(),
                    "visit_on": day.isoformat()}
        yield row


def _emit(batch, pseudonymised: bool, secret: str) -> Iterator[dict]:
    if not batch:
        return
    ids = [r[0].id for r in batch]
    values: dict[int, dict] = {}
    for m in db.session.scalars(select(Measurement).where(Measurement.session_id.in_(ids))):
        values.setdefault(m.session_id, {})[(m.instrument, m.time_frame)] = m.value
    # Each plan's course baseline and each visit's change, by the summary's own engine.
    measures = (plan_outcomes.NOW, *((i.code, i.time_frame) for i in reevaluated()
                                     if i.thresholds))
    courses = plan_outcomes.course_responses(
        sorted({r[0].plan_id for r in batch if r[0].plan_id}), measures=measures)
    changes = {(v.session_id, measure): v.change for (_, measure), c in courses.items()
               for v in c.visits}
    reeval = reeval_columns()
    for s, patient, plan, n, serious, icd10 in batch:
        v = values.get(s.id, {})
        course = courses.get((s.plan_id, plan_outcomes.NOW))
        base = course.baseline if course else None
        change = changes.get((s.id, plan_outcomes.NOW))
        row = {"record": "session", "diagnosis_icd10": icd10 or "", "session_number": s.number,
               "reevaluation": int(s.is_reevaluation),
               "reeval_decision": (s.reeval_decision or "") if s.is_reevaluation else "",
               "status": s.status, "pain_before": v.get(("nrs", "now"), s.pain_before),
               "pain_after": v.get(("nrs", "after_needling"), s.pain_after),
               "baseline_nrs_now": base.value if base else None,
               "baseline_source": base.source if base else "",
               "pain_before_change_percent": change.percent if change else None,
               "pain_before_category": change.category if change else "",
               "adverse_events": n or 0, "serious_events": int(serious or 0)}
        row |= {f"stricta_{k}": v for k, v in stricta.values(s).items()}
        for key, column in reeval.items():
            if len(key) == 3:
                found = changes.get((s.id, key[:2]))
                row[column.name] = found.category if found and v.get(key[:2]) is not None \
                    else ""
            else:
                row[column.name] = v.get(key)
        if pseudonymised:
            row |= {"patient_pseudonym": pseudonym(secret, "patient", patient.id),
                    "plan_pseudonym": pseudonym(secret, "plan", s.plan_id) if s.plan_id else "",
                    "session_pseudonym": pseudonym(secret, "session", s.id),
                    "age_at_visit": age_on(patient.date_of_birth, s.visit_on),
                    "sex": patient.sex,
                    "day_of_plan": (s.visit_on - plan.start_on).days if plan else None}
        else:
            row |= {"plan_id": s.plan_id, "condition": plan.conditions if plan else "",
                    "patient_id": patient.id, "family_name": patient.family_name,
                    "given_name": patient.given_name,
                    "date_of_birth": patient.date_of_birth.isoformat(),
                    "visit_on": s.visit_on.isoformat()}
        yield row


def write(pseudonymised: bool, secret: str) -> Iterator[str]:
    """The CSV as text chunks, for a streamed download."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(pseudonymised), extrasaction="ignore")
    writer.writeheader()
    for i, row in enumerate(rows(pseudonymised, secret)):
        writer.writerow({k: _safe(v) for k, v in row.items()})
        if i % 200 == 199:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
