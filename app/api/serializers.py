"""JSON shapes of the API v1 (one place, reused by every endpoint)."""

from __future__ import annotations

from app.core.urls import web_url
from app.directory.skills import skill_label


def commune_json(c) -> dict | None:
    if c is None:
        return None
    return {
        "insee": c.insee,
        "name": c.name,
        "postal_codes": c.postal_code_list,
        "dep_code": c.dep_code,
        "dep_name": c.dep_name,
        "region_code": c.region_code,
        "lat": c.lat,
        "lon": c.lon,
    }


def provider_json(p, with_offers: bool = False) -> dict:
    data = {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "commune": commune_json(p.commune),
        "radius_km": p.radius_km,
        "remote_capable": p.remote_capable,
        "languages": p.languages,
        "presentation": p.presentation,
        "website": web_url(p.website),
        "status": p.status.value,
    }
    if with_offers:
        data["offers"] = [offer_json(o, with_provider=False) for o in p.offers if o.is_public]
    return data


def offer_json(o, with_provider: bool = True) -> dict:
    data = {
        "id": o.id,
        "title": o.title,
        "description": o.description,
        "category": o.category,
        "skills": [{"code": s, "label": skill_label(s)} for s in o.skills],
        "modality": o.modality,
        "duration_hours": o.duration_hours,
        "capacity_per_month": o.capacity_per_month,
        "price_mode": o.price_mode,
        "price_cents": o.price_cents,
        "currency": "EUR",
        "available_from": o.available_from.isoformat() if o.available_from else None,
        "available_until": o.available_until.isoformat() if o.available_until else None,
        "status": o.status.value,
        "provider_id": o.provider_id,
    }
    if with_provider:
        data["provider"] = {"id": o.provider.id, "name": o.provider.name, "commune": commune_json(o.provider.commune)}
    return data


def need_json(n) -> dict:
    # Only ever served to the organisation's members and hub staff (contact details included).
    return {
        "id": n.id,
        "organisation_id": n.organisation_id,
        "title": n.title,
        "description": n.description,
        "skills": n.skills,
        "categories": n.categories,
        "commune": commune_json(n.commune),
        "modality": n.modality,
        "funding_mode": n.funding_mode,
        "charter_preference": n.charter_preference or "",
        "two_experts": bool(n.two_experts),
        "window_start": n.window_start.isoformat() if n.window_start else None,
        "window_end": n.window_end.isoformat() if n.window_end else None,
        "status": n.status.value,
        "contact": {"name": n.contact_name, "email": n.contact_email, "phone": n.contact_phone or None},
        "created_at": n.created_at.isoformat() if n.created_at else None,
    }
