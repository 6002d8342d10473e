"""Writing and reading measurements."""
from datetime import datetime

from sqlalchemy import func, select

from ..clinical import instruments as registry
from ..clinical import outcomes
from ..extensions import db
from ..timeutil import as_utc
from .models import Measurement


def add(patient_id: int, instrument: str, value: float, *, source: str, taken_at: datetime,
        time_frame: str = "", items: dict | None = None, **links) -> Measurement:
    row = Measurement(patient_id=patient_id, instrument=instrument, value=value, source=source,
                      taken_at=taken_at, time_frame=time_frame, items=items, **links)
    db.session.add(row)
    return row


def write_scores(patient_id: int, scored: list[registry.Scored], *, source: str,
                 taken_at: datetime, **links) -> list[Measurement]:
    """Scored answers (clinical.instruments.score_answers) as measurement rows: the one way
    answers become rows; `answers_for` turns rows back into answers."""
    return [add(patient_id, s.instrument.code, s.value, source=source, taken_at=taken_at,
                time_frame=s.instrument.time_frame, items=s.items, **links) for s in scored]


def answers_for(rows: list[Measurement]) -> dict[str, int]:
    """The form answers behind stored rows, to refill the form that asked them."""
    return registry.answers_from((m.instrument, m.time_frame, m.value, m.items) for m in rows)


def positive_screens(patient_id: int) -> set[str]:
    """Registry keys of the screens (PHQ-2, GAD-2) positive on the patient's latest intake:
    a re-evaluation asks them again."""
    screens = [i for i in registry.REGISTRY.values() if i.screen_positive_at is not None]
    if not screens:
        return set()
    latest = select(func.max(Measurement.intake_id)).where(
        Measurement.patient_id == patient_id, Measurement.source == "intake").scalar_subquery()
    rows = db.session.execute(select(Measurement.instrument, Measurement.time_frame,
                                     Measurement.value).where(
        Measurement.patient_id == patient_id, Measurement.intake_id == latest,
        Measurement.instrument.in_({i.code for i in screens}))
        .order_by(Measurement.taken_at, Measurement.id))
    newest = {(code, frame): value for code, frame, value in rows}  # a resubmission's last
    return {found.key for (code, frame), value in newest.items()
            if (found := registry.lookup(code, frame)) and found.positive(value)}


def for_intake(intake_id: int) -> dict[tuple[str, str], Measurement]:
    """The rows of an intake's newest submission (a reopened intake submitted again keeps its
    earlier rows as history; each submission's rows share one taken_at)."""
    # One indexed read, the newest submission picked here: with a subquery SQLite's planner,
    # seeing intake_id NULL on every session row, scanned the whole table (86 ms at 1.3M rows).
    rows = list(db.session.scalars(select(Measurement).where(
        Measurement.intake_id == intake_id).order_by(Measurement.id)))
    newest = max((m.taken_at for m in rows), default=None)
    return {(m.instrument, m.time_frame): m for m in rows if m.taken_at == newest}


def latest(patient_id: int, instrument: str, time_frame: str = "",
           since: datetime | None = None) -> Measurement | None:
    """The newest value of an instrument and time frame for a patient, taken `since` if given
    (a new plan's goals start from where the patient is now, not from an old intake)."""
    stmt = select(Measurement).where(Measurement.patient_id == patient_id,
                                     Measurement.instrument == instrument,
                                     Measurement.time_frame == time_frame)
    if since is not None:
        stmt = stmt.where(Measurement.taken_at >= since)
    return db.session.scalars(stmt.order_by(Measurement.taken_at.desc(), Measurement.id.desc())
                              .limit(1)).first()


# What `reading` reads of a row: a read-only list selects these columns, not whole ORM rows.
READ_COLUMNS = (Measurement.instrument, Measurement.time_frame, Measurement.value,
                Measurement.taken_at, Measurement.source, Measurement.session_id,
                Measurement.label, Measurement.scale_min, Measurement.scale_max,
                Measurement.higher_is_better, Measurement.items)


def reading(m: Measurement, number: int | None = None) -> outcomes.Reading:
    """A row (a Measurement, or a row of READ_COLUMNS) as the outcome engine reads it (summary,
    dashboard rows and CSV alike)."""
    return outcomes.Reading(m.instrument, m.time_frame, m.value, as_utc(m.taken_at), m.source,
                            number, m.session_id, _label(m), m.higher_is_better, m.items)


def _label(m: Measurement) -> str:
    """'HIT-6 (36-78, lower is better)' for an "other" total; empty for shipped instruments."""
    if m.instrument != outcomes.OTHER:
        return ""
    scale = (f"{outcomes.number_text(m.scale_min)}-{outcomes.number_text(m.scale_max)}"
             if m.scale_min is not None and m.scale_max is not None else "")
    way = "higher is better" if m.higher_is_better else "lower is better"
    return f"{m.label} ({', '.join(x for x in (scale, way) if x)})"
