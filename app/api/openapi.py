"""The OpenAPI 3 description of API v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from app.core.inputs import MAX_ID
from app.directory.skills import valid_codes
from app.directory.vocab import MODALITIES, OFFER_CATEGORIES, PRICE_MODES
from app.needs.services import CHARTER_PREFERENCES

#: Text without control characters (tab, line feed and carriage return allowed): the
#: app answers 400 to any other (app.core.inputs).
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
DEPARTEMENT = "^[0-9A-Za-z]{0,3}$"


def _text(**constraints) -> dict:
    return {"type": "string", "pattern": NO_CONTROL, **constraints}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "404": {"$ref": "#/components/responses/NotFound"},
    "422": {"$ref": "#/components/responses/ValidationError"},
}
CREATED_HEADERS = {"Location": {"description": "The new object's URL", "schema": {"type": "string"}}}


def openapi_document(server_url: str = "") -> dict:
    enum = lambda vocab: {"type": "string", "enum": list(vocab)}  # noqa: E731
    any_of = lambda vocab: {"type": "string", "enum": ["", *vocab], "description": "empty: any"}  # noqa: E731
    date = {"type": "string", "format": "date", "nullable": True}
    commune = {
        "type": "object",
        "properties": {
            "insee": {"type": "string"},
            "name": {"type": "string"},
            "postal_codes": {"type": "array", "items": {"type": "string"}},
            "dep_code": {"type": "string"},
            "dep_name": {"type": "string"},
            "region_code": {"type": "string"},
            "lat": {"type": "number", "nullable": True},
            "lon": {"type": "number", "nullable": True},
        },
    }
    offer_input = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "provider_id": {"type": "integer", "description": "Required on creation: a provider you manage."},
            "title": _text(maxLength=200),
            "description": _text(),
            "category": enum(OFFER_CATEGORIES),
            "skills": {"type": "array", "items": _text()},
            "modality": enum(MODALITIES),
            "duration_hours": {"type": "number", "minimum": 0.5},
            "capacity_per_month": {"type": "integer", "minimum": 1},
            "price_mode": enum(PRICE_MODES),
            "price": {"type": "number", "description": "Euros, for paid offers"},
            "available_from": date,
            "available_until": date,
            "submit": {"type": "boolean", "description": "Send to moderation at once"},
        },
    }
    need_input = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "organisation_id": {"type": "integer"},
            "title": _text(),
            "description": _text(),
            "skills": {"type": "array", "items": _text()},
            "categories": {"type": "array", "items": enum(OFFER_CATEGORIES)},
            "commune": _text(description="INSEE code, or 'Name (postal code)'"),
            "modality": enum(MODALITIES),
            "funding_mode": enum(PRICE_MODES),
            "charter_preference": enum(CHARTER_PREFERENCES),
            "two_experts": {"type": "boolean", "description": "two complementary experts (at least two skills)"},
            "window_start": date,
            "window_end": date,
            "contact_name": _text(),
            "contact_email": {"type": "string", "format": "email"},
            "contact_phone": _text(),
            "draft": {"type": "boolean"},
        },
    }

    def id_param(name):
        return {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }

    token = [{"bearerToken": []}]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Hub du Sud API",
            "version": "1.0.0",
            "description": "Catalogue of digital-mediation offers, providers and communes; needs and offers "
            "written with a personal token (created on the account page).",
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": server_url or "/"}],
        "paths": {
            "/api/v1/offers": {
                "get": {
                    "summary": "Catalogue of published offers",
                    "parameters": [
                        {"name": "category", "in": "query", "schema": any_of(OFFER_CATEGORIES)},
                        {"name": "price_mode", "in": "query", "schema": any_of(PRICE_MODES)},
                        {
                            "name": "modality",
                            "in": "query",
                            "schema": any_of(MODALITIES),
                            "description": "on_site and remote include the offers that do both",
                        },
                        {
                            "name": "departement",
                            "in": "query",
                            "schema": {"type": "string", "pattern": DEPARTEMENT},
                            "description": "département code: 13, 2A, 971; empty: any",
                        },
                        {"name": "skill", "in": "query", "schema": _text(maxLength=80), "description": "a skill code"},
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000}},
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    ],
                    "responses": {
                        "200": _json(_ref("OfferPage"), "A page of offers"),
                        "400": ERRORS["400"],
                        "422": ERRORS["422"],
                    },
                },
                "post": {
                    "summary": "Create an offer",
                    "security": token,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": offer_input}}},
                    "responses": {"201": {**_json(_ref("Offer"), "Created"), "headers": CREATED_HEADERS}, **ERRORS},
                },
            },
            "/api/v1/offers/{offer_id}": {
                "parameters": [id_param("offer_id")],
                "get": {
                    "summary": "One published offer",
                    "responses": {"200": _json(_ref("Offer"), "The offer"), "400": ERRORS["400"], "404": ERRORS["404"]},
                },
                "patch": {
                    "summary": "Update an offer you manage",
                    "security": token,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": offer_input}}},
                    "responses": {"200": _json(_ref("Offer"), "Updated"), **ERRORS},
                },
            },
            "/api/v1/search": {
                "get": {
                    "summary": "Full-text search with facets and distance (accents optional, typos tolerated)",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": _text()},
                        {
                            "name": "type",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["offer", "provider", "resource", "need"],
                                "default": "offer",
                            },
                            "description": "resource: knowledge-base resources (items carry identifier 'R42', "
                            "url '/r/R42', producer, licence, licence_label, paid, price_from_cents; "
                            "they have no place: commune, rayon and a distance sort do not apply); "
                            "need: hub staff only",
                        },
                        {"name": "categorie", "in": "query", "schema": any_of(OFFER_CATEGORIES)},
                        {"name": "tarif", "in": "query", "schema": any_of(PRICE_MODES)},
                        {"name": "modalite", "in": "query", "schema": any_of(MODALITIES)},
                        {
                            "name": "charte",
                            "in": "query",
                            "schema": any_of(("labellise", "1", "2", "3", "4", "5")),
                            "description": "ethical charter label: labellise (any level) or one level, 1 to 5; "
                            "items carry charter_level (an offer without its own label has its provider's)",
                        },
                        {
                            "name": "departement",
                            "in": "query",
                            "schema": {"type": "string", "pattern": DEPARTEMENT},
                            "description": "département code: 13, 2A, 971; empty: any",
                        },
                        {
                            "name": "competence",
                            "in": "query",
                            "schema": {
                                "type": "array",
                                "items": {"type": "string", "enum": ["", *sorted(valid_codes())]},
                            },
                            "style": "form",
                            "explode": True,
                        },
                        {
                            "name": "commune",
                            "in": "query",
                            "schema": _text(),
                            "description": "INSEE code or 'Name (postal code)': distances from its town hall "
                            "(422 when no commune has it; 422 with `candidates` when a name is several communes)",
                        },
                        {
                            "name": "rayon",
                            "in": "query",
                            "description": "kilometres; empty: the whole region",
                            "schema": {
                                "anyOf": [
                                    {"type": "number", "minimum": 1, "maximum": 1000},
                                    {"type": "string", "enum": [""]},
                                ]
                            },
                        },
                        {
                            "name": "tri",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["", "relevance", "distance", "date"]},
                            "description": "distance needs a commune (422 without)",
                        },
                        {
                            "name": "suite",
                            "in": "query",
                            "schema": _text(),
                            "description": "the next_cursor of the previous page",
                        },
                        {
                            "name": "par_page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "total": {"type": "integer"},
                                    "next_cursor": {"type": "string", "nullable": True},
                                    "degraded": {"type": "boolean"},
                                    "facets": {"type": "object"},
                                    "corrections": {"type": "object"},
                                    "items": {"type": "array", "items": {"type": "object"}},
                                },
                            },
                            "Results",
                        ),
                        "400": ERRORS["400"],
                        "403": _json(_ref("Error"), "needs are for hub staff"),
                        "422": ERRORS["422"],
                    },
                }
            },
            "/api/v1/providers": {
                "get": {
                    "summary": "Published providers",
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Provider")}}},
                            "Providers",
                        )
                    },
                }
            },
            "/api/v1/providers/{provider_id}": {
                "parameters": [id_param("provider_id")],
                "get": {
                    "summary": "One provider and its offers",
                    "responses": {"200": _json(_ref("Provider"), "The provider"), "404": ERRORS["404"]},
                },
            },
            "/api/v1/communes": {
                "get": {
                    "summary": "Commune autocomplete (name without accents, or postal code)",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "schema": _text(),
                            "description": "at least 2 characters to find something",
                        }
                    ],
                    "responses": {
                        "200": _json({"type": "array", "items": _ref("Commune")}, "Communes"),
                        "400": ERRORS["400"],
                    },
                }
            },
            "/api/v1/skills": {
                "get": {
                    "summary": "Skills taxonomy",
                    "responses": {"200": _json({"type": "array", "items": {"type": "object"}}, "Skills")},
                }
            },
            "/api/v1/needs": {
                "get": {
                    "summary": "Your organisations' needs",
                    "security": token,
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Need")}}},
                            "Needs",
                        ),
                        "401": ERRORS["401"],
                    },
                },
                "post": {
                    "summary": "Post a need",
                    "security": token,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": need_input}}},
                    "responses": {"201": {**_json(_ref("Need"), "Created"), "headers": CREATED_HEADERS}, **ERRORS},
                },
            },
            "/api/v1/needs/{need_id}": {
                "parameters": [id_param("need_id")],
                "get": {
                    "summary": "One of your needs",
                    "security": token,
                    "responses": {"200": _json(_ref("Need"), "The need"), "401": ERRORS["401"], "404": ERRORS["404"]},
                },
                "patch": {
                    "summary": "Update one of your needs (draft or open)",
                    "security": token,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": need_input}}},
                    "responses": {"200": _json(_ref("Need"), "Updated"), **ERRORS},
                },
            },
        },
        "components": {
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {
                                    "type": "object",
                                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                                },
                                "candidates": {
                                    "type": "array",
                                    "description": "the communes an ambiguous `commune` could mean",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "insee": {"type": "string"},
                                            "name": {"type": "string"},
                                            "label": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        }
                    },
                },
                "Commune": commune,
                "Offer": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "category": enum(OFFER_CATEGORIES),
                        "skills": {"type": "array", "items": {"type": "object"}},
                        "modality": enum(MODALITIES),
                        "duration_hours": {"type": "number"},
                        "capacity_per_month": {"type": "integer"},
                        "price_mode": enum(PRICE_MODES),
                        "price_cents": {"type": "integer", "nullable": True},
                        "currency": {"type": "string"},
                        "available_from": date,
                        "available_until": date,
                        "status": {"type": "string"},
                        "provider_id": {"type": "integer"},
                        "provider": {"type": "object"},
                    },
                },
                "OfferPage": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": _ref("Offer")},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                    },
                },
                "Provider": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "commune": commune,
                        "radius_km": {"type": "integer"},
                        "remote_capable": {"type": "boolean"},
                        "languages": {"type": "array", "items": {"type": "string"}},
                        "presentation": {"type": "string"},
                        "offers": {"type": "array", "items": _ref("Offer")},
                    },
                },
                "Need": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "organisation_id": {"type": "integer"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "skills": {"type": "array", "items": {"type": "string"}},
                        "categories": {"type": "array", "items": {"type": "string"}},
                        "commune": commune,
                        "modality": enum(MODALITIES),
                        "funding_mode": enum(PRICE_MODES),
                        "charter_preference": enum(CHARTER_PREFERENCES),
                        "two_experts": {"type": "boolean"},
                        "window_start": date,
                        "window_end": date,
                        "status": {"type": "string"},
                        "contact": {"type": "object"},
                    },
                },
            },
            "responses": {
                name: _json(_ref("Error"), text)
                for name, text in (
                    ("BadRequest", "The body is not a JSON object"),
                    ("Unauthorized", "Missing or invalid token"),
                    ("NotFound", "No such object, or not yours"),
                    ("ValidationError", "Invalid values, by field"),
                )
            },
        },
    }
