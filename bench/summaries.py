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
from sqlalchemy import select

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


def pages(ids: dict) -> list[tuple[str, str]]:
    base = f"/reports/patients/{ids['summary_patient_id']}/summary"
    return [("summary, 100 sessions", f"{base}?plan={ids['summary_plan_id']}"),
            ("summary PDF, 100 sessions", f"{base}.pdf?plan={ids['summary_plan_id']}"),
            ("outcomes dashboard", "/reports/outcomes")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--requests", type=int, default=10)
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
