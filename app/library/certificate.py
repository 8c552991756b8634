"""Licence certificates: a one-page PDF (reportlab) naming the resource's
identifier, the licence, its holder and its dates."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas

from app.core.french import human_datetime
from app.core.models import utcnow
from app.library.exports import resource_url
from app.library.models import GrantStatus, LicenceGrant
from app.library.services.rights import grant_is_valid


def _euros(cents: int) -> str:
    return f"{cents / 100:,.2f} €".replace(",", " ").replace(".", ",")


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def certificate_pdf(grant: LicenceGrant) -> bytes:
    resource, offer = grant.resource, grant.offer
    buffer = io.BytesIO()
    # Uncompressed: a one-page document, and its text stays searchable by simple tools.
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0, invariant=1)
    pdf.setTitle(_("Certificat de licence %(code)s", code=grant.code))
    pdf.setAuthor("Hub du Sud")
    pdf.setSubject(f"{resource.identifier} — {offer.label}")
    height = A4[1]
    x, y = 2.2 * cm, height - 2.5 * cm

    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(x, y, _("Certificat de licence d'usage"))
    y -= 0.9 * cm
    pdf.setFont("Helvetica", 11)
    pdf.drawString(x, y, _("Hub du Sud — base de connaissances de la médiation numérique"))
    y -= 1.4 * cm

    dates = human_datetime(grant.starts_at, relative=False)
    rows = [
        (_("Certificat n°"), grant.code),
        (_("Ressource"), f"{resource.identifier} — {resource.title}"),
        (_("Adresse permanente"), resource_url(resource)),
        (_("Producteurs"), ", ".join(p.name for p in resource.producers)),
        (_("Licence"), offer.label),
        (_("Vendue par"), offer.producer.name),
        (_("Titulaire"), grant.holder_name),
        (_("Compte"), grant.holder.email),
        (_("Valable à partir du"), dates),
        (
            _("Valable jusqu'au"),
            human_datetime(grant.ends_at, relative=False) if grant.ends_at else _("sans limite de durée"),
        ),
        (_("Montant"), _euros(grant.amount_cents) if grant.amount_cents else _("attribuée sans paiement")),
    ]
    if grant.payment_ref:
        rows.append((_("Référence de paiement"), grant.payment_ref))
    for label, value in rows:
        pdf.setFont("Helvetica-Bold", 10.5)
        pdf.drawString(x, y, label)
        pdf.setFont("Helvetica", 10.5)
        for i, line in enumerate(_wrap(str(value), 70) or [""]):
            pdf.drawString(x + 5.2 * cm, y - i * 0.5 * cm, line)
        y -= max(1, len(_wrap(str(value), 70))) * 0.5 * cm + 0.25 * cm

    y -= 0.6 * cm
    pdf.setFont("Helvetica-Bold", 13)
    if grant.status == GrantStatus.REVOKED:
        pdf.setFillColorRGB(0.64, 0.15, 0.17)
        pdf.drawString(x, y, _("LICENCE RÉVOQUÉE le %(date)s", date=human_datetime(grant.revoked_at, relative=False)))
        if grant.revoke_reason:
            y -= 0.6 * cm
            pdf.setFont("Helvetica", 10.5)
            pdf.drawString(x, y, _("Motif : %(reason)s", reason=grant.revoke_reason[:120]))
    elif not grant_is_valid(grant):
        pdf.drawString(x, y, _("Licence arrivée à échéance."))
    else:
        pdf.setFillColorRGB(0.12, 0.42, 0.22)
        pdf.drawString(x, y, _("Licence en cours de validité."))
    pdf.setFillColorRGB(0, 0, 0)

    if offer.terms:
        y -= 1.2 * cm
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(x, y, _("Conditions d'usage"))
        pdf.setFont("Helvetica", 10)
        for line in _wrap(offer.terms, 95)[:25]:
            y -= 0.5 * cm
            pdf.drawString(x, y, line)

    pdf.setFont("Helvetica", 8.5)
    pdf.drawString(
        x,
        1.6 * cm,
        _(
            "Certificat émis le %(date)s. Vérification : %(url)s",
            date=human_datetime(utcnow(), relative=False),
            url=resource_url(resource),
        ),
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
