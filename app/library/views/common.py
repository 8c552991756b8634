"""The knowledge base's blueprint, its settings, and what its pages share: loading a resource
or a producer the current user may see (or a 404), the page number, the answer's format."""

from __future__ import annotations

import json
import os

from flask import Blueprint, Response, abort, request
from flask_login import current_user
from sqlalchemy import select

from app.core.web import first_or_404, load_or_404
from app.library import display, purchase
from app.library.models import Producer, Resource
from app.library.rendering import plain_text, render_markdown
from app.library.services.identifiers import parse_identifier
from app.library.services.rights import EDITABLE, can_edit_resource, can_manage_producer
from payments.checkout import register_success_hook

bp = Blueprint("library", __name__, cli_group="library")
PER_PAGE = 20
JSONLD = "application/ld+json"


@bp.record_once
def _configure(state) -> None:
    """Settings of the knowledge base, from the environment unless the app was given them."""
    config = state.app.config
    config.setdefault("FILES_DIR", os.environ.get("FILES_DIR") or os.path.join(state.app.instance_path, "files"))
    config.setdefault("LIBRARY_MAX_FILE_BYTES", int(os.environ.get("LIBRARY_MAX_FILE_BYTES", str(15 * 1024 * 1024))))
    state.app.jinja_env.filters["markdown"] = render_markdown
    state.app.jinja_env.filters["plain_text"] = plain_text
    state.app.jinja_env.globals["library_ui"] = display
    register_success_hook(purchase.PURPOSE, purchase.on_licence_paid)


def page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def resource_or_404(ident: str) -> Resource:
    """The resource a public identifier (R42) names, whatever its status, or a 404."""
    number = parse_identifier(ident)
    if number is None:
        abort(404)
    return first_or_404(select(Resource).where(Resource.number == number))


def editable_or_404(ident: str) -> Resource:
    """A draft or published resource the current user may edit (a 404 for anyone else)."""
    resource = resource_or_404(ident)
    if resource.status not in EDITABLE or not can_edit_resource(current_user, resource):
        abort(404)
    return resource


def producer_or_404(producer_id: int) -> Producer:
    """A producer the current user manages (a 404 for anyone else)."""
    return load_or_404(Producer, producer_id, where=lambda producer: can_manage_producer(current_user, producer))


def wanted_format() -> str:
    """'html', 'jsonld' or 'json': `?format=jsonld`, else the Accept header (HTML for browsers)."""
    asked = request.args.get("format")
    if asked in ("jsonld", "json"):
        return asked
    best = request.accept_mimetypes.best_match(["text/html", JSONLD, "application/json"], default="text/html")
    return {"text/html": "html", JSONLD: "jsonld", "application/json": "json"}[best]


def json_response(data, status: int = 200, mimetype: str = JSONLD) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=2), status=status, mimetype=mimetype)
