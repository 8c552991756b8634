"""Validation in one pass: a form with several mistakes shows every one of them after one submit (the
services' own rules run with the field validators, not after them), each on its field."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.services import request_password_reset
from app.core.mail import OutboxEmail
from app.library.services.producers import create_producer
from app.vouchers.funders import add_funder_member, create_funder
from tests.conftest import login, page_text, post_form


def errors_of(response) -> dict[str, str]:
    """{field id: its error text} of a refused form page (422)."""
    assert response.status_code == 422, response.status_code
    page = page_text(response)
    return {
        ident: re.sub(r"\s+", " ", text).strip()
        for ident, text in re.findall(r'<p class="error" id="([\w-]+)-erreur">(.*?)</p>', page, re.S)
    }


def assert_errors(response, expected: dict[str, str]) -> None:
    found = errors_of(response)
    for field, message in expected.items():
        assert field in found, (field, found)
        assert message in found[field], (field, found[field])


REQUIRED = "Ce champ est obligatoire."


def test_signup_every_error_at_once(client):
    response = post_form(
        client,
        "/inscription",
        {"full_name": "", "email": "pas-une-adresse", "password": "court", "intent": "organisation"},
    )
    assert_errors(
        response,
        {
            "full_name": "Indiquez votre nom.",
            "email": "Adresse e-mail invalide.",
            "password": "Le mot de passe doit contenir au moins 10 caractères.",  # the service's rule, at once
            "accept": "Vous devez accepter les conditions pour continuer.",
        },
    )


def test_login_every_error_at_once(client):
    response = post_form(client, "/connexion", {"email": "", "password": ""})
    assert_errors(response, {"email": "Indiquez votre adresse e-mail.", "password": "Indiquez votre mot de passe."})


def test_reset_every_error_at_once(client, db_session, factory):
    user = factory.user(email="oubli@exemple.fr")
    request_password_reset(user.email, lambda token: f"http://hub.test/mot-de-passe/nouveau/{token}")
    mail = db_session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == user.email)).one()
    path = re.search(r"http://hub.test(/mot-de-passe/nouveau/\S+)", mail.body).group(1)
    response = post_form(client, path, {"password": "oubli@exemple.fr", "confirm": "autre chose"})
    assert_errors(
        response,
        {
            "password": "Le mot de passe ne doit pas reprendre votre adresse e-mail.",
            "confirm": "Les deux mots de passe diffèrent.",
        },
    )


def test_organisation_every_error_at_once(client, factory):
    login(client, factory.user())
    response = post_form(
        client,
        "/structure/nouvelle",
        {"name": "", "kind": "association", "size": "2_9", "commune": "", "siret": "12345678901234"},
    )
    assert_errors(
        response,
        {"name": REQUIRED, "commune": REQUIRED, "siret": "Ce numéro SIRET n'est pas valide"},
    )


def test_provider_every_error_at_once(client, factory):
    login(client, factory.user(intent="provider"))
    response = post_form(
        client,
        "/prestataire/nouveau",
        {
            "name": "",
            "kind": "benevole",
            "commune": "13055",
            "radius_km": "30",
            "languages": "fr",
            "presentation": "",
            "siret": "123",
            "iban": "FR00 1234",
        },
    )
    assert_errors(
        response,
        {
            "name": REQUIRED,
            "presentation": REQUIRED,
            "siret": "Ce numéro SIRET n'est pas valide",
            "iban": "IBAN invalide",
        },
    )


def test_offer_every_error_at_once(client, factory):
    provider = factory.provider()
    login(client, provider.memberships[0].user)
    response = post_form(
        client,
        f"/prestataire/{provider.id}/offres/nouvelle",
        {
            "title": "",
            "description": "Trois séances.",
            "category": "atelier",
            "skills": "presence.site_web",
            "modality": "both",
            "duration_hours": "2",
            "capacity_per_month": "2",
            "price_mode": "paid",
            "price": "",
            "available_from": "2027-03-01",
            "available_until": "2027-01-15",
        },
    )
    assert_errors(
        response,
        {
            "title": REQUIRED,
            "price": "Indiquez le prix d'une offre payante.",
            "available_until": "La fin de disponibilité doit suivre son début.",
        },
    )


def test_need_every_error_at_once(client, factory):
    org = factory.organisation()
    login(client, org.memberships[0].user)
    response = post_form(
        client,
        "/besoins/nouveau",
        {
            "organisation_id": str(org.id),
            "title": "",
            "description": "Un site pour l'association.",
            "commune": "13055",
            "modality": "both",
            "funding_mode": "volunteer",
            "window_start": "2027-03-01",
            "window_end": "2027-01-15",
            "contact_name": "Camille",
            "contact_email": "camille@exemple.fr",
        },
    )
    assert_errors(
        response,
        {
            "title": REQUIRED,
            "window_end": "La fin de la période doit suivre son début.",
            "skills": "Choisissez au moins une compétence recherchée.",
        },
    )


def test_programme_every_error_at_once(client, factory):
    staff = factory.staff()
    member = factory.user(intent="funder")
    funder = create_funder(staff, {"name": "Ville de Gap", "kind": "commune", "dep_code": "05"})
    add_funder_member(staff, funder, member.email)
    login(client, member)
    response = post_form(
        client,
        f"/financeur/programmes/nouveau?financeur={funder.id}",
        {
            "name": "",
            "face_value": "50",
            "validity_days": "365",
            "valid_until": "2020-01-01",
            "communes": "05061 99999",
        },
    )
    assert_errors(
        response,
        {
            "name": REQUIRED,
            "voucher_count": "Indiquez le nombre de chèques ou le budget.",
            "valid_until": "La date de fin doit être dans le futur.",
            "communes": "Codes INSEE inconnus : 99999",
        },
    )


def test_resource_every_error_at_once(client, factory):
    member = factory.user(intent="producer")
    producer = create_producer(member, {"kind": "structure", "name": "Atelier Libre", "presentation": ""})
    login(client, member)
    response = post_form(
        client,
        "/bibliotheque/ressources/nouvelle",
        {
            "title": "",
            "resource_type": "fiche",
            "themes": "demarches",
            "audiences": "mediateurs",
            "languages": "fr",
            "licence": "CC0-1.0",
            "producers": str(producer.id),
            "year_created": "2150",
            "is_based_on": "R99999",
        },
    )
    assert_errors(
        response,
        {
            "title": REQUIRED,
            "year_created": "Indiquez une année entre 1900 et l'an prochain.",
            "is_based_on": "La ressource R99999 n'existe pas.",
        },
    )


def test_producer_every_error_at_once(client, factory):
    login(client, factory.user(intent="producer"))
    response = post_form(
        client, "/bibliotheque/producteurs/nouveau", {"kind": "", "name": "", "website": "javascript:alert(1)"}
    )
    found = errors_of(response)
    assert {"kind", "name", "website"} <= set(found), found


def test_funder_every_error_at_once(client, factory):
    login(client, factory.staff())
    response = post_form(
        client, "/moderation/financeurs", {"name": "", "kind": "commune", "member_email": "inconnu@exemple.fr"}
    )
    assert_errors(
        response,
        {"name": REQUIRED, "member_email": "Aucun compte avec cette adresse : la personne doit d'abord s'inscrire."},
    )
