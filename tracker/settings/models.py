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
    # How dates are written on every page, letter and PDF (templating.DATE_STYLES).
    date_style: Mapped[str] = mapped_column(String(12), default="d_mon_y",
                                            server_default="d_mon_y")
    # Outgoing mail (tracker/messages): no SMTP host means the console backend (development).
    mail_from: Mapped[str] = mapped_column(String(254), default="", server_default="")
    smtp_host: Mapped[str] = mapped_column(String(253), default="", server_default="")
    smtp_port: Mapped[int] = mapped_column(default=587, server_default="587")
    smtp_tls: Mapped[str] = mapped_column(String(10), default="starttls",
                                          server_default="starttls")
    smtp_username: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # Encrypted with the instance's secrets key (tracker/sealing.py), never the plain password.
    smtp_password_sealed: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Appointment reminders go this many hours before each visit (0: none).
    reminder_hours: Mapped[int] = mapped_column(default=24, server_default="24")

    # The audit trail notes that the password changed (settings.services.update), never a copy.
    audit_skip = frozenset({"smtp_password_sealed"})


class ClinicLogo(db.Model):
    """The clinic's logo for letters: one row, the upload re-encoded as PNG or JPEG by
    settings/logo.py (never the file as sent), small enough to embed in every letter."""
    __tablename__ = "clinic_logo"
    __audited__ = True
    audit_skip = frozenset({"data"})  # the trail keeps its fingerprint and size, not the image

    id: Mapped[int] = mapped_column(primary_key=True)
    mimetype: Mapped[str] = mapped_column(String(20))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
