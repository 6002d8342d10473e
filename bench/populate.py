"""Bulk-load a large fictional clinic with Core inserts (fast on SQLite and PostgreSQL)."""
import random
from datetime import date, timedelta

from sqlalchemy import insert

from tracker.accounts.models import User
from tracker.accounts.passwords import hash_password
from tracker.extensions import db
from tracker.patients.models import Patient, PatientNameToken
from tracker.patients.services import digits, name_tokens
from tracker.text import fold

BATCH = 5000
GIVEN = ["Ana", "Ben", "Chloé", "Dmitri", "Elif", "Farah", "Gus", "Hana", "Ivo", "José", "Kai",
         "Lena", "Mía", "Nils", "Omar", "Pia", "Raúl", "Sofía", "Tom", "Uma", "Vera", "Wen"]
FAMILY = ["Smith", "Álvarez", "Chen", "Dubois", "Eriksen", "García", "Haddad", "Ivanova",
          "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Connor", "Petrov", "Rossi"]
PASSWORD = "bench-password-123"  # noqa: S105  (fictional accounts on a throwaway database)


def _batched(rows, table):
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start:start + BATCH])


def staff(practitioners: int) -> list[int]:
    hashed = hash_password(PASSWORD)
    rows = [{"email": "admin@bench.example", "display_name": "Bench Admin", "role": "admin",
             "password_hash": hashed, "credentials": "L.Ac.", "licence_number": "B-0",
             "default_needle": "", "active": True}]
    rows += [{"email": f"prac{i}@bench.example", "display_name": f"Practitioner {i}",
              "role": "practitioner", "password_hash": hashed, "credentials": "L.Ac.",
              "licence_number": f"B-{i}", "default_needle": "", "active": True}
             for i in range(1, practitioners + 1)]
    rows.append({"email": "desk@bench.example", "display_name": "Front Desk",
                 "role": "reception", "password_hash": hashed, "credentials": "",
                 "licence_number": "", "default_needle": "", "active": True})
    _batched(rows, User)
    db.session.commit()
    return [u.id for u in db.session.execute(db.select(User)).scalars() if u.role != "reception"]


def patients(count: int, clinicians: list[int], rng: random.Random) -> None:
    today = date.today()
    rows = []
    for i in range(count):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY) + (f"-{i % 97}" if i % 3 else "")
        phone = f"+44 7700 {rng.randint(100000, 999999)}"
        rows.append({
            "given_name": given, "family_name": family, "preferred_name": "",
            "date_of_birth": today - timedelta(days=rng.randint(20 * 365, 90 * 365)),
            "sex": "unknown", "gender": "", "phone": phone, "email": "", "address": "",
            "emergency_contact_name": "", "emergency_contact_phone": "",
            "referring_physician": "", "notes": "",
            "primary_practitioner_id": rng.choice(clinicians),
            "search_name": f"{fold(given)} {fold(family)}",
            "sort_name": f"{fold(family)} {fold(given)}",
            "phone_digits": digits(phone),
            "last_visit_on": today - timedelta(days=rng.randint(0, 700)) if i % 4 else None,
        })
    ids = []
    for start in range(0, len(rows), BATCH):
        ids += db.session.execute(insert(Patient).returning(Patient.id,
                                                            sort_by_parameter_order=True),
                                  rows[start:start + BATCH]).scalars().all()
    # The name words the register's search reads (patients/services.py index_name).
    _batched([{"patient_id": i, "token": token} for i, row in zip(ids, rows, strict=True)
              for token in name_tokens(row["search_name"])], PatientNameToken)
    db.session.commit()


def build(patient_count: int, practitioners: int, seed: int = 11) -> dict:
    """Fill an empty, migrated database; returns ids the page list needs."""
    rng = random.Random(seed)
    clinicians = staff(practitioners)
    patients(patient_count, clinicians, rng)
    return {"patient_id": patient_count // 2, "practitioner_id": clinicians[1]}
