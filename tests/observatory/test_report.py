"""The funder report: a PDF with the charts and an ODS workbook with the same figures as the page,
built by the daily job, e-mailed once to the funder's members, downloadable only by them."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from app.core.mail import OutboxEmail
from app.observatory import exports
from app.observatory.figures import SUPPRESSED
from app.observatory.jobs import send_monthly_reports
from app.observatory.report import Table
from tests.conftest import login
from tests.observatory.test_pages import programme
from tests.vouchers.vouchers_helpers import make_funder

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


@pytest.fixture(autouse=True)
def own_files(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path))


def sheets(data: bytes) -> dict[str, list[list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist()[0] == "mimetype"
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    root = ElementTree.fromstring(archive.read("content.xml"))
    out = {}
    for table in root.iter(f"{{{NS['table']}}}table"):
        rows = []
        for row in table.iter(f"{{{NS['table']}}}table-row"):
            rows.append(["".join(c.itertext()) for c in row.iter(f"{{{NS['table']}}}table-cell")])
        out[table.get(f"{{{NS['table']}}}name")] = rows
    return out


def test_pdf_has_a_chart_per_charted_table_and_ods_the_same_numbers():
    tables = [
        Table(
            "a",
            "Demandes par département",
            ["Département", "Publiées", "Terminées"],
            [["Var (83)", 12, 5], ["Vaucluse (84)", SUPPRESSED, 3]],
            "bars",
            [1, 2],
        ),
        Table("b", "Par mois", ["Mois", "Publiées"], [["01/2026", 4], ["02/2026", 9]], "line", [1]),
        Table("c", "Motifs de refus", ["Motif", "Nombre"], []),
    ]
    drawing = exports.chart_drawing(tables[0])
    assert drawing is not None and exports.chart_drawing(tables[2]) is None
    data = exports.pdf("Rapport", "Période : 01/2026", tables)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert re.search(rb"/Type /Page\b", data)
    book = sheets(exports.ods(tables))
    assert list(book) == ["Demandes par département", "Par mois", "Motifs de refus"]
    assert book["Demandes par département"] == [
        ["Département", "Publiées", "Terminées"],
        ["Var (83)", "12", "5"],
        ["Vaucluse (84)", "<5", "3"],
    ]
    assert book["Motifs de refus"] == [["Motif", "Nombre"]]


def test_pdf_draws_the_charts(monkeypatch):
    """Uncompressed, the page shows the bars: one filled rectangle per value drawn."""
    from reportlab import rl_config

    monkeypatch.setattr(rl_config, "pageCompression", 0)
    table = Table("a", "Chart", ["Label", "Value"], [["A", 3], ["B", 7], ["C", 11]], "bars", [1])
    with_chart = exports.pdf("R", "S", [table])
    without = exports.pdf("R", "S", [Table("a", "Chart", table.columns, table.rows)])
    assert with_chart.count(b" re f") - without.count(b" re f") >= 3


def test_the_monthly_job_mails_each_member_once_and_the_links_serve_the_files(client, factory):
    org = factory.organisation(commune="13055", name="Asso Marseille")
    alpha, member = make_funder(factory, name="Fondation Alpha", kind="fondation")
    beta, beta_member = make_funder(factory, name="Département Bêta", kind="departement")
    programme(factory.session, alpha, "Programme Alpha", 6, org)
    counts = send_monthly_reports(date(2026, 12, 1))
    assert counts["funders"] == 2 and counts["emails"] == 2
    mails = list(
        factory.session.scalars(
            select(OutboxEmail).where(OutboxEmail.recipient == member.email, OutboxEmail.subject.contains("rapport"))
        )
    )
    assert len(mails) == 1 and "11/2026" in mails[0].subject
    links = re.findall(r"https?://\S+", mails[0].body)
    assert any("rapport.pdf" in link and f"financeur={alpha.id}" in link for link in links)
    assert send_monthly_reports(date(2026, 12, 2))["emails"] == 0  # already sent this month
    assert send_monthly_reports(date(2026, 12, 20))["emails"] == 0  # not at the end of the month

    login(client, member)
    pdf = client.get(f"/financeur/observatoire/rapport.pdf?financeur={alpha.id}&du=2026-11&au=2026-11")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    ods = client.get(f"/financeur/observatoire/rapport.ods?financeur={alpha.id}")
    assert ods.status_code == 200
    book = sheets(ods.data)
    cheques = next(rows for name, rows in book.items() if name.startswith("Chèques numériques"))  # 31 characters
    assert cheques[1][0] == "Fondation Alpha" and all("Bêta" not in " ".join(r) for rows in book.values() for r in rows)
    assert client.get(f"/financeur/observatoire/rapport.pdf?financeur={beta.id}").status_code == 404
    assert client.get("/financeur/observatoire/rapport.xls").status_code == 404
    assert beta_member.email != member.email


def test_staff_and_funders_see_every_figure_the_public_page_hides_small_groups(db_session):
    from datetime import UTC, datetime

    from app.observatory import facts as fx
    from app.observatory import report
    from app.observatory.figures import MissionFact, NeedFact, Period, Place

    day = datetime(2026, 3, 2, tzinfo=UTC)
    gap = Place("05061", "05")
    needs = [NeedFact(i, gap, day, "done", day, day, day) for i in range(3)]
    missions = [MissionFact(i, i, 100 + i % 2, "done", day, rating=5) for i in range(3)]
    facts = fx.Facts(needs, [], missions, [], {})
    march = Period.month(2026, 3)
    staff = {t.key: t for t in report.build(facts, march, "staff")}
    public = {t.key: t for t in report.build(facts, march, "public")}
    assert staff["departements"].rows[0][1:] == [3, 3, 3, 3, 0]
    assert public["departements"].rows[0][1:] == [SUPPRESSED] * 4 + [0]
    assert staff["delais"].rows[0][1] == 0.0 and public["delais"].rows[0][1] is SUPPRESSED
    assert "66,7" in staff["charge"].note or "66.7" in staff["charge"].note  # 2 of 3 missions by the busiest
    assert "<5" in public["charge"].note and "<5" in public["satisfaction"].note
    assert "epci" in staff and "motifs" in staff and "epci" not in public and "motifs" not in public
    funder = {t.key for t in report.build(facts, march, "funder")}
    assert "epci" in funder and "motifs" not in funder  # providers' free text stays with hub staff
    assert "<5" in public["departements"].csv()
