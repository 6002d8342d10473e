"""CSV of sessions and outcomes, one row per session, for the clinic's own analysis.

Pseudonymised rows carry no name, birth date, contact or free text: a keyed hash of the patient
id (stable within this clinic, not reversible without the secret key), the age at the visit and
the days since the plan started, so dates cannot be matched against appointment books."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator

from sqlalchemy import func, select

from ..clinical import instruments as registry
from ..extensions import db
from ..measurements.models import Measurement
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from ..reports import plan_outcomes
from ..sessions.models import AdverseEvent, SessionRecord
from ..timeutil import age_on

IDENTIFIED = ["patient_id", "family_name", "given_name", "date_of_birth", "visit_on"]
PSEUDONYMOUS = ["pseudonym", "age_at_visit", "sex", "day_of_plan"]
# The one declaration of the columns: fixed ones, then one per instrument a re-evaluation asks.
COMMON = ["plan_id", "condition", "session_number", "reevaluation", "status",
          "pain_before", "pain_after", "baseline_nrs_now", "baseline_source",
          "pain_before_change_percent", "pain_before_category", "adverse_events",
          "serious_events"]


def reevaluated() -> list[registry.Instrument]:
    return [i for i in registry.REGISTRY.values() if registry.REEVALUATION in i.asked]


def reeval_columns() -> dict[tuple[str, str], str]:
    """(instrument, time frame) -> column, from the registry as it is now; measures with
    IMMPACT thresholds also get the change's category against the course baseline."""
    columns = {}
    for i in reevaluated():
        columns[(i.code, i.time_frame)] = f"reeval_{i.key}"
        if i.thresholds:
            columns[(i.code, i.time_frame, "category")] = f"reeval_{i.key}_category"
    return columns


def columns(pseudonymised: bool) -> list[str]:
    return (PSEUDONYMOUS if pseudonymised else IDENTIFIED) + COMMON + list(
        reeval_columns().values())


def pseudonym(secret: str, patient_id: int) -> str:
    return hmac.new(secret.encode(), f"patient:{patient_id}".encode(),
                    hashlib.sha256).hexdigest()[:16]


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
    stmt = (select(SessionRecord, Patient, TreatmentPlan, ae.c.n, ae.c.serious)
            .join(Patient, Patient.id == SessionRecord.patient_id)
            .outerjoin(TreatmentPlan, TreatmentPlan.id == SessionRecord.plan_id)
            .outerjoin(ae, ae.c.session_id == SessionRecord.id)
            .order_by(SessionRecord.patient_id, SessionRecord.visit_on, SessionRecord.id)
            .execution_options(yield_per=500))
    batch: list = []
    for row in db.session.execute(stmt):
        batch.append(row)
        if len(batch) >= 500:
            yield from _emit(batch, pseudonymised, secret)
            batch = []
    yield from _emit(batch, pseudonymised, secret)


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
    for s, patient, plan, n, serious in batch:
        v = values.get(s.id, {})
        course = courses.get((s.plan_id, plan_outcomes.NOW))
        base = course.baseline if course else None
        change = changes.get((s.id, plan_outcomes.NOW))
        row = {"plan_id": s.plan_id, "condition": plan.conditions if plan else "",
               "session_number": s.number, "reevaluation": int(s.is_reevaluation),
               "status": s.status, "pain_before": v.get(("nrs", "now"), s.pain_before),
               "pain_after": v.get(("nrs", "after_needling"), s.pain_after),
               "baseline_nrs_now": base.value if base else None,
               "baseline_source": base.source if base else "",
               "pain_before_change_percent": change.percent if change else None,
               "pain_before_category": change.category if change else "",
               "adverse_events": n or 0, "serious_events": int(serious or 0)}
        for key, name in reeval.items():
            if len(key) == 3:
                found = changes.get((s.id, key[:2]))
                row[name] = found.category if found and v.get(key[:2]) is not None else ""
            else:
                row[name] = v.get(key)
        if pseudonymised:
            row |= {"pseudonym": pseudonym(secret, patient.id),
                    "age_at_visit": age_on(patient.date_of_birth, s.visit_on),
                    "sex": patient.sex,
                    "day_of_plan": (s.visit_on - plan.start_on).days if plan else None}
        else:
            row |= {"patient_id": patient.id, "family_name": patient.family_name,
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
