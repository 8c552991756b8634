"""The OpenAPI 3 description of API v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from app.directory.vocab import MODALITIES, OFFER_CATEGORIES, PRICE_MODES


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


def openapi_document(server_url: str = "") -> dict:
    enum = lambda vocab: {"type": "string", "enum": list(vocab)}  # noqa: E731
    date = {"type": "string", "format": "date", "nullable": True}
    commune = {"type": "object", "properties": {
        "insee": {"type": "string"}, "name": {"type": "string"}, "postal_codes": {"type": "array", "items": {"type": "string"}},
        "dep_code": {"type": "string"}, "dep_name": {"type": "string"}, "region_code": {"type": "string"},
        "lat": {"type": "number", "nullable": True}, "lon": {"type": "number", "nullable": True}}}
    offer_input = {"type": "object", "properties": {
        "provider_id": {"type": "integer", "description": "Required on creation: a provider you manage."},
        "title": {"type": "string", "maxLength": 200}, "description": {"type": "string"},
        "category": enum(OFFER_CATEGORIES), "skills": {"type": "array", "items": {"type": "string"}},
        "modality": enum(MODALITIES), "duration_hours": {"type": "number", "minimum": 0.5},
        "capacity_per_month": {"type": "integer", "minimum": 1}, "price_mode": enum(PRICE_MODES),
        "price": {"type": "number", "description": "Euros, for paid offers"},
        "available_from": date, "available_until": date,
        "submit": {"type": "boolean", "description": "Send to moderation at once"}}}
    need_input = {"type": "object", "properties": {
        "organisation_id": {"type": "integer"}, "title": {"type": "string"}, "description": {"type": "string"},
        "skills": {"type": "array", "items": {"type": "string"}},
        "categories": {"type": "array", "items": enum(OFFER_CATEGORIES)},
        "commune": {"type": "string", "description": "INSEE code, or 'Name (postal code)'"},
        "modality": enum(MODALITIES), "funding_mode": enum(PRICE_MODES), "window_start": date, "window_end": date,
        "contact_name": {"type": "string"}, "contact_email": {"type": "string", "format": "email"},
        "contact_phone": {"type": "string"}, "draft": {"type": "boolean"}}}
    id_param = lambda name: {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}  # noqa: E731
    token = [{"bearerToken": []}]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Hub du Sud API", "version": "1.0.0",
                 "description": "Catalogue of digital-mediation offers, providers and communes; needs and offers "
                                "written with a personal token (created on the account page).",
                 "license": {"name": "AGPL-3.0-or-later"}},
        "servers": [{"url": server_url or "/"}],
        "paths": {
            "/api/v1/offers": {
                "get": {"summary": "Catalogue of published offers", "parameters": [
                    {"name": n, "in": "query", "schema": {"type": "string"}} for n in
                    ("category", "price_mode", "modality", "departement", "skill")] + [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
                    "responses": {"200": _json(_ref("OfferPage"), "A page of offers"), "422": ERRORS["422"]}},
                "post": {"summary": "Create an offer", "security": token,
                         "requestBody": {"required": True, "content": {"application/json": {"schema": offer_input}}},
                         "responses": {"201": _json(_ref("Offer"), "Created"), **ERRORS}}},
            "/api/v1/offers/{offer_id}": {
                "parameters": [id_param("offer_id")],
                "get": {"summary": "One published offer", "responses": {"200": _json(_ref("Offer"), "The offer"),
                                                                       "404": ERRORS["404"]}},
                "patch": {"summary": "Update an offer you manage", "security": token,
                          "requestBody": {"required": True, "content": {"application/json": {"schema": offer_input}}},
                          "responses": {"200": _json(_ref("Offer"), "Updated"), **ERRORS}}},
            "/api/v1/search": {
                "get": {"summary": "Full-text search with facets and distance (accents optional, typos tolerated)",
                        "parameters": [
                            {"name": "q", "in": "query", "schema": {"type": "string"}},
                            {"name": "type", "in": "query",
                             "schema": {"type": "string", "enum": ["offer", "provider", "resource", "need"],
                                        "default": "offer"},
                             "description": "resource: knowledge-base resources (items carry identifier 'R42', "
                                            "url '/r/R42', producer, licence, licence_label, paid, price_from_cents; "
                                            "they have no place: commune, rayon and a distance sort do not apply); "
                                            "need: hub staff only"},
                            {"name": "categorie", "in": "query", "schema": enum(OFFER_CATEGORIES)},
                            {"name": "tarif", "in": "query", "schema": enum(PRICE_MODES)},
                            {"name": "modalite", "in": "query", "schema": enum(MODALITIES)},
                            {"name": "departement", "in": "query", "schema": {"type": "string"}},
                            {"name": "competence", "in": "query", "schema": {"type": "array", "items": {"type": "string"}},
                             "style": "form", "explode": True},
                            {"name": "commune", "in": "query", "schema": {"type": "string"},
                             "description": "INSEE code or 'Name (postal code)': distances from its town hall"},
                            {"name": "rayon", "in": "query", "schema": {"type": "number", "minimum": 1, "maximum": 1000}},
                            {"name": "tri", "in": "query", "schema": {"type": "string", "enum": ["relevance", "distance", "date"]}},
                            {"name": "suite", "in": "query", "schema": {"type": "string"},
                             "description": "the next_cursor of the previous page"},
                            {"name": "par_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
                        "responses": {"200": _json({"type": "object", "properties": {
                            "total": {"type": "integer"}, "next_cursor": {"type": "string", "nullable": True},
                            "degraded": {"type": "boolean"}, "facets": {"type": "object"},
                            "corrections": {"type": "object"},
                            "items": {"type": "array", "items": {"type": "object"}}}}, "Results"),
                                      "400": ERRORS["400"], "403": {"description": "needs are for hub staff"}}}},
            "/api/v1/providers": {"get": {"summary": "Published providers",
                                          "responses": {"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": _ref("Provider")}}}, "Providers")}}},
            "/api/v1/providers/{provider_id}": {"parameters": [id_param("provider_id")],
                                                "get": {"summary": "One provider and its offers",
                                                        "responses": {"200": _json(_ref("Provider"), "The provider"), "404": ERRORS["404"]}}},
            "/api/v1/communes": {"get": {"summary": "Commune autocomplete (name without accents, or postal code)",
                                         "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
                                         "responses": {"200": _json({"type": "array", "items": _ref("Commune")}, "Communes")}}},
            "/api/v1/skills": {"get": {"summary": "Skills taxonomy",
                                       "responses": {"200": _json({"type": "array", "items": {"type": "object"}}, "Skills")}}},
            "/api/v1/needs": {
                "get": {"summary": "Your organisations' needs", "security": token,
                        "responses": {"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": _ref("Need")}}}, "Needs"),
                                      "401": ERRORS["401"]}},
                "post": {"summary": "Post a need", "security": token,
                         "requestBody": {"required": True, "content": {"application/json": {"schema": need_input}}},
                         "responses": {"201": _json(_ref("Need"), "Created"), **ERRORS}}},
            "/api/v1/needs/{need_id}": {
                "parameters": [id_param("need_id")],
                "get": {"summary": "One of your needs", "security": token,
                        "responses": {"200": _json(_ref("Need"), "The need"), "401": ERRORS["401"], "404": ERRORS["404"]}},
                "patch": {"summary": "Update one of your needs (draft or open)", "security": token,
                          "requestBody": {"required": True, "content": {"application/json": {"schema": need_input}}},
                          "responses": {"200": _json(_ref("Need"), "Updated"), **ERRORS}}},
        },
        "components": {
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}}},
                "Commune": commune,
                "Offer": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "title": {"type": "string"}, "description": {"type": "string"},
                    "category": enum(OFFER_CATEGORIES), "skills": {"type": "array", "items": {"type": "object"}},
                    "modality": enum(MODALITIES), "duration_hours": {"type": "number"},
                    "capacity_per_month": {"type": "integer"}, "price_mode": enum(PRICE_MODES),
                    "price_cents": {"type": "integer", "nullable": True}, "currency": {"type": "string"},
                    "available_from": date, "available_until": date, "status": {"type": "string"},
                    "provider_id": {"type": "integer"}, "provider": {"type": "object"}}},
                "OfferPage": {"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Offer")}, "total": {"type": "integer"},
                    "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
                "Provider": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
                    "commune": commune, "radius_km": {"type": "integer"}, "remote_capable": {"type": "boolean"},
                    "languages": {"type": "array", "items": {"type": "string"}}, "presentation": {"type": "string"},
                    "offers": {"type": "array", "items": _ref("Offer")}}},
                "Need": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "organisation_id": {"type": "integer"}, "title": {"type": "string"},
                    "description": {"type": "string"}, "skills": {"type": "array", "items": {"type": "string"}},
                    "categories": {"type": "array", "items": {"type": "string"}}, "commune": commune,
                    "modality": enum(MODALITIES), "funding_mode": enum(PRICE_MODES), "window_start": date,
                    "window_end": date, "status": {"type": "string"}, "contact": {"type": "object"}}},
            },
            "responses": {
                name: _json(_ref("Error"), text) for name, text in (
                    ("BadRequest", "The body is not a JSON object"), ("Unauthorized", "Missing or invalid token"),
                    ("NotFound", "No such object, or not yours"), ("ValidationError", "Invalid values, by field"))
            },
        },
    }
