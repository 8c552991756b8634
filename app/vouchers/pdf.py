"""The printable voucher: an A4 page (reportlab) with its code in large type and a QR
code (segno) of the page where a provider checks it. The QR modules are drawn as
vector squares: no image library, sharp at any print size."""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

ACCENT = HexColor("#0b5c73")
SUN = HexColor("#f2b33d")


@dataclass(frozen=True)
class VoucherSheet:
    """Plain text already translated and formatted by the caller."""

    title: str
    code: str
    value: str
    programme: str
    funder: str
    holder: str
    validity: str
    check_url: str
    lines: tuple[str, ...] = ()
    footer: str = ""


def draw_qr(pdf: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    qr = segno.make(data, error="m")
    matrix = list(qr.matrix)
    border = 4
    count = len(matrix) + 2 * border
    module = size / count
    pdf.setFillColor(white)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(black)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(
                    x + (col_index + border) * module,
                    y + size - (row_index + border + 1) * module,
                    module,
                    module,
                    stroke=0,
                    fill=1,
                )


def render(sheet: VoucherSheet) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{sheet.title} {sheet.code}")
    pdf.setAuthor("Hub du Sud")
    width, height = A4
    left, top = 20 * mm, height - 20 * mm
    # The voucher: a framed card on the top half of the page, to cut out.
    card_height = 120 * mm
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(2)
    pdf.roundRect(left, top - card_height, width - 2 * left, card_height, 6 * mm, stroke=1, fill=0)
    pdf.setFillColor(SUN)
    pdf.rect(left, top - 14 * mm, width - 2 * left, 3 * mm, stroke=0, fill=1)
    pdf.setFillColor(ACCENT)
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(left + 8 * mm, top - 9 * mm, "HUB DU SUD")
    pdf.setFillColor(black)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(left + 8 * mm, top - 26 * mm, sheet.title)
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawString(left + 8 * mm, top - 42 * mm, sheet.value)
    pdf.setFont("Courier-Bold", 19)
    pdf.drawString(left + 8 * mm, top - 56 * mm, sheet.code)
    pdf.setFont("Helvetica", 11)
    y = top - 68 * mm
    for text in (sheet.programme, sheet.funder, sheet.holder, sheet.validity, *sheet.lines):
        pdf.drawString(left + 8 * mm, y, text[:95])
        y -= 6 * mm
    qr_size = 52 * mm
    draw_qr(pdf, sheet.check_url, width - left - qr_size - 6 * mm, top - 20 * mm - qr_size, qr_size)
    pdf.setFont("Helvetica", 8)
    pdf.drawCentredString(width - left - qr_size / 2 - 6 * mm, top - 24 * mm - qr_size, sheet.check_url[:70])
    if sheet.footer:
        pdf.setFont("Helvetica", 9)
        text = pdf.beginText(left, top - card_height - 12 * mm)
        for line in sheet.footer.splitlines():
            text.textLine(line)
        pdf.drawText(text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
