"""The open-data files: our places in the LMN 1.0.2 schema (CSV and JSON), our providers and offers as
data·inclusion structures and services (JSON lines), and our own catalogue (JSON lines, stable ids).

`generate_exports(folder)` builds every file from the published listings and writes each atomically
(a temporary file in the same folder, then a rename), then the manifest (row counts, digests, dates).
A file whose content did not change keeps its date and digest, so aggregators' caches stay valid.

Only what providers chose to make public goes out: the listing they published, the address where they
receive the public (if any), and their contact e-mail and phone only when they ticked the consent box
(`Provider.opendata_contact`). A record the national models refuse is left out and counted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from data_inclusion.schema.v1 import Service, Structure
from flask import current_app
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.models import PublicationStatus as PS
from app.core.models import utcnow
from app.core.urls import absolute_url
from app.directory.models import Offer, Provider
from app.extensions import db
from app.opendata.mappings import DI_VERSION, LMN_VERSION, Mappings, lmn_schema, load_mappings

log = logging.getLogger(__name__)

SOURCE = "hub-du-sud"  # data·inclusion's producer id, the prefix of every id we publish there
LMN_SOURCE = "Hub du Sud"
LMN_NO_SIRET = "00000000000000"  # the LMN schema's convention for a place without a SIRET
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
MANIFEST = "manifest.json"
BATCH = 500  # providers loaded at a time (with their offers and communes)


@dataclass(frozen=True)
class Dataset:
    key: str
    filename: str
    mimetype: str
    schema: str
    version: str
    schema_url: str


DATASETS = (
    Dataset(
        "lmn-csv",
        "lieux-mediation-numerique.csv",
        "text/csv",
        "Lieux de médiation numérique",
        LMN_VERSION,
        "https://github.com/LaMednum/standard-mediation-num",
    ),
    Dataset(
        "lmn-json",
        "lieux-mediation-numerique.json",
        "application/json",
        "Lieux de médiation numérique",
        LMN_VERSION,
        "https://github.com/LaMednum/standard-mediation-num",
    ),
    Dataset(
        "di-structures",
        "data-inclusion-structures.jsonl",
        "application/x-ndjson",
        "data·inclusion (structures)",
        DI_VERSION,
        "https://pypi.org/project/data-inclusion-schema/",
    ),
    Dataset(
        "di-services",
        "data-inclusion-services.jsonl",
        "application/x-ndjson",
        "data·inclusion (services)",
        DI_VERSION,
        "https://pypi.org/project/data-inclusion-schema/",
    ),
    Dataset("catalogue", "catalogue-hub-du-sud.jsonl", "application/x-ndjson", "Hub du Sud (catalogue)", "1", ""),
)
BY_FILENAME = {d.filename: d for d in DATASETS}


def export_folder() -> Path:
    return Path(current_app.config["FILES_DIR"]) / "opendata"


# ---------------------------------------------------------------- reading the published listings


def published_providers() -> Iterator[tuple[Provider, list[Offer]]]:
    """Every published provider with its published offers, in id order, a batch at a time."""
    last = 0
    while True:
        batch = list(
            db.session.scalars(
                select(Provider)
                .where(Provider.status == PS.PUBLISHED, Provider.id > last)
                .options(selectinload(Provider.commune), selectinload(Provider.offers))
                .order_by(Provider.id)
                .limit(BATCH)
            )
        )
        if not batch:
            return
        for provider in batch:
            yield provider, [o for o in provider.offers if o.status == PS.PUBLISHED]
        last = batch[-1].id


class _Links:
    """Absolute links to listings, built once per export (one URL rule per kind, not one per record)."""

    def __init__(self) -> None:
        marker = 987654321
        self._provider = absolute_url("directory.provider_detail", provider_id=marker).split(str(marker))
        self._offer = absolute_url("directory.offer_detail", offer_id=marker).split(str(marker))

    def provider(self, ident: int) -> str:
        return f"{self._provider[0]}{ident}{self._provider[1]}"

    def offer(self, ident: int) -> str:
        return f"{self._offer[0]}{ident}{self._offer[1]}"


_links: _Links | None = None


def links() -> _Links:
    """The current export's link builder (a fresh one outside an export: tests, single records)."""
    return _links or _Links()


def _day(moment: datetime | None) -> date:
    return (moment or utcnow()).date()


def date_maj(provider: Provider, offers: list[Offer]) -> date:
    return max(_day(x.updated_at) for x in [provider, *offers])


def e164(phone: str) -> str | None:
    """A French number as +33…, the form both schemas expect; None when it is not one."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 10 and digits.startswith("0"):
        return "+33" + digits[1:]
    if len(digits) == 11 and digits.startswith("33"):
        return "+" + digits
    return None


def _contact(provider: Provider) -> tuple[str | None, str | None]:
    """(e-mail, phone), only with the provider's consent."""
    if not provider.opendata_contact:
        return None, None
    return (provider.contact_email or None), e164(provider.contact_phone)


def _skills(offers: list[Offer]) -> list[str]:
    return list(dict.fromkeys(s for o in offers for s in (o.skills or [])))


def _union(values: Iterable[list[str]]) -> list[str]:
    return list(dict.fromkeys(v for vs in values for v in vs))


# ---------------------------------------------------------------- LMN 1.0.2

LMN_FIELDS = [f["name"] for f in lmn_schema()["fields"]]


def lmn_record(provider: Provider, offers: list[Offer], m: Mappings) -> dict:
    """One place: a provider that receives the public at its `public_address`, its offers as services."""
    email, phone = _contact(provider)
    commune = provider.commune
    presentation = " ".join((provider.presentation or "").split())
    access = list(m.lmn["modalites_acces"]) + (list(m.lmn["modalites_acces_avec_contact"]) if email else [])
    accompagnement = _union(
        [*m.lmn["modalites_accompagnement"][o.category], *m.lmn["modalites_accompagnement_par_modalite"][o.modality]]
        for o in offers
    )
    record = {
        "id": f"{SOURCE}-prestataire-{provider.id}",
        "pivot": provider.siret or LMN_NO_SIRET,
        "nom": provider.name,
        "commune": commune.name,
        "code_postal": commune.main_postal_code,
        "code_insee": commune.insee,
        "adresse": provider.public_address,
        "latitude": commune.lat,  # the commune's coordinates: the hub does not geocode addresses
        "longitude": commune.lon,
        "telephone": phone,
        "courriels": email,
        "site_web": provider.website or None,
        "presentation_resume": presentation[:277] + "…" if len(presentation) > 280 else presentation or None,
        "presentation_detail": provider.presentation or None,
        "source": LMN_SOURCE,
        "itinerance": "Fixe",
        "date_maj": date_maj(provider, offers).isoformat(),
        "services": "|".join(m.lmn_services(_skills(offers))) or None,
        "frais_a_charge": "|".join(_union(m.lmn["frais_a_charge"][o.price_mode] for o in offers)) or None,
        "modalites_acces": "|".join(access),
        "modalites_accompagnement": "|".join(accompagnement) or None,
        "prise_rdv": links().provider(provider.id),
    }
    return {name: record.get(name) for name in LMN_FIELDS}


def lmn_csv(records: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LMN_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------- data·inclusion


def _di_name(name: str) -> str:
    name = name.strip().rstrip(".") if not name.strip().endswith("etc.") else name.strip()
    return (name[:149] + "…" if len(name) > 150 else name).ljust(3, "_")


def di_structure(provider: Provider, offers: list[Offer]) -> dict:
    email, phone = _contact(provider)
    commune = provider.commune
    description = (provider.presentation or "").strip()
    return {
        "source": SOURCE,
        "id": f"{SOURCE}--prestataire-{provider.id}",
        "nom": _di_name(provider.name),
        "date_maj": date_maj(provider, offers).isoformat(),
        "description": description[:10000] if len(description) >= 5 else None,
        "lien_source": links().provider(provider.id),
        "siret": provider.siret,
        "commune": commune.name,
        "code_postal": commune.main_postal_code or None,
        "code_insee": commune.insee,
        "adresse": provider.public_address or None,
        "longitude": commune.lon,
        "latitude": commune.lat,
        "telephone": phone,
        "courriel": email,
        "site_web": provider.website or None,
    }


def _price_text(offer: Offer) -> str | None:
    if offer.price_mode == "voucher":
        return "Financé par un chèque d'accompagnement numérique pour les structures qui en détiennent un."
    if offer.price_mode == "paid" and offer.price_cents:
        return f"{offer.price_cents / 100:.2f} € TTC".replace(".", ",")
    return None


def di_service(provider: Provider, offer: Offer, m: Mappings) -> dict:
    email, phone = _contact(provider)
    commune = provider.commune
    on_site = offer.modality in ("on_site", "both") and bool(provider.public_address)
    description = (offer.description or "").strip()
    url = links().offer(offer.id)
    return {
        "source": SOURCE,
        "id": f"{SOURCE}--offre-{offer.id}",
        "structure_id": f"{SOURCE}--prestataire-{provider.id}",
        "nom": _di_name(offer.title),
        "description": (description if len(description) >= 5 else offer.title.ljust(5, "."))[:10000],
        "lien_source": url,
        "date_maj": _day(offer.updated_at).isoformat(),
        "type": m.di["types"][offer.category],
        "thematiques": m.di_thematiques(list(offer.skills or [])) or None,
        "frais": m.di["frais"][offer.price_mode],
        "frais_precisions": _price_text(offer),
        "publics": list(m.di["publics"]),
        "commune": commune.name if on_site else None,
        "code_postal": (commune.main_postal_code or None) if on_site else None,
        "code_insee": commune.insee if on_site else None,
        "adresse": provider.public_address if on_site else None,
        "longitude": commune.lon if on_site else None,
        "latitude": commune.lat if on_site else None,
        "telephone": phone,
        "courriel": email,
        "modes_accueil": list(m.di["modes_accueil"][offer.modality]),
        # The provider's département: our providers travel within a radius around their commune.
        "zone_eligibilite": [commune.dep_code],
        "lien_mobilisation": url,
        "modes_mobilisation": list(m.di["modes_mobilisation"]),
        "mobilisable_par": list(m.di["mobilisable_par"]),
    }


def valid_di(model: type, record: dict) -> bool:
    try:
        model.model_validate(record)
    except ValidationError as error:
        log.warning("opendata: %s %s left out: %s", model.__name__, record.get("id"), error)
        return False
    return True


# ---------------------------------------------------------------- our own catalogue


def catalogue_provider(provider: Provider, offers: list[Offer]) -> dict:
    email, phone = _contact(provider)
    return {
        "type": "prestataire",
        "id": f"prestataire-{provider.id}",
        "url": links().provider(provider.id),
        "nom": provider.name,
        "genre": provider.kind,
        "siret": provider.siret,
        "commune_insee": provider.commune_insee,
        "commune": provider.commune.name,
        "departement": provider.commune.dep_code,
        "rayon_km": provider.radius_km,
        "a_distance": provider.remote_capable,
        "langues": list(provider.languages or []),
        "presentation": provider.presentation,
        "site_web": provider.website or None,
        "adresse_accueil": provider.public_address or None,
        "courriel": email,
        "telephone": phone,
        "offres": [f"offre-{o.id}" for o in offers],
        "date_maj": date_maj(provider, offers).isoformat(),
    }


def catalogue_offer(provider: Provider, offer: Offer) -> dict:
    return {
        "type": "offre",
        "id": f"offre-{offer.id}",
        "url": links().offer(offer.id),
        "prestataire": f"prestataire-{provider.id}",
        "titre": offer.title,
        "description": offer.description,
        "categorie": offer.category,
        "competences": list(offer.skills or []),
        "modalite": offer.modality,
        "duree_heures": offer.duration_hours,
        "capacite_par_mois": offer.capacity_per_month,
        "tarif": offer.price_mode,
        "prix_centimes": offer.price_cents,
        "disponible_du": offer.available_from.isoformat() if offer.available_from else None,
        "disponible_au": offer.available_until.isoformat() if offer.available_until else None,
        "date_maj": _day(offer.updated_at).isoformat(),
    }


# ---------------------------------------------------------------- writing


def _jsonl(records: Iterable[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records).encode("utf-8")


def write_atomically(path: Path, content: bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def read_manifest(folder: Path | None = None) -> dict:
    path = (folder or export_folder()) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def build_contents() -> tuple[dict[str, tuple[bytes, int]], dict[str, int]]:
    """{filename: (content, rows)} and the number of records the national models refused, by dataset."""
    global _links
    m = load_mappings()
    _links = _Links()
    try:
        return _build(m)
    finally:
        _links = None


def _build(m: Mappings) -> tuple[dict[str, tuple[bytes, int]], dict[str, int]]:
    lmn: list[dict] = []
    structures: list[dict] = []
    services: list[dict] = []
    catalogue: list[dict] = []
    left_out = {"di-structures": 0, "di-services": 0}
    for provider, offers in published_providers():
        if provider.public_address.strip() and provider.commune.main_postal_code:
            lmn.append(lmn_record(provider, offers, m))
        structure = di_structure(provider, offers)
        if valid_di(Structure, structure):
            structures.append(structure)
            for offer in offers:
                service = di_service(provider, offer, m)
                # its e-mail is its structure's, just validated as the same EmailStr: not checked again
                # (e-mail validation is the slowest part of a 100,000-offer export)
                if valid_di(Service, service | {"courriel": None}):
                    services.append(service)
                else:
                    left_out["di-services"] += 1
        else:
            left_out["di-structures"] += 1
            left_out["di-services"] += len(offers)
        catalogue.append(catalogue_provider(provider, offers))
        catalogue.extend(catalogue_offer(provider, o) for o in offers)
    lmn_json = json.dumps(lmn, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    contents = {
        "lieux-mediation-numerique.csv": (lmn_csv(lmn), len(lmn)),
        "lieux-mediation-numerique.json": (lmn_json, len(lmn)),
        "data-inclusion-structures.jsonl": (_jsonl(structures), len(structures)),
        "data-inclusion-services.jsonl": (_jsonl(services), len(services)),
        "catalogue-hub-du-sud.jsonl": (_jsonl(catalogue), len(catalogue)),
    }
    return contents, left_out


def generate_exports(folder: Path | None = None) -> dict:
    """Write every file (atomically) and the manifest; return the manifest."""
    folder = folder or export_folder()
    previous = read_manifest(folder).get("files", {})
    contents, left_out = build_contents()
    now = utcnow().replace(microsecond=0).isoformat()
    files = {}
    for dataset in DATASETS:
        content, rows = contents[dataset.filename]
        digest = hashlib.sha256(content).hexdigest()
        before = previous.get(dataset.filename, {})
        unchanged = before.get("sha256") == digest and (folder / dataset.filename).exists()
        if not unchanged:
            write_atomically(folder / dataset.filename, content)
        files[dataset.filename] = {
            "key": dataset.key,
            "rows": rows,
            "bytes": len(content),
            "sha256": digest,
            "updated_at": before["updated_at"] if unchanged else now,
            "left_out": left_out.get(dataset.key, 0),
        }
    manifest = {"generated_at": now, "licence": LICENCE, "files": files}
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
    log.info("opendata: %s", {name: f["rows"] for name, f in files.items()})
    return manifest


def run_export_job() -> None:
    """The job (periodic, or asked for by staff): the same function the command runs."""
    generate_exports()


# ---------------------------------------------------------------- "what changed since"


def changed_since(dataset: Dataset, content: bytes, since: date) -> bytes:
    """The records of `content` whose `date_maj` is on or after `since`, in the file's own format."""
    day = since.isoformat()
    if dataset.filename.endswith(".csv"):
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=LMN_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in rows if r["date_maj"] >= day)
        return out.getvalue().encode("utf-8")
    if dataset.filename.endswith(".jsonl"):
        lines = content.decode("utf-8").splitlines()
        return "".join(line + "\n" for line in lines if json.loads(line)["date_maj"] >= day).encode("utf-8")
    records = [r for r in json.loads(content) if r["date_maj"] >= day]
    return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
