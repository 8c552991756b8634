"""The accessibility statement (/accessibilite), RGAA style: conformance state, the automated gate's tool (the
axe-core version the browser tests really run), rules and result, the pages tested, the content that is not
accessible, the technologies, how to report a problem, the recourse and the date; in French and in English.
And the money format every page uses: "10 000 €" joined by no-break spaces, so that an amount never wraps."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.text import euros
from tests.conftest import page_text, post_form

VENDORED_AXE = Path(__file__).parent / "browser" / "vendor" / "axe.min.js"


def test_the_statement_gives_the_facts_of_an_rgaa_statement(client, app):
    vendored = re.search(r"axe v(\d+\.\d+\.\d+)", VENDORED_AXE.read_text(encoding="utf-8")[:200])
    assert vendored
    home = page_text(client.get("/"))
    assert '<a href="/accessibilite">Accessibilité : non conforme</a>' in home  # every page (footer), RGAA mention
    response = client.get("/accessibilite")
    text = page_text(response)
    assert response.status_code == 200
    for heading in (
        "Déclaration d'accessibilité",
        "État de conformité",
        "Résultats des tests",
        "Pages testées",
        "Contenus non accessibles",
        "Technologies utilisées",
        "Signaler un problème",
        "Voies de recours",
    ):
        assert f">{heading}</h" in text, heading
    assert "RGAA 4.1.2" in text and "non conforme" in text
    assert f"axe-core {vendored.group(1)}" in text  # the version the browser tests run
    assert "WCAG 2.0, 2.1 et 2.2" in text and "0 erreur" in text and "24 × 24 px" in text
    assert "<li>Mon espace (structure, prestataire, financeur, producteur, équipe du Hub)</li>" in text
    contact = app.config["ACCESSIBILITY_CONTACT"]
    assert f'href="mailto:{contact}?subject=' in text
    assert "Défenseur des droits" in text and "https://formulaire.defenseurdesdroits.fr/" in text
    assert re.search(r"Déclaration établie le \d+ \w+ 20\d\d\.", text)


def test_the_statement_in_english(client):
    post_form(client, "/langue", {"lang": "en"})
    text = page_text(client.get("/accessibilite"))
    assert "<h1>Accessibility statement</h1>" in text
    assert "Compliance status" in text and "Pages tested" in text and "Recourse" in text
    assert "Déclaration" not in text and "Résultat" not in text


def test_amounts_are_joined_by_no_break_spaces():
    assert euros(1_000_000) == "10\u00a0000\u00a0€"
    assert euros(1990) == "19,90\u00a0€" and euros(5_000) == "50\u00a0€" and euros(None) == ""
