"""Text folding shared by patient search and acupoint lookup (no Flask)."""
import unicodedata


def fold(text: str) -> str:
    """Lower-case without accents, so 'José' is found by 'jose' on SQLite and PostgreSQL alike."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()
