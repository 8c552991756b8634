"""The disagreements between the API and its OpenAPI found in issue 10, each pinned
(schemathesis keeps the rest agreed: test_api_schemathesis.py)."""

from __future__ import annotations

import pytest

from app.directory.vocab import MODALITIES


def _param(doc, path, name):
    return next(p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_communes_q_is_required_as_the_spec_says(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert _param(doc, "/api/v1/communes", "q")["required"] is True
    r = client.get("/api/v1/communes")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
    assert client.get("/api/v1/communes?q=").get_json() == []
    assert client.get("/api/v1/communes?q=hyeres").status_code == 200


@pytest.mark.parametrize("value", ["0", "101", "null", "", "-1", "1.5", "abc", "99999999999999999999"])
def test_offers_per_page_and_page_out_of_the_spec_are_refused(client, value):
    for name in ("per_page", "page"):
        if name == "page" and value == "101":
            continue  # page goes to 100 000
        r = client.get(f"/api/v1/offers?{name}={value}")
        assert r.status_code == 422, (name, value, r.status_code)
        assert name in r.get_json()["error"]["fields"]


def test_offers_per_page_within_the_spec_is_kept(client, factory):
    factory.offer()
    body = client.get("/api/v1/offers?per_page=100&page=1").get_json()
    assert body["per_page"] == 100 and body["page"] == 1


@pytest.mark.parametrize("value", ["0", "101", "null", "", "-3"])
def test_search_par_page_out_of_the_spec_is_refused(client, value):
    r = client.get(f"/api/v1/search?q=atelier&par_page={value}")
    assert r.status_code == 400, value


def test_search_rayon_below_one_is_refused_as_the_spec_says(client):
    assert client.get("/api/v1/search?rayon=0.5&commune=13055").status_code == 400
    assert client.get("/api/v1/search?rayon=1&commune=13055").status_code == 200
    assert client.get("/api/v1/search?rayon=&commune=13055").status_code == 200


def test_offers_filters_take_every_value_the_schema_allows(client, factory):
    doc = client.get("/api/v1/openapi.json").get_json()
    modality = _param(doc, "/api/v1/offers", "modality")["schema"]
    assert set(modality["enum"]) == {"", *MODALITIES}
    offer = factory.offer(modality="both")
    for value in modality["enum"]:
        r = client.get(f"/api/v1/offers?modality={value}")
        assert r.status_code == 200, value
        if value in ("on_site", "remote", "both", ""):
            assert offer.id in [o["id"] for o in r.get_json()["items"]], value
    departement = _param(doc, "/api/v1/offers", "departement")["schema"]
    import re

    for value in ("13", "2A", "971", "", "zz"):
        assert re.fullmatch(departement["pattern"].strip("^$"), value)
        assert client.get(f"/api/v1/offers?departement={value}").status_code == 200, value
    for value in ("1234", "1 3", "é", "13-"):
        assert not re.fullmatch(departement["pattern"].strip("^$"), value)
        assert client.get(f"/api/v1/offers?departement={value}").status_code == 422, value
    assert client.get("/api/v1/offers?modality=telepathie").status_code == 422


def test_a_semantic_refusal_is_422_and_a_malformed_parameter_400(client):
    r = client.get("/api/v1/search?commune=Nullepart-sur-Mer")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/search?tri=distance").status_code == 422
    assert client.get("/api/v1/search?tri=nimporte").status_code == 400
    assert client.get("/api/v1/search?categorie=%20formation").status_code == 400  # no silent trimming


def test_405_on_the_api_names_the_allowed_methods(client):
    r = client.delete("/api/v1/offers/1")
    assert r.status_code == 405
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
