"""Patient register rules: search folding, duplicate check, save, archive."""
import re
import unicodedata
from datetime import date

from dateutil import parser as dateparser
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from ..timeutil import utcnow
from .models import Patient

FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "sex", "gender", "phone",
          "email", "address", "emergency_contact_name", "emergency_contact_phone",
          "referring_physician", "primary_practitioner_id", "notes")


def fold(text: str) -> str:
    """Lower-case without accents, so 'José' is found by 'jose' on SQLite and PostgreSQL alike."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def refresh_search_columns(patient: Patient) -> None:
    patient.search_name = " ".join(fold(n) for n in (
        patient.given_name, patient.preferred_name, patient.family_name) if n)
    patient.sort_name = f"{fold(patient.family_name)} {fold(patient.given_name)}"
    patient.phone_digits = digits(patient.phone)


def save(patient: Patient | None, data: dict) -> Patient:
    """Create or update a patient from validated form data; the caller commits."""
    if patient is None:
        patient = Patient()
        db.session.add(patient)
    for key in FIELDS:
        if key in data:
            value = data[key]
            if key == "primary_practitioner_id":
                value = value or None
            elif key == "email":
                value = (value or "").strip().lower()
            elif value is None and key != "date_of_birth":
                value = ""
            setattr(patient, key, value)
    refresh_search_columns(patient)
    db.session.flush()
    return patient


def likely_duplicates(given: str, family: str, born: date, except_id: int | None = None):
    """Patients with the same folded name and date of birth."""
    stmt = select(Patient).where(
        Patient.date_of_birth == born,
        Patient.sort_name == f"{fold(family)} {fold(given)}",
    )
    if except_id:
        stmt = stmt.where(Patient.id != except_id)
    return list(db.session.execute(stmt.limit(5)).scalars())


def _as_date(text: str) -> date | None:
    if not re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", text):
        return None
    try:
        return dateparser.parse(text, dayfirst=not re.match(r"\d{4}", text)).date()
    except (ValueError, OverflowError):
        return None


SORTS = {
    "name": (Patient.sort_name.asc(), Patient.id.asc()),
    "-name": (Patient.sort_name.desc(), Patient.id.desc()),
    "last_visit": (Patient.last_visit_on.desc().nulls_last(), Patient.sort_name.asc()),
    "-last_visit": (Patient.last_visit_on.asc().nulls_first(), Patient.sort_name.asc()),
}


def search_query(q: str = "", sort: str = "name", archived: bool = False,
                 practitioner_id: int | None = None) -> Select:
    """Search by name words, date of birth or phone digits."""
    stmt = select(Patient).where(
        Patient.archived_at.is_not(None) if archived else Patient.archived_at.is_(None))
    if practitioner_id:
        stmt = stmt.where(Patient.primary_practitioner_id == practitioner_id)
    q = (q or "").strip()[:100]
    born = _as_date(q)
    if born:
        stmt = stmt.where(Patient.date_of_birth == born)
    elif q:
        conditions = []
        words = [w for w in fold(q).split() if w]
        if words:
            # Prefix match on any word of the name; escape LIKE wildcards typed by the user.
            conditions.append(and_(*[
                or_(Patient.search_name.like(f"{_esc(w)}%", escape="\\"),
                    Patient.search_name.like(f"% {_esc(w)}%", escape="\\"))
                for w in words]))
        number = digits(q)
        if len(number) >= 4 and len(number) >= len(q.replace(" ", "")) - 3:
            conditions.append(Patient.phone_digits.like(f"%{number}%"))
        stmt = stmt.where(or_(*conditions)) if conditions else stmt
    stmt = stmt.options(selectinload(Patient.primary_practitioner))
    return stmt.order_by(*SORTS.get(sort, SORTS["name"]))


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def archive(patient: Patient) -> None:
    patient.archived_at = utcnow()


def restore(patient: Patient) -> None:
    patient.archived_at = None


def practitioners() -> list[User]:
    return list(db.session.execute(
        select(User).where(User.role.in_(("practitioner", "admin")), User.active.is_(True))
        .order_by(User.display_name)).scalars())


def count_active() -> int:
    return db.session.execute(select(func.count()).select_from(Patient)
                              .where(Patient.archived_at.is_(None))).scalar_one()
