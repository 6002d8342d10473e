"""Every outcome value is one row here: intake baselines, session pain scores, re-evaluations."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Measurement(db.Model):
    """NRS time frames: "now" (intake, and each session before needling), "after_needling",
    "average_week", "worst_week", "least_week"; other instruments use "" or "week"."""

    __tablename__ = "measurement"
    __audited__ = True
    __table_args__ = (Index("ix_measurement_patient_instrument", "patient_id", "instrument",
                            "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    instrument: Mapped[str] = mapped_column(String(30))   # clinical.instruments.INSTRUMENTS key
    time_frame: Mapped[str] = mapped_column(String(30), default="")  # NRS: now, average_week ...
    value: Mapped[float] = mapped_column(Float)
    items: Mapped[dict | None] = mapped_column(JSON)      # item answers where the score has items
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20))
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("session_record.id"), index=True)
    # A between-visit check-in (checkins/): its plan is the course the value counts in.
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Instrument "other": a licensed scale's total the clinic may not reproduce item by item
    # (instruments.md), named and scaled by whoever enters it.
    label: Mapped[str] = mapped_column(String(120), default="")
    scale_min: Mapped[float | None] = mapped_column(Float)
    scale_max: Mapped[float | None] = mapped_column(Float)
    higher_is_better: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
