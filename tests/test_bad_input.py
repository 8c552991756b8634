"""Bad input on every form and API endpoint: a 4xx with a message, never a 500,
and nothing half-saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Membership, User
from app.accounts.services import create_api_token
from app.directory.models import Offer, Organisation, Provider
from app.library.models import (
    FileVersion,
    LicenceCheckout,
    LicenceGrant,
    LicenceOffer,
    Producer,
    ProducerMember,
    Resource,
    ResourceEvent,
    ResourceFile,
    ResourceRelation,
    ResourceReport,
    StoredBlob,
)
from app.matches.models import MatchRun, Mission, Proposal, ProposalEvent
from app.models import LedgerTransaction, Payment, StripeEvent, Voucher, VoucherProgramme
from app.needs.models import Need
from app.vouchers.models import Funder, FunderMember, PayoutBatch, PayoutLine, ProgrammeSettings, VoucherRequest
from tests.conftest import login, page_text, post_form
from tests.library.library_helpers import library_world
from tests.vouchers.vouchers_helpers import vouchers_world

TABLES = (
    User,
    Membership,
    Organisation,
    Provider,
    Offer,
    Need,
    MatchRun,
    Proposal,
    ProposalEvent,
    Mission,
    Producer,
    ProducerMember,
    Resource,
    ResourceEvent,
    ResourceFile,
    FileVersion,
    StoredBlob,
    ResourceRelation,
    ResourceReport,
    LicenceOffer,
    LicenceGrant,
    LicenceCheckout,
    Funder,
    FunderMember,
    VoucherProgramme,
    ProgrammeSettings,
    Voucher,
    VoucherRequest,
    Payment,
    StripeEvent,
    LedgerTransaction,
    PayoutBatch,
    PayoutLine,
)

GARBAGE = [
    {},
    {"name": "x" * 5000, "title": "y" * 5000, "email": "z" * 400 + "@a.fr", "full_name": "n" * 500},
    {
        "kind": "dragon",
        "size": "géant",
        "category": "magie",
        "modality": "télépathie",
        "price_mode": "troc",
        "intent": "pirate",
        "languages": ["klingon"],
        "skills": ["rien.du.tout"],
        "organisation_id": "abc",
        "radius_km": "-5",
        "capacity_per_month": "0",
        "duration_hours": "beaucoup",
        "price": "-3",
        "window_start": "2027-13-45",
        "available_from": "hier",
        "commune": "'; DROP TABLE commune; --",
    },
    {
        "radius_km": "1e309",
        "capacity_per_month": "99999999999999999999",
        "price": "NaN",
        "duration_hours": "inf",
        "siret": "12345678901234",
        "email": "pas-une-adresse",
        "password": "a",
        "confirm": "b",
    },
]


def _counts(session):
    return {model.__name__: session.scalar(select(func.count()).select_from(model)) for model in TABLES}


@pytest.fixture
def world(factory, app, tmp_path, monkeypatch):
    org_user = factory.user()
    org = factory.organisation(owner=org_user)
    need = factory.need(organisation=org, user=org_user)
    provider = factory.provider()
    offer = factory.offer(provider=provider)
    staff = factory.staff()
    mission_need = factory.need(organisation=org, user=org_user, commune_insee="84007", title="Former l'équipe")
    _run, _proposal, mission = factory.mission(mission_need, provider.memberships[0].user, staff)
    from app.matches import runs as match_runs

    factory.need(organisation=org, user=org_user, commune_insee="83137", title="Sauvegardes")
    pending_run = match_runs.start_run(staff, {"skills": 1.0}, dep_codes=["83"])
    match_runs.run_match_job(pending_run.id)
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    library = library_world(factory, provider.memberships[0].user, org_user)
    vouchers = vouchers_world(factory, org_user, org)
    return {
        "org_user": org_user,
        "provider_user": provider.memberships[0].user,
        "staff": staff,
        "ids": {
            "org": org.id,
            "need": need.id,
            "provider": provider.id,
            "offer": offer.id,
            "run": pending_run.id,
            "proposal": pending_run.proposals[0].id,
            "mission": mission.id,
            **library,
            **vouchers,
        },
    }


FORMS = [  # (who, url)
    ("anon", "/inscription"),
    ("anon", "/connexion"),
    ("anon", "/confirmer"),
    ("anon", "/mot-de-passe/oublie"),
    ("org_user", "/structure/nouvelle"),
    ("org_user", "/structure/{org}/modifier"),
    ("provider_user", "/prestataire/nouveau"),
    ("provider_user", "/prestataire/{provider}/modifier"),
    ("provider_user", "/prestataire/{provider}/offres/nouvelle"),
    ("provider_user", "/offres/{offer}/modifier"),
    ("provider_user", "/offres/{offer}/statut"),
    ("org_user", "/besoins/nouveau"),
    ("org_user", "/besoins/{need}/modifier"),
    ("org_user", "/besoins/{need}/statut"),
    ("staff", "/moderation/offre/{offer}"),
    ("staff", "/moderation/structure/{org}"),
    ("anon", "/langue"),
    ("staff", "/mise-en-relation/"),
    ("staff", "/mise-en-relation/runs/{run}/approuver"),
    ("staff", "/mise-en-relation/propositions/{proposal}"),
    ("provider_user", "/missions/propositions/{proposal}"),
    ("provider_user", "/missions/{mission}/action"),
    ("org_user", "/missions/{mission}/avis"),
    ("provider_user", "/bibliotheque/ressources/nouvelle"),
    ("provider_user", "/r/{lib_resource}/modifier"),
    ("provider_user", "/r/{lib_resource}/statut"),
    ("provider_user", "/r/{lib_resource}/fichiers"),
    ("provider_user", "/r/{lib_resource}/fichiers/{lib_file}/version"),
    ("provider_user", "/r/{lib_resource}/fichiers/{lib_file}/retirer"),
    ("org_user", "/r/{lib_resource}/signaler"),
    ("staff", "/bibliotheque/moderation/signalements/{lib_report}"),
    ("staff", "/bibliotheque/moderation/fusion"),
    ("provider_user", "/r/{lib_paid}/licences"),
    ("provider_user", "/r/{lib_paid}/licences/{lib_offer}/statut"),
    ("provider_user", "/r/{lib_paid}/licences/attribuer"),
    ("provider_user", "/bibliotheque/licences/{lib_grant}/revoquer"),
    ("org_user", "/bibliotheque/producteurs/nouveau"),
    ("provider_user", "/bibliotheque/producteurs/{lib_producer}/modifier"),
    ("provider_user", "/bibliotheque/producteurs/{lib_producer}/membres"),
    ("provider_user", "/bibliotheque/producteurs/{lib_producer}/import"),
    ("provider_user", "/r/{lib_paid}/licences/{lib_offer}/acheter/carte"),
    ("org_user", "/r/{lib_paid}/licences/{lib_offer}/acheter"),
    ("provider_user", "/bibliotheque/licences/{lib_grant}/rembourser"),
    ("staff", "/moderation/financeurs"),
    ("staff", "/moderation/financeurs/{v_funder}/membres"),
    ("staff", "/moderation/cheques/demandes/{v_request}"),
    ("staff", "/financeur/programmes/nouveau"),
    ("staff", "/financeur/programmes/{v_programme}/paiement"),
    ("org_user", "/cheques/programmes/{v_programme}/demande"),
    ("org_user", "/cheques/missions/{mission}/reserver"),
    ("anon", "/stripe/webhook"),
    ("org_user", "/cheques/missions/{mission}/paiement"),
    ("staff", "/moderation/versements/lots"),
    ("staff", "/moderation/paiements/{v_payment}/rembourser"),
    ("staff", "/moderation/versements/lots/{v_batch}/confirmer"),
]


@pytest.mark.parametrize("who,url", FORMS)
def test_forms_answer_4xx_or_redirect_and_save_nothing(client, db_session, world, who, url):
    if who != "anon":
        login(client, world[who])
    url = url.format(**world["ids"])
    before = _counts(db_session)
    for data in GARBAGE:
        r = post_form(client, url, data)
        assert r.status_code in (302, 400, 404, 409, 422), f"{url} {data}: {r.status_code}"
        if r.status_code != 302:
            assert page_text(r).strip(), "an error page says something"
    assert _counts(db_session) == before


API_WRITES = [
    ("POST", "/api/v1/needs"),
    ("PATCH", "/api/v1/needs/{need}"),
    ("POST", "/api/v1/offers"),
    ("PATCH", "/api/v1/offers/{offer}"),
]


@pytest.mark.parametrize("method,url", API_WRITES)
def test_api_writes_answer_4xx_with_the_error_format(client, db_session, world, method, url):
    user = world["org_user"] if "needs" in url else world["provider_user"]
    headers = {"Authorization": f"Bearer {create_api_token(user)}"}
    db_session.flush()
    url = url.format(**world["ids"])
    before = _counts(db_session)
    bodies = [
        {"title": 12, "skills": "pas une liste", "organisation_id": "x", "provider_id": [1]},
        {"commune": None, "modality": {"a": 1}, "price": "gratuit", "window_end": "demain"},
    ]
    bodies += [g for g in GARBAGE if g or method == "POST"]  # an empty PATCH is a valid no-op
    for body in bodies:
        r = client.open(url, method=method, json=body, headers=headers)
        assert 400 <= r.status_code < 500, f"{method} {url} {body}: {r.status_code}"
        error = r.get_json()["error"]
        assert error["code"] and error["message"]
    r = client.open(url, method=method, data=b"\xff\xfe", headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert _counts(db_session) == before


def test_unknown_pages_and_methods(client):
    assert client.get("/nulle-part").status_code == 404
    assert client.get("/api/v1/nulle-part").get_json()["error"]["code"] == "not_found"
    assert client.delete("/catalogue").status_code == 405
    assert client.get("/offres/999999").status_code == 404
    assert client.get("/recherche?par_page=abc").status_code == 400
    r = client.get("/recherche?categorie=zzz&rayon=-4&competence=nope")
    assert r.status_code == 400 and "inconnue" in page_text(r)
    assert client.get("/recherche?suite=not-a-cursor").status_code == 200  # a stale cursor: page 1
