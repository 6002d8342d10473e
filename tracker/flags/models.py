"""Safety flags: what a practitioner must see before needling, until someone resolves them."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..clinical.safety import FLAG_LABELS, URGENT_FLAGS
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

    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def label(self) -> str:
        return FLAG_LABELS.get(self.kind, self.kind)

    @property
    def urgent(self) -> bool:
        return self.kind in URGENT_FLAGS
