"""Voucher codes. ``HUB-XXXX-XXXX-XXXX-C`` — 12 random Crockford base32 symbols (60 bits
from `secrets`, unguessable) and Crockford's mod-37 check symbol, which catches
every single-symbol typo and every swap of two adjacent symbols. Codes are
drawn so the check symbol is a plain letter or digit (never ``* ~ $ = U``).
Reading is forgiving: case, spaces and hyphens do not matter, ``O`` reads as
``0`` and ``I``/``L`` as ``1``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from .errors import InvalidVoucherCode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CHECK_SYMBOLS = ALPHABET + "*~$=U"  # values 32..36 are check-only symbols
PREFIX = "HUB"
DATA_LENGTH = 12
GROUP = 4
_DECODE = {c: i for i, c in enumerate(ALPHABET)}
_DECODE.update({"O": 0, "I": 1, "L": 1})


def check_symbol(data: str) -> str:
    """Crockford's check symbol of ``data`` (its base32 value modulo 37)."""
    value = 0
    for char in data:
        value = value * 32 + _DECODE[char]
    return CHECK_SYMBOLS[value % 37]


def format_code(data: str) -> str:
    groups = [data[i : i + GROUP] for i in range(0, len(data), GROUP)]
    return "-".join([PREFIX, *groups, check_symbol(data)])


def generate_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A new code, e.g. ``HUB-7K3M-9QZT-4RWD-X``."""
    while True:
        data = "".join(ALPHABET[randbelow(32)] for _ in range(DATA_LENGTH))
        if check_symbol(data) in ALPHABET:
            return format_code(data)


def normalise_code(raw: str) -> str:
    """The canonical form of what someone typed, or `InvalidVoucherCode`."""
    if not isinstance(raw, str):
        raise InvalidVoucherCode("not a code")
    text = "".join(raw.split()).replace("-", "").upper()
    if text.startswith(PREFIX) and len(text) == len(PREFIX) + DATA_LENGTH + 1:
        text = text[len(PREFIX) :]
    if len(text) != DATA_LENGTH + 1:
        raise InvalidVoucherCode(f"a code has {DATA_LENGTH} symbols and a check symbol")
    data, check = text[:-1], text[-1]
    try:
        canonical = "".join(ALPHABET[_DECODE[c]] for c in data)
    except KeyError as exc:
        raise InvalidVoucherCode(f"symbol {exc.args[0]!r} is not used in codes") from None
    check = {"O": "0", "I": "1", "L": "1"}.get(check, check)
    if check not in CHECK_SYMBOLS or check_symbol(canonical) != check:
        raise InvalidVoucherCode("the check symbol does not match: a symbol is probably mistyped")
    return format_code(canonical)


def validate_code(raw: str) -> bool:
    """True when ``raw`` is a well-formed code whose check symbol matches."""
    try:
        normalise_code(raw)
    except InvalidVoucherCode:
        return False
    return True
