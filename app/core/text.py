"""Small text helpers: folding for search-like lookups, amounts of money as people read them."""

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


NBSP = "\u00a0"  # no-break space: "10 000 €" never breaks into "10 000 / €"


def euros(cents: int | None) -> str:
    """An amount in cents, French style, that never wraps: thousands and the euro sign joined by no-break spaces,
    no decimals when they are zero.

    >>> euros(1_000_000) == "10\u00a0000\u00a0€"
    True
    >>> euros(1990) == "19,90\u00a0€"
    True
    """
    if cents is None:
        return ""
    text = f"{cents / 100:,.2f}".replace(",", NBSP).replace(".", ",").removesuffix(",00")
    return f"{text}{NBSP}€"
