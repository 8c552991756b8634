"""The demo resources' files: a small A4 PDF per resource (reportlab), written from its YAML entry, so
that a resource offering a printable sheet has one to download. Deterministic (reportlab's invariant
mode): the same bytes, hence the same content address, at every run."""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

ACCENT = HexColor("#0b5c73")
# Helvetica speaks WinAnsi: the few characters outside it are written plainly.
_PLAIN = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2011": "-"})


def _inline(text: str) -> str:
    """Escaped text with the Markdown bold and italics of the demo descriptions as reportlab markup."""
    text = escape(text.translate(_PLAIN))
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)


def resource_sheet(title: str, description: str, producer: str, licence: str) -> bytes:
    """A one-page PDF: the resource's title, its description (paragraphs and "- " lists), who made it, its licence."""
    styles = getSampleStyleSheet()
    heading = ParagraphStyle("titre", parent=styles["Title"], textColor=ACCENT, alignment=0)
    body = ParagraphStyle("texte", parent=styles["BodyText"], fontSize=11, leading=15)
    small = ParagraphStyle("mention", parent=body, fontSize=9, textColor=HexColor("#444444"))
    story = [Paragraph(_inline(title), heading), Spacer(1, 4 * mm)]
    for block in description.split("\n\n"):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            story.extend(Paragraph(_inline(line[2:]), body, bulletText="•") for line in lines)
        elif lines:
            story.append(Paragraph(_inline(" ".join(lines)), body))
        story.append(Spacer(1, 3 * mm))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(_inline(f"{producer} — licence {licence}. Document de démonstration du Hub du Sud."), small))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title.translate(_PLAIN),
        author=producer,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        invariant=True,
    )
    doc.build(story)
    return out.getvalue()
