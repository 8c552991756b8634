"""One query-string builder for every link of the catalogue (search page facets, "widen
to 50 km", pagination; the knowledge base's pages): the current query string with some
parameters changed, multi-valued parameters kept as repeated keys (`competence=a&competence=b`,
never `competence=['a', 'b']`), and the position in the results (`page`, `suite`) dropped
whenever anything else changes (a new facet starts again at page 1).

Registered as the template globals `url_with` and `url_toggle` by app.searching.views."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from flask import request, url_for

#: Where the person is in the results: forgotten when the query changes.
POSITION_PARAMS = ("page", "suite")


def _pairs(args) -> list[tuple[str, str]]:
    if args is None:
        return []
    if hasattr(args, "getlist"):  # a werkzeug MultiDict: every value of every key
        return [(str(k), str(v)) for k, v in args.items(multi=True)]
    pairs = []
    for key, value in args.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(key), str(v)) for v in values if v is not None)
    return pairs


def _values(value) -> list[str]:
    """A change's values: None or False remove the parameter, a list repeats it."""
    if value is None or value is False:
        return []
    items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    return [str(v) for v in items if v is not None and v is not False and str(v) != ""]


def merged_params(
    args, changes: Mapping[str, object], position: Iterable[str] = POSITION_PARAMS
) -> list[tuple[str, str]]:
    """`args` (a MultiDict or a dict) with `changes` applied, as (key, value) pairs in order.

    A change replaces every value of its key (None removes it, a list gives a repeated key).
    Empty values are dropped. When a parameter other than the position ones changes, the
    position (`page`, `suite`) is dropped too, unless the change sets it."""
    position = set(position)
    drop = set(changes)
    if drop - position:
        drop |= position
    pairs = [(k, v) for k, v in _pairs(args) if k not in drop and v != ""]
    for key, value in changes.items():
        pairs.extend((key, v) for v in _values(value))
    return pairs


def query_string(args, **changes) -> str:
    """The encoded query string (without "?") of `args` with `changes` (see merged_params)."""
    return urlencode(merged_params(args, changes))


def url_with(endpoint: str, /, args=None, **changes) -> str:
    """The address of `endpoint` with the current query string (or `args`) and `changes`."""
    query = query_string(request.args if args is None else args, **changes)
    base = url_for(endpoint)
    return f"{base}?{query}" if query else base


def toggled(args, key: str, value: str, *, multiple: bool = False):
    """The change that turns a facet value on or off: for a multi-valued parameter, the list
    with `value` added or removed; for a single one, `value` or None (removed) when it is on."""
    current = args.getlist(key) if hasattr(args, "getlist") else _values(args.get(key))
    if multiple:
        return [v for v in current if v != value] if value in current else [*current, value]
    return None if value in current else value


def url_toggle(endpoint: str, key: str, value: str, /, multiple: bool = False, args=None) -> str:
    """The address that turns one facet value on or off, the other parameters kept."""
    args = request.args if args is None else args
    return url_with(endpoint, args, **{key: toggled(args, key, value, multiple=multiple)})
