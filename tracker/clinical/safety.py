"""The intake safety screen, low-back-pain red flags, adverse-event categories and the default
consent text (source: shared/clinical/safety.md)."""
from __future__ import annotations

from dataclasses import dataclass

ANSWERS = (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure"))


@dataclass(frozen=True)
class SafetyItem:
    code: str
    question: str
    flag: str               # the flag kind a "yes" or "not sure" raises
    detail_prompt: str = ""  # what to ask for when the answer is yes


SAFETY_ITEMS = (
    SafetyItem("pregnancy", "Are you pregnant, possibly pregnant, or trying to become pregnant?",
               "pregnancy", "If pregnant, how many weeks?"),
    SafetyItem("bleeding", "Do you have a bleeding disorder, or take blood thinners or "
               "antiplatelet medicine (for example warfarin, apixaban, rivaroxaban, clopidogrel "
               "or a daily aspirin)?", "bleeding_risk", "Which medicine or condition?"),
    SafetyItem("device", "Do you have a pacemaker, defibrillator or any other implanted "
               "electronic device?", "implanted_device", "Which device?"),
    SafetyItem("epilepsy", "Do you have epilepsy or have you had seizures?", "epilepsy"),
    SafetyItem("fainting", "Have you ever fainted with needles, blood tests or injections, or "
               "are you afraid of needles?", "fainting"),
    SafetyItem("immune", "Is your immune system weakened (for example steroids, chemotherapy, "
               "a transplant or HIV), or do you have diabetes?", "immunosuppression",
               "Please tell us more"),
    SafetyItem("skin", "Do you have a skin infection, an open wound or lymphoedema (swelling "
               "after lymph node removal) anywhere we might treat?", "skin",
               "Where on your body?"),
    SafetyItem("metal", "Are you allergic to metal, such as nickel?", "metal_allergy"),
    SafetyItem("cancer", "Have you ever had cancer, or do you have it now?", "cancer",
               "What kind, and when?"),
)

FLAG_LABELS = {
    "pregnancy": "Pregnancy: avoid points marked for pregnancy; no strong stimulation",
    "bleeding_risk": "Bleeding risk: bleeding disorder or blood thinners",
    "implanted_device": "Implanted electronic device: no electroacupuncture",
    "epilepsy": "Epilepsy or seizures: no electroacupuncture if uncontrolled",
    "fainting": "Fainting or needle fear: treat lying down, fewer needles at first",
    "immunosuppression": "Infection risk or diabetes: check skin; care with moxa and heat",
    "skin": "Skin infection, wound or lymphoedema: do not needle the area",
    "metal_allergy": "Metal (nickel) allergy",
    "cancer": "Cancer, current or past",
    "red_flag": "Back pain red flag: refer for medical assessment",
    "cauda_equina": "Possible cauda equina: same-day emergency care",
    "red_flag_unsure": "Back pain red flag answered “not sure”: discuss before treating",
    "diabetes": "Diabetes: check sensation and skin; care with moxa and heat",
    "reduced_sensation": "Reduced sensation: burns from moxa or heat go unnoticed",
    "other": "Other safety concern",
}
URGENT_FLAGS = frozenset({"red_flag", "cauda_equina"})
# Signing a session on a patient with one of these needs the referral made or the reason to go
# ahead recorded (AHCPR 1994; Verhagen 2016: cauda equina signs need same-day emergency care).
EMERGENCY_FLAGS = frozenset({"cauda_equina"})
EMERGENCY_ACTIONS = {"referred": "Referred for same-day emergency care",
                     "proceed": "Going ahead with treatment: the reason is below"}
# The kinds a clinician may raise by hand at any visit (the intake raises the rest too).
CLINICIAN_KINDS = ("pregnancy", "bleeding_risk", "implanted_device", "epilepsy", "fainting",
                   "diabetes", "reduced_sensation", "immunosuppression", "skin",
                   "metal_allergy", "cancer", "red_flag", "cauda_equina", "other")
FLAG_SOURCES = {"intake": "Intake screen", "inferred": "Inferred from the medicine list",
                "clinician": "Found at a visit", "patient": "Told by the patient",
                "letter": "Letter or record from another clinician"}


@dataclass(frozen=True)
class RedFlag:
    code: str
    group: str
    question: str
    emergency: bool = False
    # A red flag the safety screen already asks (the code of its SafetyItem): the patient is
    # asked once, and the red flag takes that answer.
    same_as: str = ""


# The clinical names, for staff pages (the intake review, flags, the session's warnings).
RED_FLAG_GROUPS = {
    "fracture": "Possible fracture",
    "tumour_infection": "Possible tumour or infection",
    "cauda_equina": "Possible cauda equina syndrome",
    "not_improving": "Not improving",
}
# The same groups as the patient reads them on the intake: neutral words, no diagnosis named.
RED_FLAG_PATIENT_HEADING = "A few more questions about your back"
RED_FLAG_PATIENT_GROUPS = {
    "fracture": "How your back pain started",
    "tumour_infection": "Your general health",
    "cauda_equina": "Feeling, bladder and bowel",
    "not_improving": "Care so far",
}
RED_FLAGS = (
    RedFlag("major_trauma", "fracture", "Did your back pain start after a major injury, such as "
            "a car accident or a bad fall?"),
    RedFlag("minor_trauma", "fracture", "Did it start after a minor fall or heavy lifting, and "
            "do you have osteoporosis (thin bones)?"),
    RedFlag("steroids", "fracture", "Have you taken steroid tablets (such as prednisolone) for "
            "a long time?"),
    RedFlag("age_onset", "tumour_infection", "Did this back pain first start when you were "
            "over 50 or under 20?"),
    RedFlag("cancer_history", "tumour_infection", "Have you ever had cancer?", same_as="cancer"),
    RedFlag("fever", "tumour_infection", "Have you had a fever or chills with this pain?"),
    RedFlag("weight_loss", "tumour_infection", "Have you lost weight recently without trying?"),
    RedFlag("infection_risk", "tumour_infection", "Have you recently had a bacterial infection, "
            "injected drugs, or been told your immune system is weak?"),
    RedFlag("lying_down", "tumour_infection", "Is the pain worse when you lie down?"),
    RedFlag("night_pain", "tumour_infection", "Do you have severe pain at night?"),
    RedFlag("saddle_numbness", "cauda_equina", "Do you have numbness around your bottom, "
            "genitals or inner thighs (where you would sit on a saddle)?", emergency=True),
    RedFlag("bladder_bowel", "cauda_equina", "Have you had new trouble passing urine, or "
            "controlling your bladder or bowel?", emergency=True),
    RedFlag("leg_weakness", "cauda_equina", "Do you have severe or worsening weakness or "
            "numbness in your legs?", emergency=True),
    RedFlag("not_improving", "not_improving", "Has this pain not improved after 4 to 6 weeks "
            "of care from a doctor or therapist?"),
)
RED_FLAG_ADVICE = "Refer for medical assessment before or alongside acupuncture."
EMERGENCY_ADVICE = "Possible cauda equina syndrome: same-day emergency care."
# The answer to a red-flag question that raises it (red_flags_raised); an emergency one raises
# `cauda_equina` for staff and, on the patient's own pages, URGENT_HELP at once.
RAISING_ANSWER = "yes"

# What the patient reads, on the step as soon as the answer is given and again after sending,
# when an emergency red flag is answered "yes" (safety.md: cauda equina signs need same-day
# emergency care). The clinic's country is not known: no number is named.
URGENT_HELP_TITLE = "Please get urgent medical help now"
URGENT_HELP = (
    "Please do not wait for your appointment here: call your emergency number or go to an "
    "emergency department now.",
    "Numbness around your bottom or genitals, new trouble passing urine or controlling your "
    "bladder or bowel, and severe or worsening weakness or numbness in your legs can be signs "
    "that the nerves at the bottom of your back are being pressed on. A doctor needs to check "
    "this the same day: tell them which of these you have.",
)
# Low mood answered "nearly every day" (PHQ-2 item 2 at its highest answer, instruments.py
# FREQUENCY_CHOICES): a gentle line on where to get help. No helpline is named: the clinic's
# country is not known.
LOW_MOOD_ITEM, LOW_MOOD_ANSWER = "phq2_2", "3"
MOOD_HELP = (
    "Feeling down nearly every day is hard, and help is available: your family doctor can talk "
    "it through with you, and you do not need to wait for your appointment here to ask.",
    "If you ever feel you might harm yourself, call your emergency number or go to an "
    "emergency department now.",
)
EMERGENCY, LOW_MOOD = "emergency", "low_mood"

ADVERSE_EVENTS = (
    ("bleeding", "Bleeding at site"), ("bruising", "Bruising / haematoma"),
    ("site_pain", "Pain at needle site"), ("soreness", "Post-treatment soreness"),
    ("fainting", "Dizziness or fainting (needle shock)"), ("nausea", "Nausea"),
    ("sweating", "Sweating"), ("fatigue", "Fatigue or drowsiness"), ("headache", "Headache"),
    ("aggravation", "Aggravation of symptoms"), ("skin_reaction", "Skin reaction"),
    ("burn", "Burn (moxa, heat lamp, cupping)"), ("infection", "Infection at site"),
    ("needle_problem", "Stuck, bent or broken needle"), ("forgotten_needle", "Forgotten needle"),
    ("nerve", "Nerve injury or tingling"), ("pneumothorax", "Suspected pneumothorax"),
    ("other", "Other"),
)


def flags_from_screen(answers: dict[str, str]) -> list[str]:
    """Flag kinds raised by safety answers: "yes" and "not sure" both need a conversation."""
    return [item.flag for item in SAFETY_ITEMS if answers.get(item.code) in ("yes", "unsure")]


def red_flags_raised(answers: dict[str, str]) -> list[RedFlag]:
    return [flag for flag in RED_FLAGS if answers.get(flag.code) == RAISING_ANSWER]


def emergency_red_flags(answers: dict[str, str]) -> list[RedFlag]:
    """Red flags answered "yes" that need same-day emergency care: the staff's `cauda_equina`
    flag (screen_flags) and the patient's URGENT_HELP both come from this."""
    return [flag for flag in red_flags_raised(answers) if flag.emergency]


def red_flag_answers(red: dict[str, str], screen: dict[str, str]) -> dict[str, str]:
    """Red-flag answers with those asked once on the safety screen (`same_as`) filled in."""
    return {**red, **{flag.code: screen.get(flag.same_as) for flag in RED_FLAGS
                      if flag.same_as}}


def patient_help(red: dict[str, str] | None, mood: dict[str, str] | None) -> list[str]:
    """Which help the patient is told to seek now, from their own answers: EMERGENCY when an
    emergency red flag is answered "yes" (`red` None when those questions were not asked),
    LOW_MOOD when low mood is answered "nearly every day". Most urgent first."""
    found = []
    if emergency_red_flags(red or {}):
        found.append(EMERGENCY)
    if str((mood or {}).get(LOW_MOOD_ITEM)) == LOW_MOOD_ANSWER:
        found.append(LOW_MOOD)
    return found


def emergency_acknowledgement(action: str | None, note: str | None) -> str | None:
    """What a session stores before it may be signed on a patient with an emergency red flag:
    the referral made (where, how) or the reason to go ahead. None while either is missing:
    a same-day emergency sign is never signed past silently (AHCPR 1994; Verhagen 2016)."""
    note = (note or "").strip()
    if action not in EMERGENCY_ACTIONS or not note:
        return None
    return f"{EMERGENCY_ACTIONS[action]}: {note}"


def red_flags_unsure(answers: dict[str, str]) -> list[RedFlag]:
    """Red-flag questions answered "not sure": raised for discussion, never left silent."""
    return [flag for flag in RED_FLAGS if answers.get(flag.code) == "unsure"]


def screen_flags(answers: dict[str, str], details: dict[str, str] | None = None,
                 red: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The one rule from screen answers to flags, as (kind, detail): each safety item answered
    "yes" or "not sure" (flags_from_screen), each red flag answered "yes" (an emergency one as
    `cauda_equina`), and each red flag answered "not sure" as `red_flag_unsure` for discussion.
    `answers` and `details` are keyed by safety item code, `red` by red-flag code (None when the
    red-flag questions were not asked)."""
    details = details or {}
    raised = set(flags_from_screen(answers))
    found = []
    for item in SAFETY_ITEMS:
        if item.flag in raised and answers.get(item.code) in ("yes", "unsure"):
            how = "yes" if answers[item.code] == "yes" else "not sure"
            detail = details.get(item.code) or ""
            # The flag's label names the risk; the detail is the patient's own answer.
            found.append((item.flag, f"Patient answered “{how}”" + (
                f": {detail}" if detail else "")))
    emergency = set(emergency_red_flags(red or {}))
    for flag in red_flags_raised(red or {}):
        found.append(("cauda_equina" if flag in emergency else "red_flag",
                      f"{RED_FLAG_GROUPS[flag.group]}: {flag.question}"))
    for flag in red_flags_unsure(red or {}):
        found.append(("red_flag_unsure", f"{RED_FLAG_GROUPS[flag.group]}: {flag.question} "
                      "Answered “not sure”" + (": ask before treating today"
                                               if flag.emergency else "")))
    return found


DEFAULT_CONSENT_TEXT = "\n\n".join([
    'Acupuncture uses fine, sterile, single-use needles placed in the skin. Your practitioner '
    'may also use gentle electrical stimulation, moxa (a warming herb), or cupping, and will '
    'explain anything they plan to do.',
    'Most people feel little or nothing from the needles. Common effects are usually mild and '
    'short-lived: small bruises, a spot of bleeding, soreness where a needle was placed, '
    'tiredness, feeling light-headed or faint, or a temporary flare of your symptoms.',
    'Serious problems are rare. They include infection and, when needles are placed over the '
    'chest or upper back, a punctured lung.',
    'Please tell your practitioner if you are or might be pregnant, have a bleeding problem '
    'or take blood thinners, have a pacemaker or other implanted device, or feel faint at any '
    'time.',
    'You can ask questions and ask to stop at any time. Acupuncture works alongside your '
    'usual medical care and does not replace it: keep seeing your doctor about your health.'
])
