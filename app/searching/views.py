"""The search pages (/recherche) and the search API (/api/v1/search)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import Access, access
from app.directory.skills import skill_label, valid_codes
from app.directory.vocab import MODALITIES, OFFER_CATEGORIES, PRICE_MODES
from app.searching.links import url_toggle, url_with
from app.searching.services import (
    CHARTER_ANY,
    CHARTER_LEVELS,
    SearchRequest,
    Unprocessable,
    build_query,
    get_backend,
)
from app.territory.services import around_commune, commune_text, commune_texts, departement_names, insee_reference
from search import KINDS, PUBLIC_KINDS, InvalidCursor

bp = Blueprint("searching", __name__)
bp.add_app_template_global(url_with)  # the one query-string builder of the catalogue's links
bp.add_app_template_global(url_toggle)
SORTS = ("relevance", "distance", "date")
RADII = (5, 10, 20, 30, 50, 80, 150)
DEPARTEMENT = re.compile(r"[0-9A-Za-z]{0,3}")  # the OpenAPI's pattern (spaces around are trimmed)


def parse_request(args, *, staff: bool, api: bool = False) -> SearchRequest:
    """Validate the query string; ValueError carries a French message.

    `api`: the API's `commune` is documented as an INSEE code, where a person's is a
    postal code or a name (see app.territory.services.lookup_commune)."""

    def choice(name, allowed):
        value = args.get(name) or ""
        if value and value not in allowed:
            raise ValueError(_("Valeur inconnue pour « %(name)s ».", name=name))
        return value or None

    kind = choice("type", KINDS) or "offer"  # "need": hub staff only
    if kind == "need" and not staff:
        raise PermissionError
    skills = [s for s in args.getlist("competence") if s]
    if any(s not in valid_codes() for s in skills):
        raise ValueError(_("Compétence inconnue."))
    radius = args.get("rayon")
    try:
        radius_km = float(radius) if radius else None
    except ValueError:
        raise ValueError(_("Le rayon doit être un nombre de kilomètres.")) from None
    if radius_km is not None and not 1 <= radius_km <= 1000:
        raise ValueError(_("Le rayon va de 1 à 1 000 km."))
    dep = (args.get("departement") or "").strip(" ")
    if not DEPARTEMENT.fullmatch(dep):
        raise ValueError(_("Département invalide."))
    dep = dep.upper()
    raw_limit = args.get("par_page")
    limit = int(raw_limit) if raw_limit and raw_limit.isascii() and raw_limit.isdigit() else 0
    if raw_limit is not None and not 1 <= limit <= 100:  # as the OpenAPI says: 1 to 100, never clamped
        raise ValueError(_("Nombre de résultats par page invalide : de 1 à 100."))
    return SearchRequest(
        text=(args.get("q") or "")[:200],
        kind=kind,
        category=choice("categorie", OFFER_CATEGORIES),
        skills=skills or None,
        dep_code=dep or None,
        modality=choice("modalite", MODALITIES),
        price_mode=choice("tarif", PRICE_MODES),
        charter_level=choice("charte", (CHARTER_ANY, *CHARTER_LEVELS)),
        commune=(insee_reference(args.get("commune") or "") if api else (args.get("commune") or "").strip()) or None,
        radius_km=radius_km,
        sort=choice("tri", SORTS) or "relevance",
        cursor=args.get("suite") or None,
        limit=limit or 20,
        match_any=args.get("mots") == "un",
    )


def charter_levels(counts: dict) -> list[tuple[str, str, int]]:
    """The charter facet's per-level entries (value, words, count), level 1 to 5."""
    return [(v, _("niveau %(level)s", level=v), counts[v]) for v in CHARTER_LEVELS if counts.get(v)]


def run_search(args, *, api: bool = False):
    staff = current_user.is_authenticated and current_user.is_staff
    req = parse_request(args, staff=staff, api=api)
    # Too few documents with every word: those with some of them, ranked after (more of
    # the words first), as a person expects from "site web asso" — in the same call.
    req.widen_below = req.limit if len(req.text.split()) > 1 else 0
    query, commune = build_query(req, staff=staff)
    backend = get_backend()
    try:
        result = backend.search(query)
    except InvalidCursor:
        req.cursor = None
        query, commune = build_query(req, staff=staff)
        result = backend.search(query)
    if result.exact_total is None:
        result.exact_total = result.total
    req.match_any = req.match_any or result.widened
    return req, result, commune


@bp.get("/recherche")
@access(Access.PUBLIC)
def search_page():
    candidates: tuple = ()
    try:
        req, result, commune = run_search(request.args)
        error = None
    except PermissionError:
        abort(403)
    except ValueError as exc:
        result, commune, error = None, None, str(exc)
        candidates = getattr(exc, "candidates", ())
        try:  # the page keeps what was asked (its boxes; the links to choose a commune)
            req = parse_request(request.args, staff=current_user.is_authenticated and current_user.is_staff)
        except (ValueError, PermissionError):
            req = SearchRequest()
    return render_template(
        "searching/search.html",
        req=req,
        result=result,
        commune=commune,
        commune_box=commune_text(commune) if commune else (request.args.get("commune") or ""),
        around=around_commune(commune.name) if commune else "",
        candidates=list(zip(candidates, commune_texts(candidates), strict=True)),
        dep_names=departement_names() if result and result.facets.get("dep_code") else {},
        error=error,
        radii=RADII,
        skill_label=skill_label,
        charter_levels=charter_levels,
        args=request.args,
    ), (400 if error else 200)


@bp.get("/recherche/suggestions")
@access(Access.PUBLIC)
def suggestions():
    """Titles for the search box's suggestion list, of the type chosen beside it
    (offers, providers or resources; never needs, whoever asks)."""
    text = (request.args.get("q") or "").strip()[:80]
    kind = request.args.get("type") or "offer"
    if len(text) < 2 or kind not in PUBLIC_KINDS:
        return jsonify([])
    result = get_backend().search(build_query(SearchRequest(text=text, kind=kind, limit=8))[0])
    return jsonify([hit.title for hit in result.hits])


@bp.get("/api/v1/search")
@access(Access.API_PUBLIC)
def api_search():
    try:
        req, result, commune = run_search(request.args, api=True)
    except PermissionError:
        return jsonify(
            {"error": {"code": "forbidden", "message": _("Les besoins sont réservés à l'équipe du Hub.")}}
        ), 403
    except Unprocessable as exc:  # well formed, but nothing to answer it with
        body = {"code": "validation_error", "message": str(exc)}
        if exc.candidates:  # the communes it could mean
            body["candidates"] = [{"insee": c.insee, "name": c.name, "label": c.label} for c in exc.candidates]
        return jsonify({"error": body}), 422
    except ValueError as exc:
        return jsonify({"error": {"code": "bad_request", "message": str(exc)}}), 400
    return jsonify(
        {
            "total": result.total,
            "next_cursor": result.next_cursor,
            "degraded": result.degraded,
            "all_words": not req.match_any,
            "all_words_total": getattr(result, "exact_total", result.total),
            "corrections": result.corrections,
            "facets": result.facets,
            "near": {"insee": commune.insee, "name": commune.name} if commune else None,
            "items": [
                {
                    "id": int(h.id),
                    "kind": h.kind,
                    "title": h.title,
                    "score": h.score,
                    "highlight": h.highlight,
                    "distance_km": round(h.distance_km, 1) if h.distance_km is not None else None,
                    "published_at": h.published_at.isoformat()
                    if hasattr(h.published_at, "isoformat")
                    else h.published_at,
                    **(h.extra or {}),
                }
                for h in result.hits
            ],
        }
    )


from app.searching import synonym_views  # noqa: E402, F401  (the staff page of the synonym table, on this blueprint)
