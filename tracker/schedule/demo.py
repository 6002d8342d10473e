"""Demo assessments, plans and their appointments: active, completed and discontinued courses
(here, as the schedule reads plans and the plans package never imports the schedule)."""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..patients.models import Patient
from ..plans import services
from ..plans.models import TreatmentPlan
from . import services as schedule

CASES = [
    ("Chronic low back pain", "M54.5", ["kidney-yang-deficiency", "qi-stagnation"],
     ["BL23", "BL40", "GV4", "KI3", "Ashi: left lumbar paraspinals"]),
    ("Chronic neck pain", "M54.2", ["liver-qi-stagnation", "wind"],
     ["GB20", "GB21", "SI3", "TE5", "LI4"]),
    ("Knee osteoarthritis", "M17.1", ["dampness", "cold", "blood-stasis"],
     ["ST35", "EX-LE4", "SP9", "GB34", "ST36"]),
    ("Fibromyalgia", "M79.7", ["heart-spleen-deficiency", "qi-deficiency"],
     ["HT7", "SP6", "ST36", "LR3", "LI4", "EX-HN3"]),
    ("Migraine without aura", "G43.0", ["liver-yang-ascendant"],
     ["GB20", "LR3", "TE5", "EX-HN5", "GV20"]),
]
RHYTHMS = [([1, 3], time(9, 30)), ([0, 3], time(14, 0)), ([2], time(11, 0)), ([1, 4], time(16, 0)),
           ([0], time(10, 15)), ([3], time(12, 0))]


def seed_demo(rng: random.Random, patients=None, practitioners=None) -> int:
    """Give about half the patients an assessment and a course of treatment; returns plans made.
    Past sessions get realistic outcomes (mostly attended, a few cancellations and no-shows)."""
    patients = patients or list(db.session.execute(select(Patient).order_by(Patient.id)).scalars())
    practitioners = practitioners or []
    now = clock.now()
    today = clock.today()
    made = 0
    kinds = ["active"] * 8 + ["completed"] * 4 + ["discontinued"] * 3
    for patient, kind in zip(patients[::2], kinds, strict=False):
        practitioner = next((u for u in practitioners if u.id == patient.primary_practitioner_id),
                            practitioners[made % len(practitioners)] if practitioners else None)
        if practitioner is None:
            break
        condition, icd10, patterns, points = CASES[made % len(CASES)]
        weeks_ago = {"active": rng.randint(1, 4), "completed": rng.randint(14, 26),
                     "discontinued": rng.randint(6, 10)}[kind]
        start = today - timedelta(weeks=weeks_ago)
        assessment = services.save_assessment(None, patient.id, practitioner.id, {
            "assessed_on": start - timedelta(days=rng.randint(0, 6)),
            "western_diagnosis": condition, "icd10": icd10, "patterns": patterns,
            "tongue_colour": rng.choice(["pale", "pale-red", "red", "purple"]),
            "coating_colour": "white", "coating_thickness": rng.choice(["thin", "thick"]),
            "pulse_rate": rng.choice(["slow", "normal"]), "pulse_rhythm": "regular",
            "pulse_qualities": rng.sample(["wiry", "deep", "thready", "slippery", "weak"], 2),
            "palpation": f"Tenderness {rng.randint(4, 8)}/10 at the affected area."})
        weekdays, at = RHYTHMS[made % len(RHYTHMS)]
        plan, _ = services.save_plan(None, patient.id, practitioner.id, {
            "assessment_id": assessment.id, "conditions": f"{condition} ({icd10})",
            "patterns": patterns, "style": "tcm", "variation": "core-plus",
            "rationale": "Core points for the pattern, with local points for the pain.",
            "weekdays": weekdays, "interval_weeks": 1, "start_time": at, "minutes": 45,
            "start_on": start, "sessions_planned": rng.choice([6, 8, 10, 12]), "end_on": None,
            "reeval_every": 6, "modalities": rng.sample(["moxa-indirect", "cupping-dry",
                                                         "electro", "exercise"], 2),
            # No typed baseline: the goal starts from the course's own (the outcome engine's).
            "goals": [{"description": "Reduce average pain", "measure": "nrs_average",
                       "baseline": None, "target": 3.0, "target_on": None}],
            "points": [{"point": p, "side": "bilateral"} for p in points],
            "remedies": []})
        _book_from(plan, clock.day_start(start))
        services.activate(plan, None)
        _play_out(rng, plan, now)
        if kind != "active":
            reason = "" if kind == "completed" else rng.choice(
                ["Moved away", "No benefit after four sessions", "Started physiotherapy"])
            services.set_status(plan, kind, reason, None)
            schedule.remove_future(plan)
        made += 1
    db.session.flush()
    return made


def _book_from(plan: TreatmentPlan, when: datetime) -> None:
    """Book the whole course from its first day; a clash takes the next free slot or is skipped."""
    slots, replace = schedule.preview(plan, when)
    choices = {i: "next" if s.alternative else "skip" for i, s in enumerate(slots) if not s.ok}
    schedule.apply_schedule(plan, slots, replace, choices)


def _play_out(rng: random.Random, plan: TreatmentPlan, now: datetime) -> None:
    for appt in schedule.plan_appointments(plan.id):
        if appt.start_utc >= now:
            break
        roll = rng.random()
        if roll < 0.08:
            schedule.act(appt, "no_show")
        elif roll < 0.16:
            schedule.act(appt, "cancelled_patient", rng.choice(["Unwell", "Work", "Childcare"]))
        else:
            appt.checked_in_at = appt.start_utc - timedelta(minutes=rng.randint(0, 10))
            schedule.act(appt, "attended")


