"""Small text helpers shared by search-like lookups."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-'’]+")


def fold(text: str) -> str:
    """Lower-case, strip accents, turn hyphens and apostrophes into spaces.

    >>> fold("Évry-Courcouronnes")
    'evry courcouronnes'
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    return _SEPARATORS.sub(" ", stripped.lower()).strip()
