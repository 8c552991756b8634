"""The Région Sud demo data: counts, real communes, valid vocabularies, working accounts."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from importlib import resources

from sqlalchemy import select
from stdnum.fr import siret as siret_std

from app.accounts.models import User
from app.accounts.services import authenticate
from app.core.models import PublicationStatus as PS
from app.demo import (
    ADMIN_EMAIL,
    DEMO_ACCOUNTS,
    ORGANISATION_EMAIL,
    PROVIDER_EMAIL,
    STAFF_EMAIL,
    database_is_empty,
    load_demo,
    make_siret,
)
from app.demo.loader import read
from app.directory.models import Offer, Organisation, Provider
from app.directory.skills import valid_codes
from app.directory.vocab import (
    MODALITIES,
    OFFER_CATEGORIES,
    ORGANISATION_KINDS,
    ORGANISATION_SIZES,
    PRICE_MODES,
    PROVIDER_KINDS,
)
from app.needs.boussole import load_tree, walk
from app.needs.models import Need
from app.needs.models import NeedStatus as NS
from app.territory.models import Commune

PASSWORD = "mot de passe de la démo"


def test_load_demo(db_session):
    assert database_is_empty()
    counts = load_demo(PASSWORD)

    organisations = list(db_session.scalars(select(Organisation)))
    providers = list(db_session.scalars(select(Provider)))
    offers = list(db_session.scalars(select(Offer)))
    needs = list(db_session.scalars(select(Need)))
    users = list(db_session.scalars(select(User)))
    from app.library.models import Resource
    from app.vouchers.models import Funder

    resources = list(db_session.scalars(select(Resource)))
    funders = list(db_session.scalars(select(Funder)))
    from app.charter.assessments import current_version
    from app.charter.models import Label

    labels = list(db_session.scalars(select(Label)))
    if current_version() is not None:  # once the charter's text is loaded: providers labelled at several levels
        assert len({label.level for label in labels}) >= 3
    assert counts == {
        "utilisateurs": len(users),
        "structures": len(organisations),
        "prestataires": len(providers),
        "offres": len(offers),
        "besoins": len(needs),
        "financeurs": len(funders),
        "programmes": 2,
        "ressources": len(resources),
        "critères de la charte": 20,
        "amendements": 3,
        "labels": len(labels),
    }
    _check_charter(db_session)
    assert len(resources) == 6 and any(r.licence == "LicenseRef-licence-usage" for r in resources)
    assert len(providers) >= 30 and len(offers) >= 80 and len(organisations) >= 40 and len(needs) >= 100
    assert not database_is_empty()

    # Real communes, all in the Région Sud (six départements).
    codes = {e.commune_insee for e in organisations + providers + needs}
    communes = {c.insee: c for c in db_session.scalars(select(Commune).where(Commune.insee.in_(codes)))}
    assert set(communes) == codes
    assert {c.region_code for c in communes.values()} == {"93"}
    assert {c.dep_code for c in communes.values()} == {"04", "05", "06", "13", "83", "84"}

    # Providers: every kind, radius 10-80 km, some remote, valid SIRETs.
    assert set(Counter(p.kind for p in providers)) == set(PROVIDER_KINDS)
    assert all(10 <= p.radius_km <= 80 for p in providers)
    assert sum(p.remote_capable for p in providers) >= len(providers) / 5
    assert all(p.languages and "fr" in p.languages for p in providers)
    assert sum(p.status == PS.PUBLISHED for p in providers) >= 0.8 * len(providers)
    sirets = [e.siret for e in providers + organisations if e.siret]
    assert len(sirets) >= 10 and len(set(sirets)) == len(sirets)
    assert all(siret_std.is_valid(s) for s in sirets)

    # Offers: nine categories, taxonomy skills, coherent prices, capacity 1-8.
    codes = valid_codes()
    assert set(Counter(o.category for o in offers)) == set(OFFER_CATEGORIES)
    for offer in offers:
        assert offer.skills and set(offer.skills) <= codes, (offer.title, offer.skills)
        assert offer.modality in MODALITIES and offer.price_mode in PRICE_MODES
        assert 1 <= offer.capacity_per_month <= 8 and offer.duration_hours > 0
        assert len(offer.description) > 80
        if offer.price_mode == "paid":
            assert offer.price_cents and offer.price_cents >= 1000
        if offer.price_mode == "volunteer":
            assert offer.price_cents is None
    statuses = Counter(o.status for o in offers)
    assert statuses[PS.PUBLISHED] >= 0.8 * len(offers)
    assert statuses[PS.SUBMITTED] and statuses[PS.DRAFT] and statuses[PS.REJECTED]
    assert all(o.rejection_reason for o in offers if o.status == PS.REJECTED)
    assert {o.price_mode for o in offers} == set(PRICE_MODES)

    # Organisations: every kind, mostly published, a few awaiting moderation.
    assert set(Counter(o.kind for o in organisations)) == set(ORGANISATION_KINDS)
    assert all(o.size in ORGANISATION_SIZES for o in organisations)
    org_statuses = Counter(o.status for o in organisations)
    assert org_statuses[PS.SUBMITTED] >= 1 and org_statuses[PS.PUBLISHED] >= 0.8 * len(organisations)

    # Needs: real boussole paths, varied titles, windows in 2026-12 .. 2027-06, contact details.
    tree = load_tree()
    for need in needs:
        outcome = walk(tree, need.boussole_answers)
        assert outcome.finished, need.boussole_answers
        assert need.skills == outcome.skills and need.categories == outcome.categories
        assert need.modality == outcome.modality and need.funding_mode == outcome.funding
        assert outcome.title and need.title
        assert date(2026, 12, 1) <= need.window_start <= need.window_end <= date(2027, 6, 30)
        assert need.contact_name and need.contact_email and need.contact_phone
        assert need.commune_insee == need.organisation.commune_insee
    assert len({n.title for n in needs}) >= 0.8 * len(needs)
    need_statuses = Counter(n.status for n in needs)
    assert need_statuses[NS.OPEN] >= 0.7 * len(needs) and need_statuses[NS.DRAFT] >= 1
    assert all(n.opened_at is not None for n in needs if n.status != NS.DRAFT)

    # Accounts: one shared hash, all confirmed; the four named accounts log in.
    assert len({u.password_hash for u in users}) == 1
    assert all(u.is_confirmed and u.email.endswith("@demo.hubdusud.fr") for u in users)
    accounts = {email: authenticate(email, PASSWORD) for email in DEMO_ACCOUNTS}
    assert accounts[ADMIN_EMAIL].is_staff and accounts[ADMIN_EMAIL].is_admin
    assert accounts[STAFF_EMAIL].is_staff and not accounts[STAFF_EMAIL].is_admin
    structure = accounts[ORGANISATION_EMAIL]
    assert not structure.is_staff and len(structure.organisation_ids) == 1
    org = db_session.get(Organisation, next(iter(structure.organisation_ids)))
    assert org.status == PS.PUBLISHED and org.commune_insee == "13055" and len(org.needs) >= 3
    prestataire = accounts[PROVIDER_EMAIL]
    assert not prestataire.is_staff and len(prestataire.provider_ids) == 1
    provider = db_session.get(Provider, next(iter(prestataire.provider_ids)))
    assert provider.status == PS.PUBLISHED and provider.commune_insee == "13001"
    assert sum(o.status == PS.PUBLISHED for o in provider.offers) >= 3
    # Every other structure and provider has its own owner.
    owners = [m.user_id for e in organisations + providers for m in e.memberships]
    assert len(owners) == len(set(owners)) == len(organisations) + len(providers)


def _check_charter(db_session):
    """The charter's v1 (twenty criteria over the six themes, each with its evidence), an open consultation
    with three amendments (add, change, remove) and supports, and the committee's demo member."""
    from app.charter import text as charter
    from app.charter.models import ConsultationStatus

    version = charter.current_version()
    assert version is not None and version.number == 1
    assert {t.code for t, _rows in charter.by_theme(version)} == {
        "libre",
        "communs",
        "donnees",
        "accessibilite",
        "sobriete",
        "reemploi",
    }
    assert len(version.criteria) == 20 and all(vc.evidence and vc.applies_to for vc in version.criteria)
    consultation = charter.active_consultation()
    assert consultation is not None and charter.effective_status(consultation) == ConsultationStatus.OPEN
    assert sorted(a.kind.value for a in consultation.amendments) == ["add", "change", "remove"]
    assert sum(len(a.supports) for a in consultation.amendments) >= 3
    member = db_session.scalars(select(User).where(User.email == "comite@demo.hubdusud.fr")).one()
    assert charter.is_committee_member(member) and not member.is_staff


def test_make_siret_is_valid_and_unique():
    rng, used = random.Random(1), set()
    sirets = [make_siret(rng, used) for _ in range(300)]
    assert len(set(sirets)) == 300
    assert all(siret_std.is_valid(s) and len(s) == 14 for s in sirets)
    assert make_siret(random.Random(7), set()) == make_siret(random.Random(7), set())


def test_demo_command_refuses_a_database_with_users(app, factory):
    factory.user()
    result = app.test_cli_runner().invoke(args=["hub", "demo"])
    assert result.exit_code != 0 and "--force" in result.output


def test_the_data_files_ship_in_the_package_and_read_as_written():
    """app/demo/data/ is a package (a wheel ships its YAML files); codes read as strings, never as numbers."""
    shipped = {entry.name for entry in resources.files("app.demo.data").iterdir()}
    names = ("staff", "providers", "organisations", "needs", "funders", "library")
    assert {"__init__.py", *(f"{name}.yaml" for name in names)} <= shipped
    providers, organisations = read("providers")["providers"], read("organisations")["organisations"]
    for spec in providers + organisations:
        assert isinstance(spec["commune_insee"], str) and len(spec["commune_insee"]) == 5, spec["name"]
    assert all(isinstance(spec["size"], str) for spec in organisations)
    assert all(isinstance(code, str) for code in read("needs")["budgets"])
    assert read("staff") == read("staff") and read("staff") is not read("staff")  # a fresh copy for each caller
