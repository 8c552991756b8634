"""French wording helpers of the explanations (numbers, months, availability windows).

The library writes its explanations in French (the app's source language); each
phrase also carries a code and its parameters (see :class:`matching.components.Phrase`).
"""

from __future__ import annotations

from .model import OPEN_END, OPEN_START, day_to_date

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def N_(message: str) -> str:
    """Mark a French message for the app's translation catalogue (returned unchanged).

    The library never translates; the app passes the marked messages to gettext."""
    return message


def fr_number(x: float, decimals: int = 1) -> str:
    """French decimal notation: ``4.6`` -> ``"4,6"`` (no trailing ``,0``)."""
    s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.replace(".", ",")


def _de(month: str) -> str:
    return ("d'" if month[0] in "aeiouéèêàâîôû" else "de ") + month


def availability_phrase(start: int, end: int) -> str:
    """French phrase of an availability window (day numbers, open ends allowed)."""
    open_s, open_e = start <= OPEN_START, end >= OPEN_END
    if open_s and open_e:
        return "disponible à tout moment"
    if open_s:
        d = day_to_date(end)
        return f"disponible jusqu'en {MONTHS_FR[d.month - 1]} {d.year}"
    a = day_to_date(start)
    if open_e:
        return f"disponible dès {MONTHS_FR[a.month - 1]} {a.year}"
    b = day_to_date(end)
    ma, mb = MONTHS_FR[a.month - 1], MONTHS_FR[b.month - 1]
    if (a.year, a.month) == (b.year, b.month):
        return f"disponible en {ma}"
    if a.year == b.year:
        return f"disponible {_de(ma)} à {mb}"
    return f"disponible {_de(ma)} {a.year} à {mb} {b.year}"
