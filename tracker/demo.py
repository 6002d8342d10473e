"""A fictional clinic for newcomers and demos. Every person here is invented."""
import random
from datetime import timedelta

from sqlalchemy import select

from . import clock
from .accounts import services as accounts
from .accounts.models import User
from .checkins import demo as checkins_demo
from .extensions import db
from .intake import demo as intake_demo
from .note_templates import demo as note_templates_demo
from .patients import services as patient_services
from .permissions import TREATS_PATIENTS, role_can, treats_patients
from .reports import demo as reports_demo
from .schedule import demo as plans_demo
from .sessions import demo as sessions_demo
from .settings.services import get_settings
from .text import fold

STAFF = [
    ("admin@example.org", "Dana Whitfield", "admin", "L.Ac., Dipl. Ac.", "AC-10442"),
    ("mei.lin@example.org", "Mei Lin", "practitioner", "L.Ac.", "AC-20817"),
    ("tomas.herrera@example.org", "Tomás Herrera", "practitioner", "L.Ac., PT", "AC-31175"),
    ("priya.nair@example.org", "Priya Nair", "practitioner", "MD, Med. Ac.", "MD-58820"),
    ("front.desk@example.org", "Sam Okafor", "reception", "", ""),
]
GIVEN = ["Amélie", "Björn", "Chloé", "Daniel", "Elif", "Fatima", "George", "Hannah", "Ingrid",
         "José", "Kwame", "Leila", "Marta", "Noah", "Olga", "Pedro", "Quentin", "Rosa", "Søren",
         "Tara", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoë", "Ana", "Brendan", "Carmen",
         "Dmitri", "Esther", "François"]
FAMILY = ["Álvarez", "Brennan", "Chen", "Dubois", "Eriksen", "Fernández", "Gallagher", "Haddad",
          "Ivanova", "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Connor", "Petrov",
          "Quinn", "Rossi", "Schäfer", "Thompson", "Ueda", "Varga", "Walsh", "Yılmaz", "Zimmermann"]
PHYSICIANS = ["Dr Helen Marsh, Riverside Family Practice", "Dr Omar Siddiqui, Northgate Surgery",
              "Dr Julia Kemp, Pain Management Clinic, St Anne's", ""]


DEMO_PASSWORD = "demo-password-123"  # noqa: S105  (fictional accounts, printed on seeding)


def seed(patients: int = 30, password: str = DEMO_PASSWORD, rng_seed: int = 7) -> str:
    """Create staff and patients unless the demo staff already exist."""
    if db.session.execute(select(User).where(User.email == STAFF[0][0])).scalar_one_or_none():
        return "Demo data already present; nothing changed."
    rng = random.Random(rng_seed)
    settings = get_settings()
    settings.name = "Riverside Acupuncture & Pain Clinic"
    settings.address = "12 Mill Lane\nRiverside RV1 2AB"
    settings.phone = "+44 20 7946 0000"
    db.session.add(settings)  # get_settings() hands out unsaved defaults until a row exists
    staff = [accounts.create_user(email, password, display_name=name, role=role,
                                  credentials=cred, licence_number=lic, years_in_practice=
                                  rng.randint(3, 25) if role_can(role, TREATS_PATIENTS) else None)
             for email, name, role, cred, lic in STAFF]
    clinicians = [u for u in staff if treats_patients(u)]
    today = clock.today()
    registered = []
    for i in range(patients):
        given, family = GIVEN[i % len(GIVEN)], FAMILY[(i * 7) % len(FAMILY)]
        born = today - timedelta(days=rng.randint(22 * 365, 84 * 365))
        patients_data = {
            "given_name": given, "family_name": family,
            "preferred_name": "" if i % 5 else given[:3],
            "date_of_birth": born, "sex": rng.choice(["female", "female", "male", "unknown"]),
            "phone": f"+44 7700 9{rng.randint(10000, 99999)}",
            "email": f"{email_word(given)}.{email_word(family)}@example.net",
            "address": f"{rng.randint(1, 120)} Example Street\nRiverside",
            "emergency_contact_name": rng.choice(["Alex", "Jo", "Chris", "Robin"]) + f" {family}",
            "emergency_contact_phone": f"+44 7700 9{rng.randint(10000, 99999)}",
            "referring_physician": rng.choice(PHYSICIANS),
            "primary_practitioner_id": rng.choice(clinicians).id,
        }
        registered.append(patient_services.save(None, patients_data))
    db.session.flush()
    intake_demo.seed_demo(rng, registered, clinicians, settings)
    plans_demo.seed_demo(rng, None, clinicians)
    sessions_demo.seed_demo(rng)
    note_templates_demo.seed_demo()
    reports_demo.seed_demo(clinicians[1])  # after sessions: its visits are already filled
    checkins_demo.seed_demo()  # after sessions: a check-in follows a course's latest visit
    db.session.commit()
    return (f"Seeded {len(staff)} staff and {patients} patients. Log in as {STAFF[0][0]} "
            f"(admin), {STAFF[1][0]} (practitioner) or {STAFF[4][0]} (reception) with the "
            f"password '{password}'.")


def email_word(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())
