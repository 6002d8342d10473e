"""Patient register rules: search folding, duplicate check, save, archive."""
import re
from datetime import date

from dateutil import parser as dateparser
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    any_,
    cast,
    delete,
    func,
    insert,
    intersect,
    or_,
    select,
)
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..extensions import db
from ..forms import strip
from ..paging import paginate
from ..permissions import treating_staff
from ..text import fold
from ..timeutil import utcnow
from .models import Patient, PatientNameToken

FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "sex", "gender", "phone",
          "email", "address", "emergency_contact_name", "emergency_contact_phone",
          "referring_physician", "primary_practitioner_id", "notes", "preferred_channel",
          "reminder_opt_out")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


# Folding can lengthen a name (æ is 'ae', ﬃ is 'ffi'): each folded name is cut to a name
# token's width and the sort key to its column, so a save never overflows either column.
TOKEN_WIDTH = PatientNameToken.token.type.length


def sort_key(family_name: str, given_name: str) -> str:
    return f"{fold(family_name)} {fold(given_name)}"[:Patient.sort_name.type.length]


def refresh_search_columns(patient: Patient) -> None:
    patient.search_name = " ".join(fold(n)[:TOKEN_WIDTH] for n in (
        patient.given_name, patient.preferred_name, patient.family_name) if n)
    patient.sort_name = sort_key(patient.family_name, patient.given_name)
    patient.phone_digits = digits(patient.phone)


def name_tokens(search_name: str) -> set[str]:
    return {word[:100] for word in search_name.split()}


def index_name(patient: Patient) -> None:
    """Replace the patient's name tokens; the patient must have an id (flushed)."""
    db.session.execute(delete(PatientNameToken).where(PatientNameToken.patient_id == patient.id))
    tokens = name_tokens(patient.search_name)
    if tokens:
        db.session.execute(insert(PatientNameToken),
                           [{"patient_id": patient.id, "token": t} for t in sorted(tokens)])


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
    index_name(patient)
    return patient


def likely_duplicates(given: str, family: str, born: date, except_id: int | None = None):
    """Patients with the same folded name and date of birth."""
    stmt = select(Patient).where(
        Patient.date_of_birth == born,
        Patient.sort_name == sort_key(family, given),
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
    return _searched(select(Patient), q, sort, archived, practitioner_id).options(
        selectinload(Patient.primary_practitioner))


# The register's columns, with the primary practitioner's name and the number of matches (a
# window count: the pager's total comes with the page, not from a second statement).
_LIST_COLUMNS = select(Patient.id, Patient.family_name, Patient.given_name,
                       Patient.preferred_name, Patient.date_of_birth, Patient.phone,
                       Patient.last_visit_on, User.display_name.label("practitioner"),
                       func.count().over().label("total")).outerjoin(
    User, User.id == Patient.primary_practitioner_id)


def list_page(q: str, sort: str, archived: bool, page: int, per_page: int) -> Pagination:
    """The register's page `page` for a search (search_query's matches and order) as rows of
    the columns the list shows."""
    return paginate(_searched(_LIST_COLUMNS, q, sort, archived, None), page=page,
                    per_page=per_page, max_per_page=100, rows=True)


def _searched(stmt: Select, q: str, sort: str, archived: bool,
              practitioner_id: int | None) -> Select:
    stmt = stmt.where(
        Patient.archived_at.is_not(None) if archived else Patient.archived_at.is_(None))
    if practitioner_id:
        stmt = stmt.where(Patient.primary_practitioner_id == practitioner_id)
    q = strip(q or "")[:100]
    born = _as_date(q)
    if born:
        stmt = stmt.where(Patient.date_of_birth == born)
    elif q:
        conditions = []
        words = [w[:100] for w in fold(q).split() if w]
        if words:
            # Every word typed starts one of the names: an index range per word.
            conditions.append(_named(words))
        number = digits(q)
        if len(number) >= 4 and len(number) >= len(q.replace(" ", "")) - 3:
            conditions.append(Patient.phone_digits.like(f"%{number}%"))
        stmt = stmt.where(or_(*conditions)) if conditions else stmt
    return stmt.order_by(*SORTS.get(sort, SORTS["name"]))


def _named(prefixes: list[str]):
    """Each of `prefixes` starts one of the patient's name words."""
    per_word = [select(PatientNameToken.patient_id).where(
        *_prefix_range(PatientNameToken.token, p)) for p in prefixes]
    matches = per_word[0] if len(per_word) == 1 else intersect(*per_word)
    if db.session.get_bind().dialect.name == "postgresql":
        # Matches cluster in name order, which PostgreSQL cannot know: it would walk every
        # patient in that order probing for tokens. An array of the matches is made first.
        found = matches.subquery()
        ids = select(func.array_agg(found.c.patient_id)).scalar_subquery()
        return Patient.id == any_(cast(ids, ARRAY(Integer)))
    return Patient.id.in_(matches)


def _prefix_range(column, prefix: str) -> list:
    """`column` starts with `prefix`, as a range an index can serve (code-point order)."""
    bounds = [column >= prefix]
    while prefix and ord(prefix[-1]) == 0x10FFFF:
        prefix = prefix[:-1]
    if prefix:
        nxt = ord(prefix[-1]) + 1
        nxt = 0xE000 if 0xD800 <= nxt < 0xE000 else nxt  # no surrogates in a UTF-8 bound
        bounds.append(column < prefix[:-1] + chr(nxt))
    return bounds


def archive(patient: Patient) -> None:
    patient.archived_at = utcnow()


def restore(patient: Patient) -> None:
    patient.archived_at = None


# Every diary page and booking form lists them: the statement built once.
_PRACTITIONERS = (select(User).where(treating_staff(), User.active.is_(True))
                  .order_by(User.display_name))


def practitioners() -> list[User]:
    return list(db.session.scalars(_PRACTITIONERS))


_COUNT_ACTIVE = select(func.count()).select_from(Patient).where(Patient.archived_at.is_(None))


def count_active() -> int:
    return db.session.execute(_COUNT_ACTIVE).scalar_one()
