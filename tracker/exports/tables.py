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

from ..extensions import db
from ..measurements.models import Measurement
from ..patients.models import Patient
from ..plans.models import TreatmentPlan
from ..sessions.models import AdverseEvent, SessionRecord
from ..timeutil import age_on

IDENTIFIED = ["patient_id", "family_name", "given_name", "date_of_birth", "visit_on"]
PSEUDONYMOUS = ["pseudonym", "age_at_visit", "sex", "day_of_plan"]
COMMON = ["plan_id", "condition", "session_number", "reevaluation", "status",
          "pain_before", "pain_after", "baseline_nrs_now", "adverse_events", "serious_events",
          "reeval_nrs_average_week", "reeval_peg3", "reeval_pgic", "reeval_sleep",
          "reeval_med_days"]
REEVAL = {("nrs", "average_week"): "reeval_nrs_average_week", ("peg3", ""): "reeval_peg3",
          ("pgic", ""): "reeval_pgic", ("sleep", "week"): "reeval_sleep",
          ("med_days", "week"): "reeval_med_days"}


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
    first = (select(Measurement.patient_id, func.min(Measurement.taken_at).label("at"))
             .where(Measurement.instrument == "nrs", Measurement.time_frame == "now",
                    Measurement.source == "intake").group_by(Measurement.patient_id).subquery())
    baseline = (select(Measurement.patient_id, Measurement.value)
                .join(first, (first.c.patient_id == Measurement.patient_id)
                      & (first.c.at == Measurement.taken_at))
                .where(Measurement.instrument == "nrs", Measurement.time_frame == "now",
                       Measurement.source == "intake").subquery())
    stmt = (select(SessionRecord, Patient, TreatmentPlan, ae.c.n, ae.c.serious, baseline.c.value)
            .join(Patient, Patient.id == SessionRecord.patient_id)
            .outerjoin(TreatmentPlan, TreatmentPlan.id == SessionRecord.plan_id)
            .outerjoin(ae, ae.c.session_id == SessionRecord.id)
            .outerjoin(baseline, baseline.c.patient_id == SessionRecord.patient_id)
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
    for s, patient, plan, n, serious, base in batch:
        v = values.get(s.id, {})
        row = {"plan_id": s.plan_id, "condition": plan.conditions if plan else "",
               "session_number": s.number, "reevaluation": int(s.is_reevaluation),
               "status": s.status, "pain_before": v.get(("nrs", "now"), s.pain_before),
               "pain_after": v.get(("nrs", "after_needling"), s.pain_after),
               "baseline_nrs_now": base, "adverse_events": n or 0,
               "serious_events": int(serious or 0)}
        row |= {name: v.get(key) for key, name in REEVAL.items()}
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
    columns = (PSEUDONYMOUS if pseudonymised else IDENTIFIED) + COMMON
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for i, row in enumerate(rows(pseudonymised, secret)):
        writer.writerow({k: _safe(v) for k, v in row.items()})
        if i % 200 == 199:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
