"""Safety flags: what a practitioner must see before needling, until someone resolves them.
A flag is a clinical record: raised by the intake screen, inferred from the medicine list, or
raised by a clinician at any visit (kind, detail, source, who, when); edited and resolved with
a reason, every change audited."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clinical import pregnancy
from ..clinical.safety import EMERGENCY_FLAGS, FLAG_LABELS, FLAG_SOURCES, URGENT_FLAGS
from ..extensions import db
from ..timeutil import utcnow


class SafetyFlag(db.Model):
    __tablename__ = "safety_flag"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="intake")
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolution: Mapped[str] = mapped_column(Text, default="")
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Pregnancy: weeks as recorded on a day, or the due date (clinical.pregnancy counts on).
    weeks: Mapped[int | None]
    weeks_on: Mapped[date | None]
    due_on: Mapped[date | None]
    # What the medicine list matched ("“Warfarin 5 mg” matches warfarin (...)"), one a line;
    # the clinician may dismiss a false match.
    matched: Mapped[str] = mapped_column(Text, default="")

    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])

    @property
    def label(self) -> str:
        return FLAG_LABELS.get(self.kind, self.kind)

    @property
    def urgent(self) -> bool:
        return self.kind in URGENT_FLAGS

    @property
    def emergency(self) -> bool:
        return self.kind in EMERGENCY_FLAGS

    @property
    def source_label(self) -> str:
        return FLAG_SOURCES.get(self.source, self.source)

    def weeks_at(self, day: date) -> int | None:
        return pregnancy.weeks_on(day, self.weeks, self.weeks_on, self.due_on)

    @property
    def stage(self) -> str:
        """A pregnancy flag's stage today ('14 weeks (second trimester)'); else ''."""
        if self.kind != "pregnancy":
            return ""
        from .. import clock
        return pregnancy.stage_text(self.weeks_at(clock.today()))
