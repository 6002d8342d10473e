"""Summary, PDF and dashboard timings: a patient with 100 sessions (the issue asks for a PDF in
under a second). `python -m bench.summaries` runs alone on a fresh SQLite file; `build` and
`pages` plug into bench.run for the big clinic."""
import argparse
import statistics
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

from tracker import create_app
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.measurements import services as measurements
from tracker.patients import services as patient_services
from tracker.plans import services as plans
from tracker.schedule.models import Appointment
from tracker.sessions import services as sessions
from tracker.sessions.models import AdverseEvent, SessionPoint, SessionRecord

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"


def build(count: int = 100, practitioner_id: int | None = None) -> dict:
    """A patient with `count` weekly sessions, pain 8 easing to 3, re-evaluations every 6."""
    practitioner = (db.session.get(User, practitioner_id) if practitioner_id else
                    db.session.scalars(select(User).where(User.role != "reception")).first())
    first = date.today() - timedelta(weeks=count + 1)
    patient = patient_services.save(None, {
        "given_name": "Bench", "family_name": "Hundred", "date_of_birth": date(1970, 1, 1),
        "primary_practitioner_id": practitioner.id})
    db.session.flush()
    measurements.add(patient.id, "nrs", 8, source="intake", time_frame="now",
                     taken_at=datetime.combine(first - timedelta(days=2), time(9, 0)))
    plan, _ = plans.save_plan(None, patient.id, practitioner.id, {
        "conditions": "Chronic low back pain (M54.5)", "patterns": ["qi-stagnation"],
        "weekdays": [first.weekday()], "interval_weeks": 1, "start_time": time(10, 0),
        "minutes": 45, "start_on": first, "sessions_planned": count, "end_on": None,
        "reeval_every": 6, "modalities": [], "style": "tcm", "variation": "core-plus",
        "goals": [{"description": "Less pain", "measure": "nrs_average", "baseline": 7.0,
                   "target": 3.0, "target_on": None}],
        "points": [{"point": p, "side": "bilateral"} for p in ("BL23", "BL40", "GV4")],
        "remedies": []})
    plans.activate(plan, None)
    for n in range(1, count + 1):
        starts = datetime.combine(first + timedelta(weeks=n - 1), time(10, 0))
        before = max(3, 8 - n // 8)
        appt = Appointment(patient_id=patient.id, practitioner_id=practitioner.id,
                           plan_id=plan.id, starts_at=starts, status="attended", number=n)
        record = SessionRecord(patient_id=patient.id, practitioner_id=practitioner.id,
                               appointment=appt, plan=plan, number=n, visit_on=starts.date(),
                               pain_before=before, pain_after=max(0, before - 2),
                               is_reevaluation=n % 6 == 0, status="signed",
                               points=[SessionPoint(position=0, code="BL23")])
        if n % 25 == 0:
            record.adverse_events = [AdverseEvent(kind="bruising", severity="mild")]
        db.session.add_all([appt, record])
        sessions.write_measurements(record, {"pgic": 2, "nrs_average_week": before}
                                    if n % 6 == 0 else {})
    db.session.commit()
    return {"summary_patient_id": patient.id, "summary_plan_id": plan.id}


def clinic(plans_count: int, seed: int = 3) -> None:
    """Plans with ten weekly sessions each and their pain scores, inserted in bulk, so the
    dashboard's aggregates run over a clinic-sized table."""
    import random

    from sqlalchemy import insert

    from tracker.measurements.models import Measurement
    from tracker.patients.models import Patient
    from tracker.plans.models import TreatmentPlan
    rng = random.Random(seed)
    staff = [u.id for u in db.session.scalars(select(User).where(User.role != "reception"))]
    first_patient = (db.session.scalar(select(func.max(Patient.id))) or 0) + 1
    db.session.execute(insert(Patient), [
        {"given_name": "Scale", "family_name": f"P{i}", "date_of_birth": date(1960, 1, 1)}
        for i in range(plans_count)])
    start = date.today() - timedelta(weeks=20)
    plan_ids = db.session.execute(insert(TreatmentPlan).returning(
        TreatmentPlan.id, sort_by_parameter_order=True), [
        {"patient_id": first_patient + i, "practitioner_id": staff[i % len(staff)],
         "status": rng.choice(["active", "completed", "completed", "discontinued"]),
         "conditions": rng.choice(["Chronic low back pain", "Knee osteoarthritis", "Migraine"]),
         "start_on": start + timedelta(days=i % 60), "sessions_planned": 10,
         "patterns": [], "modalities": [], "weekdays": [0]}
        for i in range(plans_count)]).scalars().all()
    measures, records = [], []
    for i, plan_id in enumerate(plan_ids):
        patient_id, base = first_patient + i, rng.randint(4, 9)
        when = datetime.combine(start, time(9, 0))
        measures.append({"patient_id": patient_id, "instrument": "nrs", "time_frame": "now",
                         "value": base, "source": "intake", "taken_at": when})
        for n in range(1, 11):
            records.append({"patient_id": patient_id, "practitioner_id": staff[0],
                            "plan_id": plan_id, "number": n, "status": "signed",
                            "visit_on": start + timedelta(weeks=n),
                            "pain_before": max(0, base - rng.randint(0, n // 2))})
    ids = db.session.execute(insert(SessionRecord).returning(
        SessionRecord.id, sort_by_parameter_order=True), records).scalars().all()
    measures += [{"patient_id": r["patient_id"], "instrument": "nrs", "time_frame": "now",
                  "value": r["pain_before"], "source": "session", "session_id": sid,
                  "taken_at": datetime.combine(r["visit_on"], time(10, 0))}
                 for sid, r in zip(ids, records, strict=True)]
    db.session.execute(insert(Measurement), measures)
    db.session.commit()


def pages(ids: dict) -> list[tuple[str, str]]:
    base = f"/reports/patients/{ids['summary_patient_id']}/summary"
    return [("summary, 100 sessions", f"{base}?plan={ids['summary_plan_id']}"),
            ("summary PDF, 100 sessions", f"{base}.pdf?plan={ids['summary_plan_id']}"),
            ("outcomes dashboard", "/reports/outcomes")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--plans", type=int, default=0, help="also time the dashboard over "
                        "this many ten-session plans")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
                          "SECRET_KEY": SECRET, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="heads")
            from tracker.accounts.services import create_user
            create_user("admin@bench.example", "bench-password-123", role="admin",
                        display_name="Bench Admin")
            db.session.commit()
            ids = build(args.sessions)
            if args.plans:
                clinic(args.plans)
        client = app.test_client()
        client.post("/login", data={"email": "admin@bench.example",
                                    "password": "bench-password-123"},
                    base_url="https://localhost")
        for name, path in pages(ids):
            timings = []
            for i in range(args.requests + 2):
                started = clock.perf_counter()
                response = client.get(path, base_url="https://localhost")
                if i >= 2:  # warm-up excluded
                    timings.append((clock.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            timings.sort()
            print(f"{name}: median {statistics.median(timings):.0f} ms, "
                  f"max {timings[-1]:.0f} ms ({len(response.data):,} bytes)")


if __name__ == "__main__":
    main()
