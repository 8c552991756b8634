"""Absolute links for e-mails, also from jobs and the CLI (no request there); the one rule for
links to other sites (`web_url`)."""

from __future__ import annotations

import html
import ipaddress
import re
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core.errors import ServiceError


def absolute_url(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000")
    # No request context here: popping one would run the teardown that removes (rolls back)
    # the session of the job or command that is sending the e-mail.
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def path_for(endpoint: str, **values) -> str:
    """A site-relative path ('/offres/12'), with or without a request (jobs, CLI)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


# ---------------------------------------------------------------- links to other sites

_SCHEME = re.compile(r"^(https?)://", re.IGNORECASE)
# Controls (C0, DEL, C1), every kind of whitespace, backslashes: browsers strip or reinterpret them
# (`java\tscript:`, `https:\\evil`), so a link that holds one is refused, not cleaned.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\\\s\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]")
# A domain name with a dot (labels of letters, digits, hyphens; IDN allowed), or an IP address.
_DOMAIN = re.compile(r"^(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)$", re.IGNORECASE)
WEB_URL_MAX = 500
WEB_URL_MESSAGE = _l("Indiquez une adresse web complète commençant par https:// (ou http://).")


def web_url(value) -> str | None:
    """The value as a link to an http(s) site, or None when it is not one.

    The one rule for every URL the app stores or shows (websites, source addresses): an absolute
    http:// or https:// address with a host and no user:password part; anything else (javascript:,
    data:, vbscript:, file:, `//host`, hidden controls or spaces, entity-encoded schemes) is refused.
    Surrounding spaces are dropped and the scheme is lower-cased.

    >>> web_url(" HTTPS://exemple.fr/a?b=1&c=2 ")
    'https://exemple.fr/a?b=1&c=2'
    >>> web_url("javascript:alert(1)//") is None, web_url("java\\tscript:x") is None
    (True, True)
    """
    if not isinstance(value, str):
        return None
    text = value.strip(" ")
    if not text or len(text) > WEB_URL_MAX:
        return None
    decoded = html.unescape(text)
    for candidate in (text, decoded):  # what is stored and what an HTML reader would see
        if _FORBIDDEN.search(candidate) or not _SCHEME.match(candidate):
            return None
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return None
    host = parts.hostname or ""
    if "@" in parts.netloc or not host or not (_DOMAIN.match(host) or _is_ip(host)):
        return None
    return parts.scheme.lower() + text[len(parts.scheme) :]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def clean_web_url(value, field: str) -> str:
    """For services: the cleaned link, "" when empty; a ServiceError naming `field` when refused."""
    if value is None or not str(value).strip():
        return ""
    url = web_url(str(value))
    if url is None:
        raise ServiceError(str(WEB_URL_MESSAGE), field=field)
    return url


def external_link(value) -> Markup:
    """Template filter: a stored address as a link when it passes `web_url`, else as plain text
    (defence in depth: a value that slipped past the forms is never an href)."""
    url = web_url(value)
    if url is None:
        return escape(value or "")
    return Markup('<a href="{0}" rel="nofollow noopener ugc">{1}</a>').format(url, value.strip(" "))
