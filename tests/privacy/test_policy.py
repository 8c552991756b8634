"""The privacy policy (/confidentialite) is generated from the register, in French and English, linked
from every page's footer, and names exactly the cookies the app sets."""

from __future__ import annotations

from app.privacy.register import register
from tests.conftest import PASSWORD, page_text, post_form


def test_the_policy_shows_every_processing_of_the_register_and_how_to_exercise_ones_rights(client):
    page = page_text(client.get("/confidentialite"))
    for processing in register().processings:
        assert processing.name.fr in page and processing.purpose.fr in page and processing.retention_text.fr in page
    assert "Obligation légale" in page and "Votre consentement" in page
    assert 'href="https://www.cnil.fr/fr/plaintes"' in page and 'href="/compte/donnees"' in page
    assert "donnees-personnelles@hubdusud.localhost" in page
    assert 'href="/confidentialite"' in page_text(client.get("/"))  # the footer of every page

    with client.session_transaction() as session:
        session["lang"] = "en"
    english = page_text(client.get("/confidentialite"))
    assert all(p.name.en in english and p.purpose.en in english for p in register().processings)
    assert "Privacy policy" in english and "Consultations" not in english


def test_the_policy_names_every_cookie_the_app_sets(client, factory):
    user = factory.user()
    assert post_form(client, "/langue", {"lang": "fr", "next": "/"}).status_code == 302
    answer = post_form(client, "/connexion", {"email": user.email, "password": PASSWORD, "remember": "y"})
    assert answer.status_code == 302
    client.get("/compte/donnees")
    set_cookies = {key[2] if isinstance(key, tuple) else key for key in client._cookies}
    assert set_cookies == {"session", "remember_token"}
    page = page_text(client.get("/confidentialite"))
    assert all(f"<code>{name}</code>" in page for name in set_cookies)
    assert page.count("<code>") == len(set_cookies)  # and no other
