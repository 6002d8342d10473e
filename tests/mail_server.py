"""A real SMTP server (aiosmtpd) in the test process, and the clinic settings that send to it:
for any test, or a browser journey, that reads what the clinic emailed."""
import asyncio
import email
import socket
import threading
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tracker.extensions import db
from tracker.settings.services import get_settings, update

SMTP_PASSWORD = "mail-pass-Quokka-7731"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.received: list[email.message.EmailMessage] = []
        self.logins: list[tuple[bytes, bytes]] = []
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds a message takes to accept (a slow server)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(email.message_from_bytes(envelope.content,
                                                          policy=policy.default))
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == SMTP_PASSWORD.encode())

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.received]


class MailServer:
    """A real SMTP server on a free local port that a test can stop and start again."""

    def __init__(self):
        self.inbox = Inbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = None

    def start(self, with_auth: bool = False):
        extra = {"authenticator": self.inbox.authenticate, "auth_require_tls": False,
                 "auth_required": True} if with_auth else {}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def running():
    """For a fixture: `yield from running()` gives a started server, stopped afterwards."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


def use_smtp(server: MailServer, **extra) -> None:
    """The clinic's settings pointing at the test server (no TLS on a local test port)."""
    row = get_settings()
    update(row, {"name": "Harbour Acupuncture", "phone": "020 7946 0000",
                 "address": "1 Quay Street\nLondon", "time_zone": "Europe/London",
                 "mail_from": "frontdesk@harbour.example", "smtp_host": "127.0.0.1",
                 "smtp_port": server.port, "smtp_tls": "none", "smtp_username": "",
                 "reminder_hours": 24} | extra)
    db.session.commit()
