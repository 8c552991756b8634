"""Structured data for search engines and aggregators: schema.org JSON-LD on the provider and offer pages,
the sitemap (split into several files past `SITEMAP_MAX_URLS`) and robots.txt.

The directory's templates call the `structured_data(entity)` template global (registered by `init_app`),
so the directory never imports this domain.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import Flask, current_app
from markupsafe import Markup
from sqlalchemy import func, select

from app.core.models import PublicationStatus as PS
from app.core.urls import absolute_url
from app.directory.models import Offer, Provider
from app.directory.vocab import OFFER_CATEGORIES, label
from app.extensions import db

SCHEMA = "https://schema.org"
SITEMAP_MAX_URLS = 50_000  # the sitemaps protocol's limit per file


def _address(provider: Provider) -> dict:
    commune = provider.commune
    address = {
        "@type": "PostalAddress",
        "addressLocality": commune.name,
        "postalCode": commune.main_postal_code or None,
        "addressRegion": commune.region_name,
        "addressCountry": "FR",
    }
    if provider.public_address:
        address["streetAddress"] = provider.public_address
    return {k: v for k, v in address.items() if v}


def _geo(provider: Provider) -> dict | None:
    commune = provider.commune
    if commune.lat is None or commune.lon is None:
        return None
    return {"@type": "GeoCoordinates", "latitude": commune.lat, "longitude": commune.lon}


def provider_jsonld(provider: Provider, with_context: bool = True) -> dict:
    """A provider that receives the public at a place is a `LocalBusiness`, the others an `Organization`;
    the address is its commune's, with the street only when it receives the public (a volunteer's home
    is never published); geo: the commune's coordinates (the hub does not geocode addresses)."""
    data: dict = {
        "@type": "LocalBusiness" if provider.public_address else "Organization",
        "@id": absolute_url("directory.provider_detail", provider_id=provider.id),
        "name": provider.name,
        "url": absolute_url("directory.provider_detail", provider_id=provider.id),
        "description": provider.presentation or None,
        "address": _address(provider),
        "geo": _geo(provider) if provider.public_address else None,
        "sameAs": provider.website or None,
        "identifier": provider.siret or None,
        "knowsLanguage": list(provider.languages or []) or None,
        "areaServed": _area(provider),
    }
    if with_context:
        data = {"@context": SCHEMA} | data
    return {k: v for k, v in data.items() if v is not None}


def _area(provider: Provider) -> dict:
    geo = _geo(provider)
    if geo is None:
        return {"@type": "AdministrativeArea", "name": provider.commune.dep_name}
    return {"@type": "GeoCircle", "geoMidpoint": geo, "geoRadius": provider.radius_km * 1000}


def offer_jsonld(offer: Offer) -> dict:
    provider = offer.provider
    price = 0 if offer.price_mode == "volunteer" else (offer.price_cents or 0) / 100 if offer.price_cents else None
    commercial = {
        "@type": "Offer",
        "url": absolute_url("directory.offer_detail", offer_id=offer.id),
        "priceCurrency": "EUR",
        "price": price,
        "availabilityStarts": offer.available_from.isoformat() if offer.available_from else None,
        "availabilityEnds": offer.available_until.isoformat() if offer.available_until else None,
    }
    data = {
        "@context": SCHEMA,
        "@type": "Service",
        "@id": absolute_url("directory.offer_detail", offer_id=offer.id),
        "name": offer.title,
        "description": offer.description or None,
        "url": absolute_url("directory.offer_detail", offer_id=offer.id),
        "serviceType": label(OFFER_CATEGORIES, offer.category),
        "provider": provider_jsonld(provider, with_context=False),
        "areaServed": _area(provider),
        "offers": {k: v for k, v in commercial.items() if v is not None},
    }
    return {k: v for k, v in data.items() if v is not None}


def structured_data(entity) -> Markup:
    """The <script type="application/ld+json"> of a public provider or offer page (nothing otherwise)."""
    if isinstance(entity, Provider) and entity.is_public:
        data = provider_jsonld(entity)
    elif isinstance(entity, Offer) and entity.is_public:
        data = offer_jsonld(entity)
    else:
        return Markup("")
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")  # never closes the script element
    return Markup('<script type="application/ld+json">') + Markup(text) + Markup("</script>")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["structured_data"] = structured_data


# ---------------------------------------------------------------- sitemap


def max_urls() -> int:
    return int(current_app.config.get("SITEMAP_MAX_URLS", SITEMAP_MAX_URLS))


def _static_urls() -> list[tuple[str, datetime | None]]:
    return [
        (absolute_url("home.index"), None),
        (absolute_url("searching.search_page"), None),
        (absolute_url("directory.providers"), None),
        (absolute_url("opendata.datasets"), None),
        (absolute_url("charter.charter"), None),
    ]


def _entity_query(model, offset: int, limit: int):
    if model is Offer:
        stmt = select(Offer.id, Offer.updated_at).join(Offer.provider)
        stmt = stmt.where(Offer.status == PS.PUBLISHED, Provider.status == PS.PUBLISHED).order_by(Offer.id)
    else:
        stmt = select(Provider.id, Provider.updated_at).where(Provider.status == PS.PUBLISHED).order_by(Provider.id)
    return db.session.execute(stmt.offset(offset).limit(limit)).all()


def _counts() -> tuple[int, int, int]:
    providers = db.session.scalar(select(func.count(Provider.id)).where(Provider.status == PS.PUBLISHED)) or 0
    offers = (
        db.session.scalar(
            select(func.count(Offer.id))
            .join(Offer.provider)
            .where(Offer.status == PS.PUBLISHED, Provider.status == PS.PUBLISHED)
        )
        or 0
    )
    return len(_static_urls()), providers, offers


def sitemap_pages() -> int:
    return max(1, -(-sum(_counts()) // max_urls()))


def sitemap_urls(page: int) -> list[tuple[str, datetime | None]]:
    """The URLs of page `page` (1-based): the fixed pages, then providers, then offers, in id order."""
    size = max_urls()
    start, end = (page - 1) * size, page * size
    n_static, n_providers, _n_offers = _counts()
    urls: list[tuple[str, datetime | None]] = []
    if start < n_static:
        urls.extend(_static_urls()[start:end])
    segments = ((Provider, n_static, "directory.provider_detail", "provider_id"),)
    segments += ((Offer, n_static + n_providers, "directory.offer_detail", "offer_id"),)
    for model, first, endpoint, arg in segments:
        offset = max(0, start - first)
        limit = end - max(start, first)
        if limit <= 0:
            continue
        for ident, updated in _entity_query(model, offset, limit):
            urls.append((absolute_url(endpoint, **{arg: ident}), updated))
    return urls[: end - start]
