"""Open export and import: schema.org JSON-LD for each resource, the whole base
as CSV and as JSON, and the import of resources from CSV with a report of the
lines it rejected."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.errors import Forbidden, ServiceError
from app.core.models import utcnow
from app.core.text import fold
from app.core.urls import absolute_url, web_url
from app.extensions import db
from app.library.models import FileVersion, Producer, Resource, ResourceFile
from app.library.models import ResourceStatus as RS
from app.library.rendering import plain_text
from app.library.services.history import RELATION_FIELDS
from app.library.services.identifiers import final_resource, format_identifier, parse_identifiers
from app.library.services.resources import create_resource
from app.library.services.rights import can_manage_producer
from app.library.vocab import (
    AUDIENCES,
    FORMATS,
    LANGUAGE_TAGS,
    LANGUAGES,
    LICENCE_URLS,
    RESOURCE_TYPES,
    THEMES,
    canonical_licence,
)

SCHEMA = "https://schema.org"


def resource_url(resource: Resource) -> str:
    return absolute_url("library.resolve", ident=resource.identifier)


def licence_url(resource: Resource) -> str:
    if resource.is_paid:
        return absolute_url("library.resolve", ident=resource.identifier, _anchor="licences")
    return LICENCE_URLS[resource.licence]


def _creator(producer: Producer) -> dict:
    return {
        "@type": "Person" if producer.kind == "person" else "Organization",
        "name": producer.name,
        "url": absolute_url("library.producer_detail", producer_id=producer.id),
    }


def _term(code: str, vocabulary: dict, scheme: str) -> dict:
    return {
        "@type": "DefinedTerm",
        "termCode": code,
        "name": str(vocabulary.get(code, code)),
        "inDefinedTermSet": absolute_url("library.browse", _anchor=scheme),
    }


def resource_jsonld(resource: Resource, with_context: bool = True) -> dict:
    """A resource as a schema.org `LearningResource` (a `CreativeWork`)."""
    files = [(f.id, f.current) for f in resource.current_files]
    data = {
        "@context": SCHEMA,
        "@type": "LearningResource",
        "@id": resource_url(resource),
        "identifier": resource.identifier,
        "url": resource_url(resource),
        "name": resource.title,
        "description": plain_text(resource.description),
        "learningResourceType": str(RESOURCE_TYPES.get(resource.resource_type, resource.resource_type)),
        "license": licence_url(resource),
        "creator": [_creator(p) for p in resource.producers],
        "inLanguage": [LANGUAGE_TAGS.get(code, code) for code in resource.languages],
        "about": [_term(code, THEMES, "themes") for code in resource.themes],
        "audience": [
            {"@type": "Audience", "audienceType": str(AUDIENCES.get(code, code))} for code in resource.audiences
        ],
        "encodingFormat": sorted({version.blob.mime_type for _id, version in files}),
        "isBasedOn": [{"@id": resource_url(r)} for r in resource.related("is_based_on")],
        "isRelatedTo": [{"@id": resource_url(r)} for r in resource.related("is_related_to")],
        "dateModified": resource.updated_at.isoformat() if resource.updated_at else None,
        "datePublished": resource.published_at.date().isoformat() if resource.published_at else None,
        "isAccessibleForFree": not resource.is_paid,
        "associatedMedia": [
            {
                "@type": "MediaObject",
                "name": version.filename,
                "encodingFormat": version.blob.mime_type,
                "contentSize": str(version.blob.size),
                "sha256": version.blob.sha256,
                "contentUrl": absolute_url("library.download", ident=resource.identifier, file_id=file_id),
            }
            for file_id, version in files
        ],
        "publisher": {"@type": "Organization", "name": "Hub du Sud"},
    }
    if resource.year_created:
        data["dateCreated"] = str(resource.year_created)
    if web_url(resource.source_url):
        data["sameAs"] = web_url(resource.source_url)
    if resource.formats:
        data["genre"] = [str(FORMATS.get(code, code)) for code in resource.formats]
    if resource.is_paid:
        data["offers"] = [
            {
                "@type": "Offer",
                "name": offer.label,
                "price": f"{offer.price_cents / 100:.2f}",
                "priceCurrency": offer.currency,
                "seller": _creator(offer.producer),
            }
            for offer in resource.licence_offers
            if offer.active
        ]
    data = {key: value for key, value in data.items() if value not in (None, [], "")}
    if not with_context:
        data.pop("@context")
    return data


def _all_resources() -> list[Resource]:
    stmt = (
        select(Resource)
        .where(Resource.status.in_((RS.PUBLISHED, RS.MERGED, RS.DELETED)))
        .options(
            selectinload(Resource.producers),
            selectinload(Resource.merged_into),
            selectinload(Resource.relations),
            selectinload(Resource.licence_offers),
            selectinload(Resource.files).selectinload(ResourceFile.versions).selectinload(FileVersion.blob),
        )
        .order_by(Resource.number)
    )
    return list(db.session.scalars(stmt))


def json_dump() -> dict:
    """The whole base: published resources as JSON-LD, and which identifiers were merged or deleted."""
    resources = _all_resources()
    return {
        "@context": SCHEMA,
        "@type": "Dataset",
        "name": "Hub du Sud — base de connaissances de la médiation numérique",
        "url": absolute_url("library.browse"),
        "dateModified": utcnow().isoformat(),
        "license": LICENCE_URLS["etalab-2.0"],  # the metadata; each resource carries its own licence
        "hasPart": [resource_jsonld(r, with_context=False) for r in resources if r.status == RS.PUBLISHED],
        "redirects": {r.identifier: final_resource(r).identifier for r in resources if r.status == RS.MERGED},
        "deleted": [r.identifier for r in resources if r.status == RS.DELETED],
    }


CSV_COLUMNS = (
    "identifier",
    "status",
    "merged_into",
    "url",
    "title",
    "description",
    "resource_type",
    "themes",
    "audiences",
    "languages",
    "formats",
    "year_created",
    "licence",
    "licence_url",
    "source_url",
    "producers",
    "is_based_on",
    "is_related_to",
    "files",
    "published_at",
    "updated_at",
)
SEPARATOR = "|"
_FORMULA_START = ("=", "+", "@", "\t", "\r")


def _cell(value) -> str:
    """Spreadsheet-safe: a cell a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) or (text.startswith("-") and len(text) > 1 and text[1] not in " -"):
        return "'" + text
    return text


def csv_dump() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in _all_resources():
        row = {"identifier": r.identifier, "status": r.status.value}
        if r.status == RS.MERGED:
            row["merged_into"] = final_resource(r).identifier
        elif r.status == RS.PUBLISHED:
            row |= {
                "url": resource_url(r),
                "title": r.title,
                "description": r.description,
                "resource_type": r.resource_type,
                "themes": SEPARATOR.join(r.themes),
                "audiences": SEPARATOR.join(r.audiences),
                "languages": SEPARATOR.join(r.languages),
                "formats": SEPARATOR.join(r.formats),
                "year_created": r.year_created or "",
                "licence": r.licence,
                "licence_url": licence_url(r),
                "source_url": web_url(r.source_url) or "",
                "producers": SEPARATOR.join(p.name for p in r.producers),
                "is_based_on": SEPARATOR.join(x.identifier for x in r.related("is_based_on")),
                "is_related_to": SEPARATOR.join(x.identifier for x in r.related("is_related_to")),
                "files": SEPARATOR.join(f.current.filename for f in r.current_files),
                "published_at": r.published_at.isoformat() if r.published_at else "",
                "updated_at": r.updated_at.isoformat() if r.updated_at else "",
            }
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


# ------------------------------------------------------------------ import

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 2000
REQUIRED_COLUMNS = ("title", "resource_type", "themes", "audiences", "licence")
# French headers are accepted too (what people type in a spreadsheet).
HEADER_ALIASES = {
    "titre": "title",
    "type": "resource_type",
    "type_de_ressource": "resource_type",
    "thematiques": "themes",
    "themes": "themes",
    "publics": "audiences",
    "langues": "languages",
    "annee": "year_created",
    "annee_de_creation": "year_created",
    "licence": "licence",
    "source": "source_url",
    "url_source": "source_url",
    "producteurs": "producers",
    "fondee_sur": "is_based_on",
    "liee_a": "is_related_to",
    "identifiant": "identifier",
    "statut": "status",
}


@dataclass
class ImportReport:
    created: list[tuple[int, str, str]] = field(default_factory=list)  # (line, identifier, title)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, reasons)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.rejected) + len(self.skipped)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError(_("Le fichier n'est pas un texte lisible (UTF-8 attendu)."), field="file")


def _header(name: str) -> str:
    key = fold(name).replace(" ", "_")
    return HEADER_ALIASES.get(key, key)


def _codes(raw: str, vocabulary: dict) -> tuple[list[str], list[str]]:
    """Codes from 'a|b' where each item is a code or a label (case and accents ignored)."""
    by_label = {fold(str(label)): code for code, label in vocabulary.items()}
    codes, unknown = [], []
    for item in (part.strip() for part in (raw or "").split(SEPARATOR)):
        if not item:
            continue
        code = item if item in vocabulary else by_label.get(fold(item))
        (codes if code else unknown).append(code or item)
    return list(dict.fromkeys(codes)), unknown


def import_csv(actor: User, producer: Producer, data: bytes, publish: bool = False) -> ImportReport:
    """Create a resource for each valid line, credited to `producer` (and to the other producers the
    line names, among those the actor may credit). A line with a problem is rejected with its reasons;
    the others are created. A line whose title the producer already has is rejected as a duplicate."""
    if not can_manage_producer(actor, producer):
        raise Forbidden(_("Vous ne gérez pas ce producteur."))
    if len(data) > MAX_IMPORT_BYTES:
        raise ServiceError(_("Fichier trop volumineux : 2 Mo au plus."), field="file")
    text = _decode(data)
    if "\x00" in text:
        raise ServiceError(_("Le fichier n'est pas un texte lisible (UTF-8 attendu)."), field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = csv.reader(io.StringIO(text), dialect)
    try:
        header = [_header(h) for h in next(rows)]
    except (StopIteration, csv.Error):
        raise ServiceError(_("Le fichier est vide."), field="file") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ServiceError(_("Colonnes manquantes : %(cols)s.", cols=", ".join(missing)), field="file")

    existing = {
        fold(t): n
        for t, n in db.session.execute(
            select(Resource.title, Resource.number)
            .join(Resource.producers)
            .where(Producer.id == producer.id, Resource.status.in_((RS.DRAFT, RS.PUBLISHED)))
        )
    }
    producers_by_name = {fold(p.name): p for p in db.session.scalars(select(Producer))}
    report = ImportReport()
    try:
        for index, cells in enumerate(rows, start=2):
            if index > MAX_IMPORT_ROWS + 1:
                report.skipped.append(
                    (index, _("Au-delà de %(n)d lignes : importez le reste dans un second fichier.", n=MAX_IMPORT_ROWS))
                )
                break
            if not any(c.strip() for c in cells):
                continue
            row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
            if row.get("status") and row["status"] not in (RS.PUBLISHED.value, RS.DRAFT.value):
                report.skipped.append(
                    (
                        index,
                        _(
                            "%(id)s : ligne « %(status)s » ignorée.",
                            id=row.get("identifier") or "—",
                            status=row["status"],
                        ),
                    )
                )
                continue
            _import_line(actor, producer, row, index, report, existing, producers_by_name, publish)
    except csv.Error as error:
        report.rejected.append((rows.line_num, [_("CSV illisible : %(error)s", error=str(error))]))
    return report


def _import_line(actor, producer, row, index, report, existing, producers_by_name, publish) -> None:
    problems = []
    values = {
        "title": row.get("title", ""),
        "description": row.get("description", ""),
        "source_url": row.get("source_url", ""),
    }
    type_codes, unknown = _codes(row.get("resource_type", ""), RESOURCE_TYPES)
    if len(type_codes) != 1 or unknown:
        problems.append(_("type de ressource inconnu : « %(v)s »", v=row.get("resource_type", "")))
    values["resource_type"] = type_codes[0] if type_codes else None
    for name, vocabulary in (
        ("themes", THEMES),
        ("audiences", AUDIENCES),
        ("languages", LANGUAGES),
        ("formats", FORMATS),
    ):
        codes, unknown = _codes(row.get(name, ""), vocabulary)
        if unknown:
            problems.append(_("%(field)s inconnus : %(values)s", field=name, values=", ".join(unknown)))
        values[name] = codes
    if not values["languages"] and not row.get("languages"):
        values["languages"] = ["fr"]
    licence = canonical_licence(row.get("licence"))
    if licence is None:
        problems.append(
            _(
                "licence inconnue : « %(v)s » (attendu : un identifiant SPDX comme CC-BY-SA-4.0)",
                v=row.get("licence", ""),
            )
        )
    values["licence"] = licence
    year = (row.get("year_created") or "").strip()
    if year:
        if year.isdigit() and len(year) == 4:
            values["year_created"] = int(year)
        else:
            problems.append(_("année invalide : « %(v)s »", v=year))
    producer_ids = [producer.id]
    for name in filter(None, (n.strip() for n in (row.get("producers") or "").split(SEPARATOR))):
        other = producers_by_name.get(fold(name))
        if other is None:
            problems.append(_("producteur inconnu : « %(v)s »", v=name))
        elif other.id not in producer_ids:
            producer_ids.append(other.id)
    values["producer_ids"] = producer_ids
    for name in RELATION_FIELDS:
        try:
            values[name] = parse_identifiers(row.get(name))
        except ValueError as error:
            problems.append(_("identifiant invalide : « %(v)s »", v=str(error)))
    title_key = fold(values["title"])
    if title_key and title_key in existing:
        problems.append(_("doublon : %(id)s porte déjà ce titre", id=format_identifier(existing[title_key])))
    if problems:
        report.rejected.append((index, problems))
        return
    try:
        with db.session.begin_nested():
            resource = create_resource(actor, values, publish=publish)
    except ServiceError as error:
        report.rejected.append((index, [str(error.message)]))
        return
    existing[title_key] = resource.number
    report.created.append((index, resource.identifier, resource.title))


def count_resources() -> dict[str, int]:
    return dict(db.session.execute(select(Resource.status, func.count()).group_by(Resource.status)).all())
