"""Demo session records for every attended demo appointment: signed, with pain that falls for
most patients and stays flat for some, re-evaluations on schedule, and the odd bruise."""
import math
import random
from datetime import timedelta

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..measurements import services as measurements
from ..schedule import services as schedule
from ..schedule.models import Appointment
from . import rules, services
from .models import AdverseEvent, SessionAdjunct, SessionPoint, SessionRecord


def _baseline(patient_id: int, rng: random.Random) -> int:
    row = measurements.latest(patient_id, "nrs", "now")
    return int(row.value) if row and row.value >= 4 else rng.randint(6, 8)


def seed_demo(rng: random.Random) -> int:
    attended = db.session.scalars(
        select(Appointment).where(Appointment.status == "attended",
                                  Appointment.plan_id.is_not(None))
        .order_by(Appointment.plan_id, Appointment.starts_at)).all()
    made, trajectory, baseline, plan_id = 0, None, 7, None
    for appt in attended:
        if appt.plan_id != plan_id:
            plan_id = appt.plan_id
            trajectory = "flat" if rng.random() < 0.3 else "improving"
            baseline = _baseline(appt.patient_id, rng)
        n = appt.number or 1
        if trajectory == "improving":
            expected = baseline - (baseline - 2.5) * (1 - math.exp(-n / 4))
        else:
            expected = baseline - 0.3 * n / 4
        before = max(0, min(10, round(expected + rng.uniform(-0.8, 0.8))))
        after = max(0, before - rng.choice([0, 1, 1, 2, 2, 3]))
        plan = appt.plan
        record = SessionRecord(
            patient_id=appt.patient_id, practitioner_id=appt.practitioner_id, appointment=appt,
            plan=plan, number=n, visit_on=clock.local_date(appt.start_utc),
            pain_before=before, pain_after=after, style=plan.style, depth="0.5-1 cun",
            response_sought="de_qi", response_obtained=rng.random() < 0.85,
            stimulation="electrical" if "electro" in plan.modalities and n > 2 else "manual",
            manual_technique="even", retention_minutes=rng.choice([20, 25, 30]),
            needle_type="0.25 x 40 mm stainless steel, guide tube",
            subjective=rng.choice(["Sleeping a little better.", "Pain flared after gardening.",
                                   "About the same as last week.", "Fewer painkillers this week.",
                                   "Busy week at work, more stiffness."]),
            objective="Tongue and pulse as before; range of motion noted.",
            assessment="Responding as expected." if trajectory == "improving" else
            "Slow response so far.", plan_notes="Continue the course.",
            needles_reconciled=True, is_reevaluation=schedule.is_reeval(appt),
            status="signed", signed_by_id=appt.practitioner_id,
            signed_at=appt.start_utc + timedelta(minutes=appt.minutes + 10),
            created_at=appt.start_utc)
        kinds = [m for m in plan.modalities
                 if m != "electro" or record.stimulation == "electrical"]
        record.adjuncts = [SessionAdjunct(
            position=i, kind=kind, site="local pair, affected side" if kind == "electro" else "",
            minutes=20 if kind == "electro" else None,
            settings={"hz": "2/100", "waveform": "dense_disperse"} if kind == "electro" else {})
            for i, kind in enumerate(kinds)]
        record.points = [SessionPoint(position=i, code=p.code, location=p.location, side=p.side)
                         for i, p in enumerate(plan.points)]
        record.insertions = rules.insertions([p.side for p in record.points])
        if rng.random() < 0.07:
            record.no_adverse_events = False
            record.adverse_events = [AdverseEvent(
                kind=rng.choice(["bruising", "soreness", "fainting", "bleeding"]),
                site="needle site", severity="mild", action="Reassured; pressure applied.",
                outcome="Resolved before leaving.")]
        else:
            record.no_adverse_events = True
        data = {}
        if record.is_reevaluation:
            week = max(0, min(10, before + rng.choice([-1, 0, 1])))
            record.reeval_decision = "continue" if trajectory == "improving" else "modify"
            data = {"nrs_average_week": week, "nrs_worst_week": min(10, week + 2),
                    "peg_enjoyment": week, "peg_activity": max(0, week - 1),
                    "sleep": max(0, 8 - week), "medication_days": max(0, week - 2),
                    "pgic": 2 if trajectory == "improving" else 4}
        db.session.add(record)
        services.write_measurements(record, data)
        services.refresh_last_visit(record.patient_id)
        made += 1
    return made
