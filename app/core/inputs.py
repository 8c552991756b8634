"""Odd input stops at the door, before it can reach the database.

- Ids: every `<int:...>` route takes ids within the columns' range (PostgreSQL
  INTEGER, 0..2^31-1); beyond, the URL matches nothing (404). Ids read from query
  strings, forms or JSON bodies go through `parse_id` (None when not an id).
- Control characters (NUL and the other C0 controls but tab, line feed and
  carriage return; DEL; lone surrogates) and invalid UTF-8 in the path, the query
  string, form fields and file names, JSON bodies or headers: 400, with a French
  message (JSON for the API). The content of uploaded files is not looked at.
"""

from __future__ import annotations

import builtins
import re
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from app.core.responses import error_response

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: every id column
MAX_INT = 2**31 - 1  # any other INTEGER column (counts, cents)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


# 0..2147483647 (leading zeros allowed, as before), ASCII digits only. Bounding the
# regex, not only to_python, makes a larger number match no route at all (404),
# where a converter's refusal would let a same-path rule of another method answer 405.
BOUNDED_DIGITS = (
    r"0*(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
    r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])"
)


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` bounded to the id columns' range: 0..2^31-1 unless a route asks for less."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)
        self.regex = ("-?" if signed else "") + BOUNDED_DIGITS
        self.min = 0 if self.min is None else self.min
        self.max = builtins.min(self.max, MAX_ID)


def parse_id(value) -> int | None:
    """An id from a query string, a form or a JSON body: a positive INTEGER, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
        return number if 1 <= number <= MAX_ID else None
    return None


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def _json_strings(value, depth: int = 0):
    if depth > 64:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, depth + 1)


def _strict_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def odd_input() -> bool:
    """True when the request carries a control character or invalid UTF-8 where text goes."""
    environ = request.environ
    path = environ.get("PATH_INFO", "")
    if not _strict_utf8(path.encode("latin-1", "replace")) or has_control(request.path):
        return True
    if not _strict_utf8(unquote_to_bytes(request.query_string)):
        return True
    if any(has_control(value) for value in request.headers.values()):
        return True
    for key, values in request.args.lists():
        if has_control(key) or any(has_control(v) for v in values):
            return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            body = request.get_json(silent=True)
            return any(has_control(text) for text in _json_strings(body))
        for key, values in request.form.lists():
            if has_control(key) or any(has_control(v) for v in values):
                return True
        for key, upload in request.files.items(multi=True):
            if has_control(key) or has_control(upload.filename or ""):
                return True
    return False


def refuse_odd_input():
    """before_request hook: first of all, so that no other hook reads such input."""
    if not odd_input():
        return None
    return error_response(
        400,
        _("Caractères non autorisés"),
        _("La requête contient des caractères de contrôle ou un encodage invalide : retirez-les et recommencez."),
    )


def init_inputs(app: Flask) -> None:
    """Before any blueprint is registered (the converter) and before every other hook."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_odd_input)
