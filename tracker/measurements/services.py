"""Writing and reading measurements."""
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from .models import Measurement


def add(patient_id: int, instrument: str, value: float, *, source: str, taken_at: datetime,
        time_frame: str = "", items: dict | None = None, **links) -> Measurement:
    row = Measurement(patient_id=patient_id, instrument=instrument, value=value, source=source,
                      taken_at=taken_at, time_frame=time_frame, items=items, **links)
    db.session.add(row)
    return row


def replace_for_intake(intake_id: int) -> None:
    """Drop an intake's rows before it is submitted again (a reopened intake)."""
    # Row by row, not a bulk DELETE, so the audit trail sees each removal.
    for row in db.session.scalars(select(Measurement).where(Measurement.intake_id == intake_id)):
        db.session.delete(row)


def for_intake(intake_id: int) -> dict[tuple[str, str], Measurement]:
    rows = db.session.scalars(select(Measurement).where(Measurement.intake_id == intake_id))
    return {(m.instrument, m.time_frame): m for m in rows}


def baseline(patient_id: int, instrument: str, time_frame: str = "") -> Measurement | None:
    """The first value of an instrument and time frame for a patient."""
    return db.session.scalars(
        select(Measurement).where(Measurement.patient_id == patient_id,
                                  Measurement.instrument == instrument,
                                  Measurement.time_frame == time_frame)
        .order_by(Measurement.taken_at, Measurement.id).limit(1)).first()
