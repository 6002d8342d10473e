"""The patient's own page: whether a patient has it (opt-in), and their requests to cancel or
move a visit, which wait for reception (nothing is booked by the patient)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..patients.models import Patient
from ..schedule.models import Appointment
from ..timeutil import utcnow

KINDS = {"cancel": "Cancel", "move": "Move to another time"}


class PatientPage(db.Model):
    """A patient who chose to have their own page, reached from their private link."""
    __tablename__ = "patient_page"
    __audited__ = True

    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"),
                                            primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VisitRequest(db.Model):
    """A patient's request to cancel or move one visit, sent from their own page."""
    __tablename__ = "visit_request"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id"))  # the link used
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | done
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    patient: Mapped[Patient] = relationship()
    appointment: Mapped[Appointment] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)
