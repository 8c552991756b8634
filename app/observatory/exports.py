"""The funder report as files: a PDF (reportlab: each table's chart drawn as vector graphics, then its
data) and an ODS workbook (one sheet per table, written by hand: an ODS file is a zip of a few XML
files, no library needed). Both take the tables of `report.build`, the same as the pages."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape as xml_escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from app.observatory.figures import SUPPRESSED
from app.observatory.report import Table
from app.observatory.svg import PALETTE

PDF_MIME = "application/pdf"
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def cell_text(value) -> str:
    if value is None:
        return "—"
    if value is SUPPRESSED:
        return "<5"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) and value is not SUPPRESSED else 0.0


def chart_drawing(table: Table, width: float = 170 * mm, height: float = 70 * mm) -> Drawing | None:
    """The table's chart as reportlab vector graphics (the same series the page's SVG draws)."""
    if not table.chart or not table.rows or not table.series:
        return None
    drawing = Drawing(width, height + 14 * mm)
    data = [[_number(row[c]) for row in table.rows] for c in table.series]
    chart = HorizontalLineChart() if table.chart == "line" else VerticalBarChart()
    chart.x, chart.y = 14 * mm, 16 * mm
    chart.width, chart.height = width - 20 * mm, height - 10 * mm
    chart.data = data
    chart.categoryAxis.categoryNames = [str(row[0])[:14] for row in table.rows]
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30 if len(table.rows) > 4 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(table.rows) > 4 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    for i in range(len(data)):
        color = colors.HexColor(PALETTE[i % len(PALETTE)])
        if table.chart == "line":
            chart.lines[i].strokeColor = color
            chart.lines[i].strokeWidth = 1.5
        else:
            chart.bars[i].fillColor = color
            chart.bars[i].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 14 * mm, height + 10 * mm
    legend.fontSize = 7
    legend.columnMaximum = 1
    legend.dx = legend.dy = 6
    legend.deltax = 60 * mm
    legend.alignment = "right"
    legend.colorNamePairs = [
        (colors.HexColor(PALETTE[i % len(PALETTE)]), table.columns[c]) for i, c in enumerate(table.series)
    ]
    drawing.add(legend)
    return drawing


def pdf(title: str, subtitle: str, tables: list[Table], footer: str = "") -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="Hub du Sud",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    )
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    story: list = [Paragraph(xml_escape(title), styles["Title"]), Paragraph(xml_escape(subtitle), styles["BodyText"])]
    for table in tables:
        block: list = [Spacer(1, 6 * mm), Paragraph(xml_escape(table.title), styles["Heading2"])]
        drawing = chart_drawing(table)
        if drawing is not None:
            block.append(drawing)
        if table.note:
            block.append(Paragraph(xml_escape(table.note), small))
        data = [[Paragraph(xml_escape(c), small) for c in table.columns]]
        # plain strings in the body (a Paragraph per cell costs seconds on a table of 900 communes)
        data += [[cell_text(v)[:48] for v in row] for row in table.rows] or [["—"] + [""] * (len(table.columns) - 1)]
        grid = PdfTable(data, repeatRows=1, hAlign="LEFT")
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTSIZE", (0, 1), (-1, -1), 8),
                    ("LEADING", (0, 1), (-1, -1), 10),
                ]
            )
        )
        block.append(grid)
        story.append(KeepTogether(block[:3]))
        story.extend(block[3:])
    if footer:
        story += [Spacer(1, 8 * mm), Paragraph(xml_escape(footer), small)]
    doc.build(story)
    return buffer.getvalue()


# ---------------------------------------------------------------- ODS

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_CONTENT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
_CONTENT_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def _ods_cell(value) -> str:
    if isinstance(value, bool) or value is None or value is SUPPRESSED or not isinstance(value, int | float):
        return f'<table:table-cell office:value-type="string"><text:p>{xml_escape(cell_text(value))}</text:p></table:table-cell>'
    return (
        f'<table:table-cell office:value-type="float" office:value="{value}">'
        f"<text:p>{xml_escape(cell_text(value))}</text:p></table:table-cell>"
    )


def ods(tables: list[Table]) -> bytes:
    """One sheet per table (its title as the sheet's name, cut to 31 characters), header row first;
    numbers are numbers, suppressed values the text "<5"."""
    parts = [_CONTENT_HEAD]
    seen: set[str] = set()
    for table in tables:
        name = "".join(c for c in table.title if c not in "[]*?:/\\'")[:31] or table.key
        while name in seen:
            name = name[:28] + f"-{len(seen)}"
        seen.add(name)
        parts.append(f'<table:table table:name="{xml_escape(name, {chr(34): "&quot;"})}">')
        parts.append("<table:table-row>" + "".join(_ods_cell(str(c)) for c in table.columns) + "</table:table-row>")
        for row in table.rows:
            parts.append("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>")
        parts.append("</table:table>")
    parts.append(_CONTENT_TAIL)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIME, compress_type=zipfile.ZIP_STORED)  # first, stored
        archive.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "".join(parts), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
