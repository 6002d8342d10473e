"""Secrets at rest: the SMTP password, message bodies and two-factor secrets are stored only
encrypted (Fernet, AES-128-CBC with an HMAC), under a key from the instance's configuration,
never the database."""
import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class Unreadable(Exception):
    """Sealed with another key (SECRETS_KEY or SECRET_KEY changed) or altered."""


def _fernet() -> Fernet:
    # TRACKER_SECRETS_KEY when set, so SECRET_KEY (login sessions) can be rotated on its own;
    # else derived from SECRET_KEY. HKDF keeps the two uses of one key apart.
    material = current_app.config.get("SECRETS_KEY") or current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"tracker sealed values v1").derive(str(material).encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode("ascii") if text else ""


def unseal(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise Unreadable("sealed with another key") from exc
