"""The one row of clinic settings."""
import sqlalchemy as sa
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ClinicSettings(db.Model):
    __tablename__ = "clinic_settings"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="Acupuncture Clinic")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    time_zone: Mapped[str] = mapped_column(String(60), default="Europe/London")
    consent_text: Mapped[str] = mapped_column(Text, default="")
    consent_version: Mapped[int] = mapped_column(default=1)
    idle_timeout_minutes: Mapped[int] = mapped_column(default=15)
    intake_link_days: Mapped[int] = mapped_column(default=14)
    # A course's baseline is a value taken at most this many days before its first session.
    baseline_window_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # Every staff member must log in with a second factor (TOTP); those without one are sent to
    # set it up right after their password.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
