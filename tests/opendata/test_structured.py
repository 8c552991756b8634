"""schema.org JSON-LD on provider and offer pages, the sitemap and robots.txt."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from tests.conftest import login

# The part of the schema.org vocabulary (https://schema.org, version 29) our pages use: each type with the
# properties it accepts there (its own and its parents': Thing > Organization > LocalBusiness; Thing >
# Intangible > Service / Offer / ...). A property outside this table is a typo or a wrong type.
THING = {"@context", "@type", "@id", "name", "description", "url", "sameAs", "identifier"}
VOCABULARY = {
    "Organization": THING | {"address", "areaServed", "knowsLanguage", "email", "telephone", "location"},
    "LocalBusiness": THING | {"address", "areaServed", "knowsLanguage", "geo", "email", "telephone", "openingHours"},
    "Service": THING | {"serviceType", "provider", "areaServed", "offers", "category", "audience"},
    "Offer": THING | {"priceCurrency", "price", "availabilityStarts", "availabilityEnds", "category"},
    "PostalAddress": {"@type", "streetAddress", "postalCode", "addressLocality", "addressRegion", "addressCountry"},
    "GeoCoordinates": {"@type", "latitude", "longitude"},
    "GeoCircle": {"@type", "geoMidpoint", "geoRadius"},
    "AdministrativeArea": THING,
}


def check_vocabulary(node, where="$"):
    if isinstance(node, list):
        for i, item in enumerate(node):
            check_vocabulary(item, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    kind = node.get("@type")
    assert kind in VOCABULARY, f"{where}: unknown type {kind!r}"
    unknown = set(node) - VOCABULARY[kind]
    assert not unknown, f"{where}: {kind} has no properties {unknown}"
    for key, value in node.items():
        check_vocabulary(value, f"{where}.{key}")


def jsonld_of(page: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def test_a_place_is_a_local_business_with_address_and_geo(client, factory):
    provider = factory.provider(public_address="10 rue des Tanneurs", siret="73282932000074")
    page = client.get(f"/prestataires/{provider.id}").get_data(as_text=True)
    assert "Accueil du public :" in page
    data = jsonld_of(page)
    check_vocabulary(data)
    assert data["@context"] == "https://schema.org" and data["@type"] == "LocalBusiness"
    assert data["address"]["streetAddress"] == "10 rue des Tanneurs"
    assert data["address"]["addressLocality"] == "Aix-en-Provence"
    assert set(data["geo"]) == {"@type", "latitude", "longitude"}


def test_a_provider_without_a_place_is_an_organization_without_a_street(client, factory):
    provider = factory.provider(name="Expert Bénévole")
    data = jsonld_of(client.get(f"/prestataires/{provider.id}").get_data(as_text=True))
    check_vocabulary(data)
    assert data["@type"] == "Organization" and "streetAddress" not in data["address"] and "geo" not in data


def test_an_offer_is_a_service_with_area_provider_and_offers(client, factory):
    offer = factory.offer(price_mode="paid", price_cents=12000, title="Audit </script> de sécurité")
    page = client.get(f"/offres/{offer.id}").get_data(as_text=True)
    data = jsonld_of(page)
    check_vocabulary(data)
    assert data["@type"] == "Service" and data["name"] == "Audit </script> de sécurité"
    assert data["provider"]["name"] == offer.provider.name and "@context" not in data["provider"]
    assert data["offers"] == {**data["offers"], "@type": "Offer", "price": 120.0, "priceCurrency": "EUR"}
    assert data["areaServed"]["@type"] == "GeoCircle" and data["areaServed"]["geoRadius"] == 40000


def test_no_structured_data_on_an_unpublished_listing(client, factory):
    offer = factory.offer(draft=True)
    login(client, offer.provider.memberships[0].user)
    assert "application/ld+json" not in client.get(f"/offres/{offer.id}").get_data(as_text=True)


NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_the_sitemap_lists_published_listings_with_lastmod(client, factory):
    offer = factory.offer()
    hidden = factory.offer(draft=True)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    urls = {u.find("s:loc", NS).text: u.find("s:lastmod", NS) for u in root.findall("s:url", NS)}
    offer_url = f"http://localhost/offres/{offer.id}"
    assert offer_url in urls and urls[offer_url].text == offer.updated_at.date().isoformat()
    assert f"http://localhost/prestataires/{offer.provider.id}" in urls
    assert f"http://localhost/offres/{hidden.id}" not in urls
    assert "http://localhost/donnees" in urls


def test_a_large_sitemap_is_split_into_an_index(app, client, factory, monkeypatch):
    for _ in range(3):
        factory.offer()
    monkeypatch.setitem(app.config, "SITEMAP_MAX_URLS", 4)
    root = ET.fromstring(client.get("/sitemap.xml").data)
    assert root.tag.endswith("sitemapindex")
    parts = [s.find("s:loc", NS).text for s in root.findall("s:sitemap", NS)]
    assert len(parts) >= 3
    seen = []
    for part in parts:
        page = ET.fromstring(client.get(part.replace("http://localhost", "")).data)
        locs = [u.find("s:loc", NS).text for u in page.findall("s:url", NS)]
        assert 0 < len(locs) <= 4
        seen.extend(locs)
    assert len(seen) == len(set(seen)), "no URL in two parts"
    assert client.get(f"/sitemap-{len(parts) + 1}.xml").status_code == 404


def test_robots_txt_points_to_the_sitemap_and_keeps_private_pages_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    assert "Disallow: /moderation" in text and "Disallow: /espace" in text
    assert "Disallow: /offres" not in text
