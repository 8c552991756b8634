"""JSON API v1: read the catalogue; create and update needs and offers with a
personal token (Authorization: Bearer hub_...). One error format:
{"error": {"code": ..., "message": ..., "fields": {name: [messages]}}}."""

from __future__ import annotations

import re

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api.openapi import openapi_document
from app.api.serializers import commune_json, need_json, offer_json, provider_json
from app.core.access import Access, access
from app.core.errors import ServiceError
from app.core.forms import form_errors, form_from_json
from app.core.inputs import parse_id
from app.core.models import PublicationStatus as PS
from app.core.web import transaction
from app.directory import services as directory
from app.directory.forms import CatalogueFilterForm, OfferForm
from app.directory.models import Offer, Organisation, Provider
from app.directory.skills import taxonomy
from app.extensions import db
from app.needs import services as needs
from app.needs.forms import NeedForm
from app.needs.models import Need
from app.territory.services import insee_reference, search_communes

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
DEPARTEMENT = re.compile(r"[0-9A-Za-z]{0,3}")  # as the OpenAPI's pattern says


def error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def _json_body() -> dict | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def _int_arg(name: str, default: int, low: int, high: int) -> int | None:
    """A query-string integer from `low` to `high`, as the OpenAPI says; None when the
    value is out of range or not an integer (never clamped: the client is told)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
    return number if number is not None and low <= number <= high else None


def _partial(form, payload: dict) -> dict:
    """For PATCH: keep only the values the client sent."""
    values = form.values()
    sent = set(payload)
    aliases = {"commune_insee": "commune", "price_cents": "price"}
    return {k: v for k, v in values.items() if k in sent or aliases.get(k) in sent}


EXTRA_FIELDS = {"provider_id", "submit", "draft"}


def _validated(form_cls, payload: dict, partial_obj=None, prepare=None):
    """Validate with the HTML form; on PATCH, fill missing fields from the object.

    Unknown fields are refused, so that a typo is not silently ignored."""
    known = set(form_cls(formdata=None, meta={"csrf": False})._fields) - {"answers"} | EXTRA_FIELDS
    unknown = sorted(set(payload) - known)
    if unknown:
        return None, error(
            422,
            "validation_error",
            _("Champs inconnus : %(names)s", names=", ".join(unknown)),
            {name: [_("Champ inconnu.")] for name in unknown},
        )
    if partial_obj is not None:
        payload = {**_current_values(partial_obj), **payload}
    if isinstance(payload.get("commune"), str):  # documented as an INSEE code ("Name (postal code)" works too)
        payload = {**payload, "commune": insee_reference(payload["commune"])}
    form = form_from_json(form_cls, payload)
    if prepare:
        prepare(form)
    if not form.validate():
        return form, error(422, "validation_error", _("Certaines valeurs ne sont pas valides."), form_errors(form))
    return form, None


def _current_values(obj) -> dict:
    if isinstance(obj, Offer):
        return {
            "title": obj.title,
            "description": obj.description,
            "category": obj.category,
            "skills": obj.skills,
            "modality": obj.modality,
            "duration_hours": obj.duration_hours,
            "capacity_per_month": obj.capacity_per_month,
            "price_mode": obj.price_mode,
            "price": obj.price_cents / 100 if obj.price_cents is not None else None,
            "available_from": obj.available_from,
            "available_until": obj.available_until,
        }
    return {
        "organisation_id": obj.organisation_id,
        "title": obj.title,
        "description": obj.description,
        "skills": obj.skills,
        "categories": obj.categories,
        "commune": obj.commune_insee,
        "modality": obj.modality,
        "window_start": obj.window_start,
        "window_end": obj.window_end,
        "funding_mode": obj.funding_mode,
        "charter_preference": obj.charter_preference,
        "two_experts": bool(obj.two_experts),
        "contact_name": obj.contact_name,
        "contact_email": obj.contact_email,
        "contact_phone": obj.contact_phone,
    }


def _not_json():
    return error(400, "bad_request", _("Le corps de la requête doit être un objet JSON."))


def _write(form_cls, payload: dict, action, render, *, partial_obj=None, prepare=None, location=None):
    """Validate with the form, call the service, commit, answer JSON (201 + Location when `location`)."""
    form, failed = _validated(form_cls, payload, partial_obj=partial_obj, prepare=prepare)
    if failed:
        return failed
    with transaction(show=False) as tx:
        result = action(form)
    if tx.error is not None:
        return _service_error(tx.error, tx.status)
    if location is not None:
        return jsonify(render(result)), 201, {"Location": location(result)}
    return jsonify(render(result))


def _service_error(exc: ServiceError, status: int):
    """The service's refusal (already rolled back) in the API's error format."""
    fields = {exc.field: [str(exc.message)]} if exc.field else None
    code = {403: "forbidden", 404: "not_found", 409: "conflict"}.get(exc.status, "validation_error")
    return error(status, code, str(exc.message), fields)


@bp.get("/openapi.json")
@access(Access.API_PUBLIC)
def openapi():
    return jsonify(openapi_document(request.host_url.rstrip("/")))


@bp.get("/skills")
@access(Access.API_PUBLIC)
def skills():
    return jsonify(
        [{"code": s.code, "label": s.label(), "parent": s.parent} for s in taxonomy().values() if not s.retired]
    )


@bp.get("/communes")
@access(Access.API_PUBLIC)
def communes():
    if "q" not in request.args:
        return error(400, "bad_request", _("Le paramètre q (nom ou code postal de la commune) est requis."))
    return jsonify([commune_json(c) for c in search_communes(request.args["q"][:80])])


@bp.get("/offers")
@access(Access.API_PUBLIC)
def offers():
    form = CatalogueFilterForm(request.args, meta={"csrf": False})
    valid = form.validate()
    fields = form_errors(form) if not valid else {}
    if not DEPARTEMENT.fullmatch(request.args.get("departement", "")):
        fields["departement"] = [_("Un numéro de département : 1 à 3 lettres ou chiffres (13, 2A, 971).")]
    per_page = _int_arg("per_page", 20, 1, MAX_PER_PAGE)
    page = _int_arg("page", 1, 1, MAX_PAGE)
    if per_page is None:
        fields["per_page"] = [_("Un nombre entier de 1 à %(n)d.", n=MAX_PER_PAGE)]
    if page is None:
        fields["page"] = [_("Un nombre entier de 1 à %(n)d.", n=MAX_PAGE)]
    if fields:
        return error(422, "validation_error", _("Filtres invalides."), fields)
    items, total = directory.catalogue({k: v for k, v in form.data.items() if v}, page=page, per_page=per_page)
    return jsonify({"items": [offer_json(o) for o in items], "total": total, "page": page, "per_page": per_page})


def _public_offer(offer_id: int) -> Offer | None:
    offer = db.session.get(Offer, offer_id)
    return offer if offer is not None and offer.is_public else None


@bp.get("/offers/<int:offer_id>")
@access(Access.API_PUBLIC)
def offer(offer_id: int):
    found = _public_offer(offer_id)
    if found is None:
        return error(404, "not_found", _("Offre introuvable."))
    return jsonify(offer_json(found))


@bp.get("/providers")
@access(Access.API_PUBLIC)
def providers():
    stmt = (
        select(Provider)
        .where(Provider.status == PS.PUBLISHED)
        .options(selectinload(Provider.commune))
        .order_by(Provider.id)
    )
    return jsonify({"items": [provider_json(p) for p in db.session.scalars(stmt)]})


@bp.get("/providers/<int:provider_id>")
@access(Access.API_PUBLIC)
def provider(provider_id: int):
    found = db.session.get(Provider, provider_id)
    if found is None or not found.is_public:
        return error(404, "not_found", _("Prestataire introuvable."))
    return jsonify(provider_json(found, with_offers=True))


@bp.post("/offers")
@access(Access.API_TOKEN)
def create_offer():
    payload = _json_body()
    if payload is None:
        return _not_json()
    provider_id = parse_id(payload.get("provider_id"))
    target = db.session.get(Provider, provider_id) if provider_id is not None else None
    if target is None or not directory.can_manage_provider(g.api_user, target):
        return error(
            422,
            "validation_error",
            _("provider_id : un prestataire que vous gérez est requis."),
            {"provider_id": [_("Prestataire inconnu ou non géré par vous.")]},
        )
    return _write(
        OfferForm,
        payload,
        lambda form: directory.create_offer(g.api_user, target, form.values(), submit=bool(payload.get("submit"))),
        offer_json,
        location=lambda created: url_for("api.offer", offer_id=created.id),
    )


@bp.patch("/offers/<int:offer_id>")
@access(Access.API_TOKEN)
def update_offer(offer_id: int):
    payload = _json_body()
    if payload is None:
        return _not_json()
    found = db.session.get(Offer, offer_id)
    if found is None or not directory.can_manage_provider(g.api_user, found.provider):
        return error(404, "not_found", _("Offre introuvable."))
    return _write(
        OfferForm,
        payload,
        lambda form: directory.update_offer(g.api_user, found, _partial(form, payload)),
        offer_json,
        partial_obj=found,
    )


def _need_form_prepare(user):
    def prepare(form):
        ids = user.organisation_ids if not user.is_staff else None
        stmt = select(Organisation.id, Organisation.name)
        if ids is not None:
            stmt = stmt.where(Organisation.id.in_(ids or {-1}))
        form.organisation_id.choices = [(i, n) for i, n in db.session.execute(stmt)]

    return prepare


@bp.get("/needs")
@access(Access.API_TOKEN)
def list_needs():
    return jsonify({"items": [need_json(n) for n in needs.needs_of(g.api_user)]})


@bp.get("/needs/<int:need_id>")
@access(Access.API_TOKEN)
def need(need_id: int):
    found = db.session.get(Need, need_id)
    if found is None or not needs.can_see_need(g.api_user, found):
        return error(404, "not_found", _("Besoin introuvable."))
    return jsonify(need_json(found))


@bp.post("/needs")
@access(Access.API_TOKEN)
def create_need():
    payload = _json_body()
    if payload is None:
        return _not_json()

    def create(form):
        org = db.session.get(Organisation, form.organisation_id.data)
        return needs.create_need(g.api_user, org, form.values(), publish=not payload.get("draft", False))

    return _write(
        NeedForm,
        payload,
        create,
        need_json,
        prepare=_need_form_prepare(g.api_user),
        location=lambda created: url_for("api.need", need_id=created.id),
    )


@bp.patch("/needs/<int:need_id>")
@access(Access.API_TOKEN)
def update_need(need_id: int):
    payload = _json_body()
    if payload is None:
        return _not_json()
    found = db.session.get(Need, need_id)
    if found is None or not needs.can_see_need(g.api_user, found):
        return error(404, "not_found", _("Besoin introuvable."))
    payload.pop("organisation_id", None)
    return _write(
        NeedForm,
        payload,
        lambda form: needs.update_need(g.api_user, found, _partial(form, payload)),
        need_json,
        partial_obj=found,
        prepare=_need_form_prepare(g.api_user),
    )
