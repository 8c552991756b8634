"""The embeddable catalogue: the one page other sites may frame, and the page that builds its snippet."""

from __future__ import annotations

from tests.conftest import login
from tests.test_security_headers import csp


def test_the_widget_lists_the_offers_of_a_departement_and_category(client, factory):
    here = factory.offer(title="Atelier des Bouches-du-Rhône", category="atelier")
    factory.offer(title="Conseil des Bouches-du-Rhône", category="conseil")
    factory.offer(provider=factory.provider(commune="84007"), title="Atelier du Vaucluse", category="atelier")
    factory.offer(title="Atelier en brouillon", draft=True)
    response = client.get("/widget?departement=13&categorie=atelier")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Atelier des Bouches-du-Rhône" in page
    assert "Conseil des Bouches-du-Rhône" not in page and "Atelier du Vaucluse" not in page
    assert "Atelier en brouillon" not in page
    assert f'href="http://localhost/offres/{here.id}" target="_blank" rel="noopener"' in page
    assert "site-header" not in page, "a light page: no site navigation in the frame"


def test_the_widget_may_be_framed_by_any_site_and_other_pages_may_not(client, factory):
    factory.offer()
    widget = client.get("/widget?departement=13")
    assert csp(widget)["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in widget.headers
    for url in ("/", "/donnees", "/recherche?q=site", "/prestataires", "/widget-nope"):
        response = client.get(url)
        assert csp(response)["frame-ancestors"] == ["'none'"], url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_the_widget_frame_ancestors_can_be_narrowed_by_configuration(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_FRAME_ANCESTORS", "https://www.marseille.fr https://caf.fr")
    assert csp(client.get("/widget"))["frame-ancestors"] == ["https://www.marseille.fr", "https://caf.fr"]


def test_bad_widget_parameters_are_a_400_in_french(client):
    for query, words in (
        ("departement=99", "Département inconnu"),
        ("departement=13;drop", "Département inconnu"),
        ("categorie=piscine", "Catégorie inconnue"),
        ("nombre=500", "Le nombre d'offres va de 1 à 50"),
        ("nombre=-1", "Le nombre d'offres va de 1 à 50"),
    ):
        response = client.get(f"/widget?{query}")
        assert response.status_code == 400, query
        assert words in response.get_data(as_text=True).replace("&#39;", "'"), query


def test_staff_and_partners_build_the_snippet_with_a_live_preview(client, factory):
    login(client, factory.staff())
    response = client.get("/donnees/widget?departement=13&categorie=atelier")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "&lt;iframe src=&#34;http://localhost/widget?departement=13&amp;categorie=atelier&#34;" in page or (
        '&lt;iframe src="http://localhost/widget?departement=13&amp;categorie=atelier"' in page
    )
    assert 'id="widget-preview" src="http://localhost/widget?departement=13&amp;categorie=atelier"' in page
    assert csp(response)["frame-src"] == ["'self'"]  # the preview, and nothing else
    assert csp(response)["frame-ancestors"] == ["'none'"]
    login(client, factory.user())
    assert client.get("/donnees/widget").status_code == 403
