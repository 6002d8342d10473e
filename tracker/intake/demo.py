"""Demo intakes: submitted ones (some reviewed, one with a red flag) and half-finished ones.

They go through the same validation and submission code as a real patient's answers."""
import random
from datetime import timedelta

from .. import clock
from ..clinical import safety
from ..timeutil import utcnow
from . import services, steps

STORIES = [
    ("Aching low back for years, worse after gardening, sometimes down the right leg.",
     ["low_back_pain", "sciatica"], ["lower_back", "hip_r", "upper_leg_r"], (6, 5, 8, 3)),
    ("Pain all over, tired all the time, bad sleep.", ["fibromyalgia"],
     ["shoulder_girdle_l", "shoulder_girdle_r", "neck", "upper_back", "lower_back", "hip_l",
      "hip_r", "upper_leg_l", "upper_leg_r"], (7, 7, 9, 5)),
    ("Migraines two or three times a month, behind the left eye.", ["migraine"],
     ["temple_l", "head_front", "neck"], (2, 4, 9, 0)),
    ("Stiff painful knees, hard to climb stairs.", ["knee_oa"], ["knee_l", "knee_r"],
     (5, 5, 7, 3)),
    ("Neck and shoulder tension from desk work, headaches in the afternoon.",
     ["neck_pain", "shoulder_pain", "tension_headache"],
     ["neck", "shoulder_girdle_l", "shoulder_girdle_r", "head_back"], (4, 4, 6, 2)),
    ("Clicking painful jaw, grinding at night.", ["tmj"], ["jaw_l", "jaw_r"], (3, 4, 6, 2)),
]


def _draft(patient, rng: random.Random, story, red_flag: bool) -> dict:
    complaint, conditions, regions, (now, avg, worst, least) = story
    safety_answers = {f"safety_{i.code}": ["no"] for i in safety.SAFETY_ITEMS}
    if rng.random() < 0.3:
        safety_answers["safety_bleeding"] = ["yes"]
        safety_answers["safety_bleeding_detail"] = ["Apixaban 5 mg twice a day"]
    if rng.random() < 0.2:
        safety_answers["safety_fainting"] = ["yes"]
    red = {f"red_{f.code}": ["no"] for f in safety.RED_FLAGS}
    if red_flag:
        red["red_night_pain"] = ["yes"]
        red["red_weight_loss"] = ["yes"]
    pain = {"complaint": [complaint], "conditions": conditions, "regions": regions,
            "pain_duration": [rng.choice(["6m1y", "1y5y", "gt5y"])], "nrs_now": [str(now)],
            "nrs_average_week": [str(avg)], "nrs_worst_week": [str(worst)],
            "nrs_least_week": [str(least)], "peg_enjoyment": [str(min(10, avg + 1))],
            "peg_activity": [str(avg)], "medication_days": [str(rng.randint(0, 7))],
            "medication_for_pain": ["paracetamol"], "better_with": ["heat, rest"],
            "worse_with": ["stress, sitting"]}
    if "fibromyalgia" in conditions:
        pain |= {"sss_fatigue": ["3"], "sss_unrefreshed": ["2"], "sss_cognitive": ["2"],
                 "sss_headaches": ["y"]}
    return {
        "about": {"given_name": [patient.given_name], "family_name": [patient.family_name],
                  "date_of_birth": [patient.date_of_birth.isoformat()],
                  "phone": [patient.phone], "email": [patient.email],
                  "emergency_contact_name": [patient.emergency_contact_name],
                  "emergency_contact_phone": [patient.emergency_contact_phone],
                  "family_doctor": [patient.referring_physician]},
        "pain": pain,
        "sleep": {"sleep": [str(rng.randint(2, 7))], "phq2_1": [str(rng.randint(0, 2))],
                  "phq2_2": [str(rng.randint(0, 2))], "gad2_1": [str(rng.randint(0, 2))],
                  "gad2_2": [str(rng.randint(0, 1))]},
        "health": {"medical_history": ["High blood pressure"], "medications-0-name":
                   ["Amlodipine"], "medications-0-dose": ["5 mg"],
                   "medications-0-how_often": ["once a day"]},
        "safety": safety_answers | red,
        "goals": {"previous_treatments": ["Physiotherapy, massage"],
                  "what_helped": ["Massage helped for a day or two"],
                  "goals": [rng.choice(["Walk the dog for an hour", "Sleep through the night",
                                        "Play with my grandchildren", "Work a full day"])]},
        "consent": {"consent_name": [patient.full_name],
                    "consent_date": [clock.today().isoformat()], "agree": ["y"]},
    }


def seed_demo(rng: random.Random, patients, practitioners, settings) -> None:
    """About half the patients have sent an intake; a few are half-way through one."""
    for i, patient in enumerate(patients):
        if i % 10 in (7, 8, 9):
            continue  # no link yet
        invitation, _ = services.create_invitation(patient, rng.choice(practitioners), 14)
        intake = invitation.intake
        red_flag = i == 11  # a back-pain patient with red flags, waiting for review
        story = STORIES[0] if red_flag else STORIES[i % len(STORIES)]
        draft = _draft(patient, rng, story, red_flag=red_flag)
        if i % 10 == 6:  # half-finished: stopped after the pain questions
            intake.draft = {"about": draft["about"], "pain": draft["pain"], "_reached": 2}
            intake.current_step = "sleep"
            continue
        intake.draft = draft | {"_reached": 6}
        data, bad = steps.validate_all(intake.draft)
        if bad is not None:
            raise ValueError(f"demo intake invalid at {bad.meta_code}: {bad.errors}")
        sent = utcnow() - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8))
        services.submit(intake, data, settings.consent_text, settings.consent_version, now=sent)
        # The link was sent a few days before the patient filled it in.
        invitation.created_at = intake.created_at = sent - timedelta(days=rng.randint(1, 4))
        invitation.expires_at = invitation.created_at + timedelta(days=14)
        if i % 2 == 0:  # patients already in treatment (the plans demo) were reviewed
            services.mark_reviewed(intake, rng.choice(practitioners))
            intake.reviewed_at = sent + timedelta(hours=rng.randint(2, 30))
