"""Text messages through a gateway. A gateway is any class with `send(to, text, message_id)`
that raises mail.Temporary or mail.Permanent; SMS_BACKEND names it ("file", the one shipped, or
"package.module:Class" for a vendor's). No vendor account ships with the tracker."""
import json
from importlib import import_module
from pathlib import Path
from typing import Protocol

from flask import current_app

from .. import clock


class Gateway(Protocol):
    def send(self, to: str, text: str, message_id: str) -> None: ...


class FileGateway:
    """Appends one JSON line per text to a file (SMS_FILE, default instance/sms-outbox.jsonl)."""

    def __init__(self, path: Path):
        self.path = path

    def send(self, to: str, text: str, message_id: str) -> None:
        line = json.dumps({"to": to, "text": text, "message_id": message_id,
                           "at": clock.now().isoformat()})
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def gateway() -> Gateway:
    choice = current_app.config.get("SMS_BACKEND") or "file"
    if choice == "file":
        return FileGateway(Path(current_app.config.get("SMS_FILE")
                                or Path(current_app.instance_path) / "sms-outbox.jsonl"))
    module, _, name = choice.partition(":")
    return getattr(import_module(module), name)()
