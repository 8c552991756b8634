"""/moderation/ at scale: each kind of waiting item is paginated (10 a page), compact (a "Publier"
button and a folded refusal with its reason), and a decision comes back to the page it was taken on
with a message naming the item."""

from __future__ import annotations

import re

from app.core.models import PublicationStatus as PS
from tests.conftest import login, page_text, post_form


def test_the_queue_is_paginated_and_decisions_come_back_to_their_page(client, factory, db_session):
    staff = factory.staff()
    orgs = [factory.organisation(name=f"Association en attente {i:02d}", publish=False) for i in range(23)]
    login(client, staff)
    first = client.get("/moderation/")
    html = first.get_data(as_text=True)
    assert re.search(r"<title>\s*Modération[^<]*</title>", html)  # the title is only the title
    text = page_text(first)
    assert "Structures en attente (23)" in text and "Page 1 sur 3" in text
    assert html.count('id="structure-') == 10
    assert 'href="/moderation/?p_structures=2#m-structure"' in html
    third = client.get("/moderation/?p_structures=3").get_data(as_text=True)
    assert third.count('id="structure-') == 3
    assert "<details><summary>Refuser…</summary>" in html  # the refusal and its reason are folded

    org = orgs[21]  # on page 3 (oldest first)
    assert f'id="structure-{org.id}"' in third
    back = "/moderation/?p_structures=3"
    r = post_form(client, f"/moderation/structure/{org.id}", {"decision": "reject", "back": back})
    assert r.headers["Location"] == f"{back}#m-structure"
    shown = page_text(client.get(r.headers["Location"]))
    assert f"« {org.name} » :" in shown and "raison" in shown.lower()
    r = post_form(client, f"/moderation/structure/{org.id}", {"decision": "publish", "back": back})
    assert f"Décision enregistrée pour « {org.name} » : publication." in page_text(client.get(r.headers["Location"]))
    db_session.refresh(org)
    assert org.status == PS.PUBLISHED
    # Only a queue address is a way back.
    r = post_form(client, f"/moderation/structure/{orgs[0].id}", {"decision": "publish", "back": "https://x.example/"})
    assert r.headers["Location"] == "/moderation/#m-structure"
    assert client.get("/moderation/?p_structures=abc&p_offres=999").status_code == 200
