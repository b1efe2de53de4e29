"""Text normalisation shared by storage and search.

Collectors type names on phones without Vietnamese keyboards, so search
compares diacritic-free, lower-case keys: "nguyen thi hien" finds
"Nguyễn Thị Hiền", and "d" finds "đ".
"""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Apostrophes in Ê Đê and M'nông names (H'Hen) are typed in several ways, or not at all.
_APOSTROPHES = str.maketrans("", "", "'’ʼ`´")


def clean_spaces(text: str) -> str:
    """Trim and collapse runs of whitespace ("Phường  Buôn Ma Thuột")."""
    return _SPACES.sub(" ", text or "").strip()


def search_key(text: str) -> str:
    """Diacritic-free, lower-case, single-spaced form of `text`."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return clean_spaces(stripped.translate(_APOSTROPHES).lower())


def digits_only(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def mask(value: str | None, visible: int = 3) -> str:
    """Personal identifiers in lists show only their last digits: '•••••••••789'."""
    if not value:
        return ""
    return "•" * max(len(value) - visible, 0) + value[-visible:]
