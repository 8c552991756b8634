"""The observatory's three audiences: staff see the coverage map and everything; a funder sees only its
programmes and territories; /impact never shows a group under 5. Charts are inline SVG with their data
as tables and CSV downloads, and no page refers to another origin."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest

from app.core.models import utcnow
from app.ledger import Voucher, VoucherProgramme
from tests.conftest import login, page_text
from tests.vouchers.vouchers_helpers import make_funder


@pytest.fixture(autouse=True)
def own_snapshot(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path))  # each test computes its own coverage


def no_other_origin(html: str) -> None:
    """Every src/href is same-origin (a path), except the SVG namespace, which is never fetched."""
    for url in re.findall(r'(?:src|href|action)="([^"]*)"', html):
        assert not re.match(r"^(https?:)?//", url), url


def programme(session, funder, name, vouchers, org, dep_valid=("13",)):
    now = utcnow()
    p = VoucherProgramme(
        name=name,
        face_value_cents=10_000,
        budget_cents=10_000 * max(vouchers, 1),
        funder_id=funder.id,
        status="funded",
        eligibility={"departements": list(dep_valid)},
    )
    session.add(p)
    session.flush()
    for _ in range(vouchers):
        session.add(
            Voucher(
                code=secrets.token_hex(8),
                programme_id=p.id,
                organisation_id=org.id,
                face_value_cents=10_000,
                valid_from=now,
                blocks_at=now + timedelta(days=300),
                expires_at=now + timedelta(days=330),
                issued_at=now,
            )
        )
    session.flush()
    return p


def test_staff_see_the_white_zones_on_a_map_and_every_table(client, factory):
    aix = factory.provider(commune="13001", radius_km=30, remote_capable=False)
    factory.offer(aix, skills=["presence.site_web"], modality="on_site")
    gap = factory.organisation(commune="05061", name="Les Amis de Gap")
    factory.need(gap, skills=["presence.site_web"], categories=[], modality="on_site", title="Site pour Gap")
    login(client, factory.staff())
    response = client.get("/observatoire/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('data-insee="') > 900  # the map: every commune of the Région Sud
    assert 'role="img"' in html and "<title" in html
    zones = html[html.index('id="table-zones-blanches"') :]
    assert "Gap (05)" in zones[: zones.index("</table>")]
    for key in ("departements", "mois", "delais", "reponses", "charge", "satisfaction", "cheques", "epci"):
        assert f'id="table-{key}"' in html
    no_other_origin(html)
    csv = client.get("/observatoire/zones-blanches.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "05061;Gap;05" in csv.get_data(as_text=True)
    dep_csv = client.get("/observatoire/departements.csv").get_data(as_text=True)
    assert "Hautes-Alpes (05);1;" in dep_csv
    assert client.get("/observatoire/nothing.csv").status_code == 404
    by_group = client.get("/observatoire/?groupe=presence").get_data(as_text=True)
    paths = {insee: fill for fill, insee in re.findall(r'fill="(#[0-9a-f]{6})"[^>]*?data-insee="(\w+)"', by_group)}
    assert paths["05061"] == "#d7301f"  # Gap: no provider for a website, neither on site nor remote
    assert paths["13055"] == "#e8f1f8"  # Marseille: within the Aix provider's 30 km, on site
    assert re.search(r'stroke="#000"[^>]*data-insee="05061"', by_group)  # its open need outlined
    assert client.get("/observatoire/?groupe=inconnu").status_code == 404
    bad = client.get("/observatoire/?du=2026-13&au=x")
    assert bad.status_code == 400 and "Période invalide" in page_text(bad)


def test_a_funder_never_sees_another_funders_programmes(client, factory):
    org = factory.organisation(commune="13055", name="Asso Marseille")
    nice_org = factory.organisation(commune="06088", name="Asso Nice")
    alpha, alpha_member = make_funder(factory, name="Fondation Alpha", kind="fondation")
    beta, _beta_member = make_funder(factory, name="Département Bêta", kind="departement")
    beta.dep_code = "06"
    programme(factory.session, alpha, "Programme Alpha", 6, org)
    programme(factory.session, beta, "Programme Bêta", 7, nice_org, dep_valid=("06",))
    factory.need(nice_org, title="Besoin niçois", categories=[])
    factory.need(org, title="Besoin marseillais", categories=[])

    login(client, alpha_member)
    page = client.get("/financeur/observatoire/")
    assert page.status_code == 200
    text = page_text(page)
    assert "Fondation Alpha" in text
    assert "Bêta" not in text and "Alpes-Maritimes" not in text and "Nice" not in text
    cheques = client.get("/financeur/observatoire/cheques.csv").get_data(as_text=True)
    assert "Fondation Alpha;6;" in cheques and "Bêta" not in cheques
    deps = client.get("/financeur/observatoire/departements.csv").get_data(as_text=True)
    assert "(13)" in deps and "(06)" not in deps
    assert client.get(f"/financeur/observatoire/?financeur={beta.id}").status_code == 404
    assert client.get(f"/financeur/observatoire/cheques.csv?financeur={beta.id}").status_code == 404


def test_impact_never_shows_a_group_under_five(client, factory):
    marseille = factory.organisation(commune="13055", name="Asso A")
    nice = factory.organisation(commune="06088", name="Asso B")
    gap = factory.organisation(commune="05061", name="Asso C")
    for i in range(7):
        factory.need(marseille, title=f"Besoin {i}", categories=[])
    for i in range(6):
        factory.need(nice, title=f"Besoin N{i}", categories=[])
    for i in range(2):
        factory.need(gap, title=f"Besoin G{i}", categories=[])
    response = client.get("/impact")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    no_other_origin(html)
    deps = client.get("/impact/departements.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()
    rows = {line.split(";")[0]: line.split(";")[1:] for line in deps[1:]}
    assert rows["Hautes-Alpes (05)"][0] == "<5"  # 2 needs: suppressed
    assert rows["Alpes-Maritimes (06)"][0] == "<5"  # 6, but alone 2 could be worked out from the total
    assert rows["Bouches-du-Rhône (13)"][0] == "7"
    for line in deps[1:]:  # no figure of 1 to 4 anywhere in the table
        assert not any(v in {"1", "2", "3", "4"} for v in line.split(";")[1:])
    assert "motifs" not in html  # decline reasons (free text) are never public
    assert client.get("/impact/motifs.csv").status_code == 404


def test_impact_in_english(client):
    from tests.conftest import post_form

    post_form(client, "/langue", {"lang": "en"})
    text = page_text(client.get("/impact"))
    assert "The network's impact" in text and "Needs by département" in text and "Download the data (CSV)" in text


def test_without_the_outlines_file_the_pages_still_answer(app, client, factory, monkeypatch, tmp_path):
    """An install that did not ship data/ (OUTLINES_FILE missing): no map, no EPCI, the figures still there."""
    monkeypatch.setitem(app.config, "OUTLINES_FILE", str(tmp_path / "absent.json.gz"))
    factory.need(factory.organisation(commune="13055"), categories=[])
    assert client.get("/impact").status_code == 200
    login(client, factory.staff())
    html = client.get("/observatoire/").get_data(as_text=True)
    assert 'data-insee="' not in html and 'id="table-departements"' in html
