"""Email transports: SMTP (Python's smtplib and email packages: maintained with Python itself,
STARTTLS and implicit TLS, no dependency to keep up), console (development: prints instead of
sending) and file (.eml files in a folder, for staging and tests). Each raises Temporary for what
a later attempt may get through (connection refused, 4xx) and Permanent for what it never will
(5xx for the recipient)."""
import contextlib
import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from flask import current_app

from .. import clock, sealing
from ..settings.models import ClinicSettings
from .outbox import Content, host

TLS_MODES = {"starttls": "STARTTLS (port 587)", "ssl": "Implicit TLS (port 465)",
             "none": "None (a relay on this machine only)"}
TIMEOUT_SECONDS = 20


class Temporary(Exception):
    """Worth another attempt later."""


class Permanent(Exception):
    """Will not succeed however often it is tried."""


def build(settings: ClinicSettings, recipient: str, message_id: str, content: Content
          ) -> EmailMessage:
    msg = EmailMessage()
    sender = settings.mail_from or settings.email or f"no-reply@{host()}"
    msg["From"] = formataddr((settings.name, sender))
    msg["To"] = recipient
    msg["Subject"] = content.subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(clock.now())
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    msg.set_content(content.text)
    for item in content.attachments:
        kind, _, params = item.mimetype.partition(";")
        maintype, subtype = kind.strip().split("/")
        extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype,
                           filename=item.filename, params=extra)
    return msg


class SmtpTransport:
    """One connection for a sending run, opened on the first message."""

    def __init__(self, settings: ClinicSettings):
        self.settings = settings
        self.conn: smtplib.SMTP | None = None
        self.timeout = float(current_app.config.get("SMTP_TIMEOUT_SECONDS") or TIMEOUT_SECONDS)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        try:
            if s.smtp_tls == "ssl":
                conn = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout,
                                        context=context)
            else:
                conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
                if s.smtp_tls == "starttls":
                    conn.starttls(context=context)
            if s.smtp_username:
                conn.login(s.smtp_username, sealing.unseal(s.smtp_password_sealed))
        except sealing.Unreadable as exc:
            raise Temporary("the SMTP password cannot be read (the secrets key changed): "
                            "enter it again in the clinic settings") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise Temporary(f"the mail server refused the login ({exc.smtp_code})") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise Temporary(f"cannot reach the mail server: {type(exc).__name__}") from exc
        return conn

    def send(self, msg: EmailMessage) -> None:
        if self.conn is None:
            self.conn = self._connect()
        try:
            self.conn.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            self._fail(min(codes), "the mail server refused the recipient")
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._fail(exc.smtp_code, "the mail server refused the message")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise Temporary(f"lost the mail server: {type(exc).__name__}") from exc

    def _fail(self, code: int, what: str) -> None:
        if 500 <= code < 600:
            raise Permanent(f"{what} ({code})")
        raise Temporary(f"{what} for now ({code})")

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.conn.quit()
            self.conn = None


class ConsoleTransport:
    def send(self, msg: EmailMessage) -> None:
        text = msg.get_body(("plain",))
        names = [p.get_filename() for p in msg.iter_attachments()]
        sys.stdout.write(
            f"--- email (console backend: not sent) ---\nTo: {msg['To']}\nFrom: {msg['From']}\n"
            f"Subject: {msg['Subject']}\nMessage-ID: {msg['Message-ID']}\n"
            + (f"Attachments: {', '.join(names)}\n" if names else "")
            + f"\n{text.get_content() if text else ''}\n")

    def close(self) -> None:
        pass


class FileTransport:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def send(self, msg: EmailMessage) -> None:
        name = msg["Message-ID"].strip("<>").replace("/", "_")
        (self.folder / f"{name}.eml").write_bytes(bytes(msg))

    def close(self) -> None:
        pass


def backend(settings: ClinicSettings) -> str:
    """MAIL_BACKEND: smtp, console or file; unset, SMTP when the settings name a host, else the
    console (development)."""
    return current_app.config.get("MAIL_BACKEND") or ("smtp" if settings.smtp_host
                                                      else "console")


def transport(settings: ClinicSettings):
    choice = backend(settings)
    if choice == "smtp":
        return SmtpTransport(settings)
    if choice == "file":
        return FileTransport(Path(current_app.config.get("MAIL_FILE_DIR")
                                  or Path(current_app.instance_path) / "mail"))
    if choice == "console":
        return ConsoleTransport()
    raise RuntimeError(f"MAIL_BACKEND must be smtp, console or file, not {choice!r}")
