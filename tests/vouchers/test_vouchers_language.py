"""The vouchers pages in the reader's language and in plain words: eligibility refusals in English
for an English reader, territories and payment purposes by their names (never "13" or
"programme_funding"), moments to the minute (never to the second)."""

from __future__ import annotations

import re

from tests.conftest import login, page_text, post_form
from tests.vouchers.vouchers_helpers import funded_programme, make_funder

SIRET_FR = "Un numéro SIRET valide (14 chiffres) est nécessaire pour ce programme."
SIRET_EN = "A valid SIRET number (14 digits) is required for this programme."


def test_an_eligibility_refusal_in_the_readers_language(client, db_session, factory):
    programme = funded_programme(factory, require_siret=True)
    user = factory.user(name="Membre Association")
    org = factory.organisation(owner=user, siret=None)
    login(client, user)
    french = page_text(client.get("/cheques/"))
    assert SIRET_FR in french and programme.name in french

    post_form(client, "/langue", {"lang": "en"})
    english = client.get("/cheques/")
    assert SIRET_EN in page_text(english) and SIRET_FR not in page_text(english)
    # the programme's name and the organisation's are French content in an English page
    assert f'<span lang="fr" data-user-content>{org.name}</span>' in page_text(english)
    refused = post_form(client, f"/cheques/programmes/{programme.id}/demande", {"organisation_id": str(org.id)})
    assert refused.status_code in (302, 400, 409)
    followed = page_text(client.get(refused.headers["Location"])) if refused.status_code == 302 else page_text(refused)
    assert SIRET_EN in followed and SIRET_FR not in followed


def test_territories_by_their_names_on_a_programme(client, db_session, factory):
    funder, member = make_funder(factory)
    programme = funded_programme(factory, funder, member, departements=["13"], communes=["83137"])
    login(client, member)
    page = page_text(client.get(f"/financeur/programmes/{programme.id}"))
    territory = re.search(r"<dt>Territoire</dt><dd>(.*?)</dd>", page).group(1)
    assert territory == "Bouches-du-Rhône (13), Toulon (83)"
    login(client, factory.staff())
    assert f"{funder.name} — Bouches-du-Rhône (13)</td>" in page_text(client.get("/moderation/financeurs"))


def test_payment_purposes_by_name_and_moments_without_seconds(client, db_session, factory):
    funded_programme(factory)
    login(client, factory.staff())
    page = page_text(client.get("/moderation/paiements"))
    assert "Financement d'un programme" in page and "programme_funding" not in page
    main = page.split("<main", 1)[1]
    assert not re.search(r"\d{1,2}:\d{2}:\d{2}", main)  # no time to the second
    assert re.search(r"(aujourd'hui|hier|\d{1,2} \w+ \d{4}) à \d{1,2} h \d{2}", main)
    post_form(client, "/langue", {"lang": "en"})
    assert "Programme funding" in page_text(client.get("/moderation/paiements"))
