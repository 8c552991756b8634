"""Absolute links for e-mails, also from jobs and the CLI (no request there)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


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
