"""Consent and minimisation (issue 18, point 5): a provider's contact e-mail and phone appear on no public page
nor in the public API (the open data carry them only with its consent: tests/opendata/test_exports.py); the
app sets no cookie beyond the session and the remember-me one, and the privacy policy names each it sets."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, login, page_text, post_form

EMAIL, PHONE, PHONE_DIGITS = "joignable@lieu.example.org", "04 90 12 34 56", "0490123456"


def test_a_providers_contact_details_are_on_no_public_page_nor_in_the_api(client, factory):
    provider = factory.provider(
        name="Lieu Joignable", contact_email=EMAIL, contact_phone=PHONE, public_address="5 rue de l'Accueil"
    )
    assert provider.opendata_contact is False  # off unless the provider ticks it
    offer = factory.offer(provider=provider, title="Atelier smartphone")
    pages = [
        f"/prestataires/{provider.id}",
        "/prestataires",
        f"/offres/{offer.id}",
        "/recherche?q=smartphone",
        "/widget?departement=13",
        f"/api/v1/providers/{provider.id}",
        "/api/v1/providers",
        f"/api/v1/offers/{offer.id}",
        "/api/v1/offers",
        "/api/v1/search?q=smartphone",
    ]
    for viewer in (None, factory.user()):  # a visitor, a member who has no mission with it
        if viewer is not None:
            login(client, viewer)
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            text = page_text(response)
            digits = re.sub(r"\D", "", text)
            assert EMAIL not in text and PHONE not in text and PHONE_DIGITS not in digits, path
    page = page_text(client.get(f"/prestataires/{provider.id}"))
    assert "5 rue de l'Accueil" in page  # the address where it chose to receive the public


def test_the_only_cookies_are_the_session_and_remember_me_and_the_privacy_policy_names_them(client, factory):
    user = factory.user(email="cookies@exemple.fr")
    seen: set[str] = set()

    def keep(response):
        for header in response.headers.getlist("Set-Cookie"):
            seen.add(header.split("=", 1)[0].strip())
        return response

    for path in ("/", "/inscription", "/connexion", "/prestataires", "/mentions-legales"):
        keep(client.get(path))
    keep(post_form(client, "/langue", {"lang": "en", "next": "/"}))
    keep(post_form(client, "/connexion", {"email": user.email, "password": PASSWORD, "remember": "y"}))
    for path in ("/espace", "/espace/parametres", "/"):
        keep(client.get(path))
    assert seen == {"session", "remember_token"}, seen

    post_form(client, "/langue", {"lang": "fr", "next": "/"})
    cookies = page_text(client.get("/confidentialite"))
    section = cookies[cookies.index('id="cookies"') :]
    for name in seen:
        assert f"<code>{name}</code>" in section, name
