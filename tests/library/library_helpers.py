"""Helpers of the knowledge-base tests: small real files and a ready world."""

from __future__ import annotations

import io
import zipfile

from app.library.services.files import add_file
from app.library.services.licences import add_licence_offer, grant_licence
from app.library.services.moderation import report_resource
from app.library.services.producers import create_producer
from app.library.services.resources import create_resource

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def zip_bytes(members: dict[str, bytes], first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        names = list(members)
        if first:
            names.remove(first)
            names.insert(0, first)
            archive.writestr(zipfile.ZipInfo(first), members[first], compress_type=zipfile.ZIP_STORED)
            names.pop(0)
        for name in names:
            archive.writestr(name, members[name])
    return buffer.getvalue()


ODT = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"}, first="mimetype")
DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ZIP = zip_bytes({"a.txt": b"bonjour"})


def producer(user, name="Collectif Médiation Sud", kind="structure"):
    return create_producer(user, {"kind": kind, "name": name, "presentation": "Des supports d'atelier.", "website": ""})


def resource(user, producer_, publish=True, **values):
    data = {
        "title": "Atelier : sécuriser son smartphone",
        "description": "Un **atelier** de deux heures.",
        "resource_type": "atelier",
        "themes": ["securite", "materiel"],
        "audiences": ["mediateurs", "seniors"],
        "languages": ["fr"],
        "formats": ["diaporama"],
        "year_created": 2024,
        "licence": "CC-BY-SA-4.0",
        "source_url": "https://exemple.org/atelier",
        "producer_ids": [producer_.id],
    } | values
    return create_resource(user, data, publish=publish)


def upload(user, resource_, name="support.pdf", data=PDF):
    return add_file(user, resource_, name, io.BytesIO(data))


def paid_offer(user, resource_, price_cents=4900, duration_months=None, kind="structure"):
    return add_licence_offer(
        user,
        resource_,
        {
            "kind": kind,
            "label": "",
            "terms": "Usage interne.",
            "price_cents": price_cents,
            "duration_months": duration_months,
            "producer_id": resource_.producers[0].id,
        },
    )


def library_world(factory, producer_user, holder) -> dict:
    """A producer (owned by `producer_user`) with a free resource (a file, a report by `holder`) and a
    paid one (a file, an offer, a grant held by `holder`). Returns ids for URL templates."""
    prod = producer(producer_user)
    free = resource(producer_user, prod)
    free_file = upload(producer_user, free)
    paid = resource(producer_user, prod, title="Programme de formation des aidants", licence="LicenseRef-licence-usage")
    paid_file = upload(producer_user, paid, "programme.odt", ODT)
    offer = paid_offer(producer_user, paid)
    grant = grant_licence(offer, holder, payment_ref=None)
    report = report_resource(holder, free, "outdated", "Les captures d'écran datent d'Android 9.")
    factory.session.flush()
    return {
        "lib_producer": prod.id,
        "lib_resource": free.identifier,
        "lib_file": free_file.id,
        "lib_paid": paid.identifier,
        "lib_paid_file": paid_file.id,
        "lib_offer": offer.id,
        "lib_grant": grant.id,
        "lib_report": report.id,
    }
