"""Password hashing with argon2id (argon2-cffi), parameters from config; the password rules."""
import re
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"],
                          parallelism=cfg["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# A stand-in hash checked when the email is unknown, so timing does not reveal which accounts exist.
_DUMMY: dict[str, str] = {}


def burn_time(password: str) -> None:
    key = str(current_app.config["ARGON2_MEMORY_COST"])
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("not-a-real-password-" + key)
    verify_password(_DUMMY[key], password)


# Common and breached passwords: zxcvbn (the maintained Python port of Dropbox's estimator) ships
# its lists offline: the 30,000 most common passwords of a 10-million-password breach corpus,
# English words, names and keyboard patterns, with substitutions ("P@ssw0rd") and appended digits
# ("password1234"). A password it estimates at under 10^8 guesses (score < 3) is refused.
MIN_SCORE = 3
_SCORED_LENGTH = 72  # zxcvbn's own ceiling; a longer passphrase is judged by its first 72
_ZXCVBN_LOCK = threading.Lock()  # zxcvbn keeps the user inputs in a module-level dictionary


def _compact(text: str) -> str:
    return "".join(ch for ch in (text or "").lower() if ch.isalnum())


def weakness(password: str, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why the password is too easy to guess, or None. `user_inputs` are words a guesser would
    try first for this account (email, name, the clinic's name)."""
    from zxcvbn import zxcvbn  # imported on first use: its word lists take a moment to load

    def score(text: str) -> dict:
        with _ZXCVBN_LOCK:
            return zxcvbn(text[:_SCORED_LENGTH], user_inputs=words)

    words = [w for text in user_inputs if text for w in re.split(r"[\s@._-]+", text.lower())
             if len(w) >= 3]
    words += ["acupuncture", "clinic", "tracker"]
    compact = _compact(password)
    for text in user_inputs:
        for part in {_compact(text), _compact((text or "").split("@")[0])}:
            # The person's own name or email (any punctuation or case) plus something weak.
            rest = compact.replace(part, "")
            if len(part) >= 4 and part in compact and (
                    len(rest) < 4 or score(rest)["score"] < MIN_SCORE):
                return ("This password is too easy to guess: it is built on your name, your "
                        "email or the clinic's name. Try a short sentence of unrelated words.")
    if not password:
        return "Choose a password."
    result = score(password)
    if result["score"] >= MIN_SCORE:
        return None
    warning = result["feedback"].get("warning") or ""
    if any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
        warning = "It contains your name, your email or the clinic's name."
    elif not warning or "common" in warning.lower() or "top" in warning.lower():
        warning = "It is on, or close to, the lists of common and breached passwords."
    return f"This password is too easy to guess. {warning} Try a short sentence of unrelated words."
