"""JSON API v1: catalogue reads, needs and offers written with a personal token,
one error format, the OpenAPI document."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from app.accounts.services import create_api_token
from app.needs.models import Need, NeedStatus


@pytest.fixture
def org_token(factory, db_session):
    user = factory.user()
    org = factory.organisation(owner=user, commune="83137")
    token = create_api_token(user)
    db_session.flush()
    return {"Authorization": f"Bearer {token}"}, org, user


def test_openapi_document_is_valid_and_lists_the_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert {"/api/v1/offers", "/api/v1/needs", "/api/v1/needs/{need_id}", "/api/v1/communes"} <= set(doc["paths"])


def test_catalogue_reads(client, factory):
    offer = factory.offer(title="Atelier smartphone pour seniors", skills=["mediation.outils_quotidien"])
    factory.offer(provider=offer.provider, draft=True, title="Brouillon caché")
    body = client.get("/api/v1/offers").get_json()
    titles = [o["title"] for o in body["items"]]
    assert titles == ["Atelier smartphone pour seniors"] and body["total"] == 1
    one = client.get(f"/api/v1/offers/{offer.id}").get_json()
    assert one["skills"] == [
        {"code": "mediation.outils_quotidien", "label": "Maîtrise des outils numériques du quotidien"}
    ]
    assert one["provider"]["commune"]["insee"] == "13001"
    provider = client.get(f"/api/v1/providers/{offer.provider_id}").get_json()
    assert [o["id"] for o in provider["offers"]] == [offer.id]
    communes = client.get("/api/v1/communes?q=hyeres").get_json()
    assert communes[0]["name"] == "Hyères"


def test_catalogue_rejects_bad_filters(client):
    r = client.get("/api/v1/offers?category=nimportequoi")
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "validation_error"
    assert "category" in r.get_json()["error"]["fields"]


def test_create_and_update_a_need(client, org_token, db_session):
    headers, org, _user = org_token
    payload = {
        "organisation_id": org.id,
        "title": "Sécuriser nos ordinateurs",
        "description": "Trois postes.",
        "skills": ["securite.cybersecurite"],
        "commune": "83137",
        "modality": "on_site",
        "funding_mode": "voucher",
        "window_start": "2027-01-10",
        "window_end": "2027-03-31",
        "contact_name": "Paul",
        "contact_email": "paul@toulon.example.org",
    }
    r = client.post("/api/v1/needs", json=payload, headers=headers)
    assert r.status_code == 201, r.get_json()
    need = r.get_json()
    assert need["status"] == "open" and need["commune"]["name"] == "Toulon"
    assert r.headers["Location"].endswith(f"/api/v1/needs/{need['id']}")

    r = client.patch(f"/api/v1/needs/{need['id']}", json={"title": "Sécuriser nos postes"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["title"] == "Sécuriser nos postes"
    assert r.get_json()["skills"] == ["securite.cybersecurite"]  # untouched
    listed = client.get("/api/v1/needs", headers=headers).get_json()["items"]
    assert [n["id"] for n in listed] == [need["id"]]

    # two complementary experts: at least two skills
    assert need["two_experts"] is False
    r = client.patch(f"/api/v1/needs/{need['id']}", json={"two_experts": True}, headers=headers)
    assert r.status_code == 422 and "two_experts" in r.get_json()["error"]["fields"]
    both = {"two_experts": True, "skills": ["securite.cybersecurite", "securite.rgpd"]}
    r = client.patch(f"/api/v1/needs/{need['id']}", json=both, headers=headers)
    assert r.status_code == 200 and r.get_json()["two_experts"] is True, r.get_json()


def test_need_validation_errors_by_field_and_nothing_saved(client, org_token, db_session):
    headers, org, _user = org_token
    r = client.post(
        "/api/v1/needs",
        json={
            "organisation_id": org.id,
            "title": "",
            "commune": "99999",
            "modality": "teleportation",
            "funding_mode": "volunteer",
            "skills": ["inconnue"],
            "contact_email": "x",
        },
        headers=headers,
    )
    assert r.status_code == 422
    fields = r.get_json()["error"]["fields"]
    assert {"title", "commune", "modality", "skills", "contact_email"} <= set(fields)
    assert db_session.scalar(select(func.count()).select_from(Need)) == 0


def test_body_must_be_a_json_object(client, org_token):
    headers, _org, _user = org_token
    for body in ("pas du json", "[1, 2]"):
        r = client.post("/api/v1/needs", data=body, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


def test_cannot_touch_another_organisations_need(client, org_token, factory):
    headers, _org, _user = org_token
    foreign = factory.need()
    assert client.get(f"/api/v1/needs/{foreign.id}", headers=headers).status_code == 404
    r = client.patch(f"/api/v1/needs/{foreign.id}", json={"title": "Piraté"}, headers=headers)
    assert r.status_code == 404
    assert foreign.title != "Piraté"
    r = client.post("/api/v1/needs", json={"organisation_id": foreign.organisation_id, "title": "T"}, headers=headers)
    assert r.status_code == 422 and "organisation_id" in r.get_json()["error"]["fields"]


def test_need_in_progress_cannot_be_edited(client, org_token, factory, db_session):
    headers, org, user = org_token
    need = factory.need(organisation=org, user=user)
    need.status = NeedStatus.IN_PROGRESS  # reached through missions (matching issue)
    db_session.flush()
    r = client.patch(f"/api/v1/needs/{need.id}", json={"title": "Autre"}, headers=headers)
    assert r.status_code == 422
    assert "ne peut plus être modifié" in r.get_json()["error"]["message"]


def test_create_offer_with_token(client, factory, db_session):
    provider = factory.provider()
    token = create_api_token(provider.memberships[0].user)
    db_session.flush()
    headers = {"Authorization": f"Bearer {token}"}
    payload = {
        "provider_id": provider.id,
        "title": "Formation Nextcloud",
        "description": "Deux demi-journées.",
        "category": "formation",
        "skills": ["gestion.collaboratif", "libre.migration"],
        "modality": "remote",
        "duration_hours": 7,
        "capacity_per_month": 4,
        "price_mode": "paid",
        "price": 350,
        "submit": True,
    }
    r = client.post("/api/v1/offers", json=payload, headers=headers)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "submitted" and body["price_cents"] == 35000
    r = client.patch(f"/api/v1/offers/{body['id']}", json={"price_mode": "volunteer", "price": None}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["price_mode"] == "volunteer" and r.get_json()["price_cents"] is None
    # Unpublished offers are not in the public API.
    assert client.get(f"/api/v1/offers/{body['id']}").status_code == 404
    # Someone else's provider: refused.
    other = factory.provider(name="Autre")
    r = client.post("/api/v1/offers", json={**payload, "provider_id": other.id}, headers=headers)
    assert r.status_code == 422 and "provider_id" in r.get_json()["error"]["fields"]
