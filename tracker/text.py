"""Text folding shared by patient search and acupoint lookup (no Flask)."""
import unicodedata

# Latin letters Unicode gives no decomposition (not a base letter plus an accent), so dropping
# combining marks leaves them whole and 'Yilmaz' would not find 'Yılmaz' nor 'Lukasz'
# 'Łukasz': each becomes the plain letters a user types for it. Keys are lower case (applied
# after casefold, which already makes ß and ẞ 'ss'; İ decomposes to I and a dot). Stored
# folds (patient.search_name, sort_name, patient_name_token) follow a change here only
# through a migration that recomputes them (migrations/versions/0028_fold_names_again.py).
LATIN_LETTERS = str.maketrans({
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe",
    "ħ": "h", "ŧ": "t", "ŋ": "n", "ĸ": "k", "ƒ": "f", "ɓ": "b", "ɗ": "d", "ƙ": "k", "ƴ": "y",
    "ƶ": "z", "ȥ": "z", "ɨ": "i", "ʉ": "u",
})


def fold(text: str) -> str:
    """Lower-case without accents, so 'José' is found by 'jose' and 'Łukasz' by 'lukasz' on
    SQLite and PostgreSQL alike."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return bare.translate(LATIN_LETTERS).strip()
