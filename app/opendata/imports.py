"""Imports as invitations: a national file (LMN 1.0.2 CSV or JSON, data·inclusion structures in JSON or JSON
lines) brings places in, never providers.

Each record is matched against our providers: the SIRET first, then the name within the same commune (the
blocking key: a record is compared with the providers of its commune only, never with all of them) with
rapidfuzz's token-set ratio. A match becomes a proposed merge that staff confirm; a record without one
becomes a place to be claimed, its contact (when the file has one) invited. A claim is accepted at once
from an address on the place's own domain, otherwise it waits for staff. The same file imported twice
changes nothing (each record is keyed by its own id); our own exported records are recognised and skipped.

Services take plain values and the acting user; they flush, never commit.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from data_inclusion.schema.v1 import Structure
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError
from rapidfuzz import fuzz, process
from sqlalchemy import select
from stdnum.fr import siret as siret_std

from app.accounts.models import User
from app.core.errors import Conflict, Forbidden, ServiceError
from app.core.mail import send_mail
from app.core.models import utcnow
from app.core.text import fold
from app.core.urls import absolute_url
from app.directory import services as directory
from app.directory.models import Provider
from app.extensions import db
from app.opendata.exports import SOURCE
from app.opendata.models import ImportBatch, ImportedPlace, PlaceStatus
from app.territory.models import Commune, CommunePostalCode

MATCH_THRESHOLD = 88  # rapidfuzz token-set ratio (0-100) of the folded names, within one commune
MAX_IMPORT_BYTES = 20 * 1024 * 1024
# Addresses anyone can get: a claim from one of them never proves it comes from the place.
PUBLIC_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.fr",
        "yahoo.com",
        "hotmail.fr",
        "hotmail.com",
        "outlook.fr",
        "outlook.com",
        "live.fr",
        "msn.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "neuf.fr",
        "laposte.net",
        "aol.com",
        "icloud.com",
        "me.com",
        "protonmail.com",
        "proton.me",
        "gmx.fr",
        "gmx.com",
        "bbox.fr",
        "numericable.fr",
    ]
)
OUTCOMES = ("merge_proposed", "invited", "to_claim", "skipped", "rejected")


@dataclass
class Record:
    """One record of a national file, in the fields we keep."""

    line: int
    key: str
    name: str
    commune_insee: str
    siret: str | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    email: str = ""
    phone: str = ""
    website: str = ""
    presentation: str = ""


@dataclass
class Report:
    lines: list[dict] = field(default_factory=list)

    def add(self, line: int, ident: str, name: str, outcome: str, reason: str = "") -> None:
        self.lines.append({"line": line, "id": ident, "name": name, "outcome": outcome, "reason": reason})

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for line in self.lines:
            counts[line["outcome"]] += 1
        return counts


class RowError(ValueError):
    """A record that cannot be imported; its message is the French reason in the report."""


# ---------------------------------------------------------------- reading the files


def _first(value) -> str:
    """LMN lists several values joined by "|": the first one."""
    return str(value or "").split("|")[0].strip()


def _number(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _siret(value) -> str | None:
    value = re.sub(r"\s", "", str(value or ""))
    return value if siret_std.is_valid(value) else None


class _Communes:
    """INSEE codes and postal codes, looked up once per import."""

    def __init__(self) -> None:
        self.known = set(db.session.scalars(select(Commune.insee)))
        self.by_postal: dict[str, list[tuple[str, str]]] = defaultdict(list)
        rows = db.session.execute(
            select(CommunePostalCode.postal_code, Commune.insee, Commune.search_name).join(
                Commune, Commune.insee == CommunePostalCode.insee
            )
        )
        for postal, insee, search_name in rows:
            self.by_postal[postal].append((insee, search_name))

    def resolve(self, insee: str, postal: str, name: str) -> str:
        insee = (insee or "").strip()
        if insee in self.known:
            return insee
        candidates = self.by_postal.get((postal or "").strip(), [])
        if len(candidates) == 1:
            return candidates[0][0]
        for code, search_name in candidates:
            if search_name == fold(name):
                return code
        raise RowError(
            _("Commune inconnue (code INSEE %(insee)s, code postal %(postal)s).", insee=insee, postal=postal)
        )


def _lmn_record(line: int, row: dict, communes: _Communes) -> Record:
    ident = str(row.get("id") or "").strip()
    name = str(row.get("nom") or "").strip()
    if not ident:
        raise RowError(_("Identifiant (id) manquant."))
    if not name:
        raise RowError(_("Nom manquant."))
    if not str(row.get("adresse") or "").strip():
        raise RowError(_("Adresse manquante."))
    return Record(
        line=line,
        key=f"lmn:{ident}",
        name=name[:200],
        commune_insee=communes.resolve(
            str(row.get("code_insee") or ""), str(row.get("code_postal") or ""), str(row.get("commune") or "")
        ),
        siret=_siret(row.get("pivot")),
        address=str(row.get("adresse") or "").strip()[:300],
        latitude=_number(row.get("latitude")),
        longitude=_number(row.get("longitude")),
        email=_first(row.get("courriels"))[:320],
        phone=_first(row.get("telephone"))[:30],
        website=_first(row.get("site_web"))[:300],
        presentation=str(row.get("presentation_detail") or row.get("presentation_resume") or "").strip(),
    )


def _di_record(line: int, row: dict, communes: _Communes) -> Record:
    try:
        structure = Structure.model_validate(row)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "?"
        raise RowError(
            _(
                "Non conforme au schéma data·inclusion (%(field)s : %(message)s).",
                field=where,
                message=first.get("msg", ""),
            )
        ) from None
    return Record(
        line=line,
        key=f"di:{structure.id}",
        name=structure.nom[:200],
        commune_insee=communes.resolve(
            structure.code_insee or "", structure.code_postal or "", structure.commune or ""
        ),
        siret=_siret(structure.siret),
        address=(structure.adresse or "")[:300],
        latitude=structure.latitude,
        longitude=structure.longitude,
        email=(structure.courriel or "")[:320],
        phone=(structure.telephone or "")[:30],
        website=(str(structure.site_web) if structure.site_web else "")[:300],
        presentation=structure.description or "",
    )


def read_rows(filename: str, content: bytes) -> tuple[str, list[tuple[int, dict | None, str]]]:
    """(file format, [(line, row or None, reason when None)]) of a LMN CSV / JSON or data·inclusion file."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ServiceError(_("Fichier trop volumineux (20 Mo au plus)."), field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(_("Le fichier doit être encodé en UTF-8."), field="file") from None
    name = filename.lower()
    if name.endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "nom" not in reader.fieldnames:
            raise ServiceError(
                _("Ce CSV n'est pas au schéma des lieux de médiation numérique (colonne « nom » absente)."),
                field="file",
            )
        return "lmn-csv", [(i, row, "") for i, row in enumerate(reader, start=2)]
    if name.endswith(".jsonl") or name.endswith(".ndjson"):
        rows: list[tuple[int, dict | None, str]] = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append(
                    (i, row, "") if isinstance(row, dict) else (i, None, _("Ligne qui n'est pas un objet JSON."))
                )
            except ValueError:
                rows.append((i, None, _("JSON illisible.")))
        return "di-structures", rows
    if name.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ServiceError(_("JSON illisible."), field="file") from None
        if not isinstance(data, list):
            raise ServiceError(_("Le fichier JSON doit contenir une liste de fiches."), field="file")
        is_lmn = any(isinstance(r, dict) and "pivot" in r for r in data[:5])
        rows = [
            (i, r, "") if isinstance(r, dict) else (i, None, _("Fiche qui n'est pas un objet JSON."))
            for i, r in enumerate(data, start=1)
        ]
        return ("lmn-json" if is_lmn else "di-structures"), rows
    raise ServiceError(_("Format inconnu : un fichier .csv, .json ou .jsonl est attendu."), field="file")


# ---------------------------------------------------------------- matching


class _Matcher:
    """Our providers, indexed once: by SIRET, and by commune (the blocking key) for the name score."""

    def __init__(self) -> None:
        self.by_siret: dict[str, int] = {}
        self.by_commune: dict[str, dict[int, str]] = defaultdict(dict)
        for pid, name, siret, insee in db.session.execute(
            select(Provider.id, Provider.name, Provider.siret, Provider.commune_insee)
        ):
            if siret:
                self.by_siret[siret] = pid
            self.by_commune[insee][pid] = fold(name)

    def match(self, record: Record) -> tuple[int, float] | None:
        if record.siret and record.siret in self.by_siret:
            return self.by_siret[record.siret], 100.0
        block = self.by_commune.get(record.commune_insee)
        if not block:
            return None
        best = process.extractOne(fold(record.name), block, scorer=fuzz.token_set_ratio, score_cutoff=MATCH_THRESHOLD)
        return (best[2], float(best[1])) if best else None


def _own_provider_id(key: str) -> int | None:
    """Our own exported records (LMN `hub-du-sud-prestataire-12`, DI `hub-du-sud--prestataire-12`)."""
    match = re.fullmatch(rf"(?:lmn|di):{SOURCE}-{{1,2}}prestataire-(\d+)", key)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------- the import


CHUNK = 500  # records between two progress reports (and, in the job, two commits)


def _check_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub peut importer des lieux."))


def prepare_import(actor: User, filename: str, content: bytes) -> ImportBatch:
    """Check the file as a whole (format, encoding, size) and record its batch, waiting for the job."""
    _check_staff(actor)
    file_format, rows = read_rows(filename, content)
    batch = ImportBatch(
        filename=filename[:300], file_format=file_format, created_by_id=actor.id, status="pending", total=len(rows)
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def import_file(actor: User, filename: str, content: bytes) -> ImportBatch:
    """Import every good record of the file at once (the command, the tests); the report says what became
    of each line."""
    batch = prepare_import(actor, filename, content)
    run_import(batch, content)
    return batch


def run_import(batch: ImportBatch, content: bytes, on_progress=None) -> None:
    """Import the batch's records a chunk at a time; `on_progress()` runs after each chunk (the job commits
    there, so that the page's progress bar moves)."""
    _file_format, rows = read_rows(batch.filename, content)
    batch.status, batch.total, batch.done = "running", len(rows), 0
    importer, report = _Importer(batch), Report()
    for start in range(0, len(rows), CHUNK):
        importer.run(rows[start : start + CHUNK], report)
        batch.done = min(len(rows), start + CHUNK)
        batch.report, batch.counts = list(report.lines), report.counts
        db.session.flush()
        if on_progress is not None:
            on_progress()
    batch.report, batch.counts, batch.status = list(report.lines), report.counts, "done"
    db.session.flush()


class _Importer:
    """What one import knows once: communes, our providers (for matching), the records already imported."""

    def __init__(self, batch: ImportBatch) -> None:
        self.batch = batch
        self.communes, self.matcher = _Communes(), _Matcher()
        self.known = set(db.session.scalars(select(ImportedPlace.source_key)))
        self.reader = _lmn_record if batch.file_format.startswith("lmn") else _di_record

    def run(self, rows: list[tuple[int, dict | None, str]], report: Report) -> None:
        batch, reader = self.batch, self.reader
        for line, row, reason in rows:
            if row is None:
                report.add(line, "", "", "rejected", reason)
                continue
            try:
                record = reader(line, row, self.communes)
            except RowError as error:
                report.add(line, str(row.get("id") or ""), str(row.get("nom") or ""), "rejected", str(error))
                continue
            ident = record.key.split(":", 1)[1]
            own = _own_provider_id(record.key)
            if own is not None and db.session.get(Provider, own) is not None:
                report.add(
                    line,
                    ident,
                    record.name,
                    "skipped",
                    _("Fiche exportée par le Hub lui-même (prestataire n° %(id)d).", id=own),
                )
                continue
            if record.key in self.known:
                report.add(line, ident, record.name, "skipped", _("Déjà importée."))
                continue
            self.known.add(record.key)
            place = _new_place(record, batch)
            found = self.matcher.match(record)
            if found:
                place.status, place.match_provider_id, place.match_score = (
                    PlaceStatus.PROPOSED_MERGE,
                    found[0],
                    found[1],
                )
                report.add(
                    line,
                    ident,
                    record.name,
                    "merge_proposed",
                    _("Ressemble au prestataire n° %(id)d (score %(score)d).", id=found[0], score=round(found[1])),
                )
            elif place.email:
                place.status = PlaceStatus.INVITED
                report.add(line, ident, record.name, "invited", place.email)
            else:
                place.status = PlaceStatus.TO_CLAIM
                report.add(
                    line,
                    ident,
                    record.name,
                    "to_claim",
                    _("Pas de contact dans le fichier : en attente d'une revendication."),
                )
            db.session.add(place)
        db.session.flush()
        for place in db.session.scalars(
            select(ImportedPlace).where(
                ImportedPlace.batch_id == batch.id,
                ImportedPlace.status == PlaceStatus.INVITED,
                ImportedPlace.invited_at.is_(None),
            )
        ):
            invite(place)
        db.session.flush()


def _clean_email(value: str) -> str:
    value = (value or "").strip()
    return value if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) else ""


def _new_place(record: Record, batch: ImportBatch) -> ImportedPlace:
    return ImportedPlace(
        source_key=record.key[:300],
        batch_id=batch.id,
        name=record.name,
        siret=record.siret,
        commune_insee=record.commune_insee,
        address=record.address,
        latitude=record.latitude,
        longitude=record.longitude,
        email=_clean_email(record.email),
        phone=record.phone,
        website=record.website,
        presentation=record.presentation,
        claim_token=secrets.token_urlsafe(24),
    )


INVITATION_SUBJECT = _l("Votre lieu sur le Hub du Sud : rejoignez le réseau")


def invitation_body(name: str, url: str):
    return _l(
        "Bonjour,\n\n"
        "%(name)s figure dans les données publiques des lieux de médiation numérique. Le Hub du Sud, le réseau "
        "de la médiation numérique en Région Sud, vous invite à le rejoindre : votre lieu n'y est pas publié "
        "tant que vous ne l'avez pas revendiqué et complété.\n\n"
        "Pour revendiquer votre lieu : %(url)s\n\n"
        "Une adresse e-mail du domaine de votre lieu est acceptée tout de suite ; sinon, l'équipe du Hub vérifie "
        "votre demande.\n\n"
        "Si vous ne souhaitez pas rejoindre le Hub, ignorez ce message : nous ne vous écrirons plus.\n\n"
        "L'équipe du Hub du Sud",
        name=name,
        url=url,
    )


def invite(place: ImportedPlace) -> None:
    """One invitation per place, ever (a re-import sends none)."""
    if place.invited_at is not None or not place.email:
        return
    url = absolute_url("opendata.claim", token=place.claim_token)
    send_mail(place.email, INVITATION_SUBJECT, invitation_body(place.name, url))
    place.invited_at = utcnow()
    place.status = PlaceStatus.INVITED


# ---------------------------------------------------------------- staff decisions on proposed merges


def decide_merge(actor: User, place: ImportedPlace, confirm: bool) -> None:
    """Confirmed: the provider gets the details it lacks (SIRET, address, website), nothing is created.
    Refused: the place is not that provider; it becomes a place to claim (its contact is invited)."""
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub peut décider."))
    if place.status != PlaceStatus.PROPOSED_MERGE:
        raise Conflict(_("Cette proposition a déjà été traitée."))
    place.decided_by_id = actor.id
    if not confirm:
        place.match_provider_id, place.status = None, PlaceStatus.TO_CLAIM
        invite(place)
        db.session.flush()
        return
    provider = place.match_provider
    if provider is not None:
        values: dict = {}
        if not provider.public_address and place.address:
            values["public_address"] = place.address
        if not provider.website and place.website:
            values["website"] = place.website
        if not provider.siret and place.siret:
            taken = db.session.scalar(select(Provider.id).where(Provider.siret == place.siret))
            if taken is None:
                values["siret"] = place.siret
        try:
            directory.update_provider(actor, provider, values)
        except ServiceError:  # a link our rules refuse: keep the rest
            values.pop("website", None)
            directory.update_provider(actor, provider, values)
    place.status, place.provider_id = PlaceStatus.MERGED, place.match_provider_id
    db.session.flush()


# ---------------------------------------------------------------- claims


def place_domains(place: ImportedPlace) -> set[str]:
    domains = set()
    if "@" in place.email:
        domains.add(place.email.rsplit("@", 1)[1].lower())
    host = (
        urlsplit(place.website if "://" in place.website else f"http://{place.website}").hostname
        if place.website
        else None
    )
    if host:
        domains.add(host.lower().removeprefix("www."))
    return domains - PUBLIC_MAIL_DOMAINS


def claim_place(user: User, place: ImportedPlace) -> ImportedPlace:
    """From an address on the place's own domain (confirmed account): the place becomes a provider at once.
    From any other address: the claim waits for staff (`decide_claim`)."""
    if place.status not in (PlaceStatus.TO_CLAIM, PlaceStatus.INVITED):
        raise Conflict(_("Ce lieu a déjà été revendiqué ou rattaché à un prestataire."))
    domain = user.email.rsplit("@", 1)[1].lower()
    place.claimant_id = user.id
    if user.is_confirmed and domain in place_domains(place):
        _become_provider(user, place)
    else:
        place.status = PlaceStatus.CLAIM_PENDING
    db.session.flush()
    return place


def decide_claim(actor: User, place: ImportedPlace, approve: bool) -> None:
    if not actor.is_staff:
        raise Forbidden(_("Seule l'équipe du Hub peut décider."))
    if place.status != PlaceStatus.CLAIM_PENDING or place.claimant is None:
        raise Conflict(_("Cette revendication a déjà été traitée."))
    place.decided_by_id = actor.id
    if approve:
        _become_provider(place.claimant, place)
    else:
        place.status, place.claimant_id = (PlaceStatus.INVITED if place.invited_at else PlaceStatus.TO_CLAIM), None
    db.session.flush()


def _become_provider(user: User, place: ImportedPlace) -> None:
    """The claimant owns a new provider made from the place, sent to moderation (members complete it)."""
    siret = place.siret
    if siret and db.session.scalar(select(Provider.id).where(Provider.siret == siret)) is not None:
        siret = None
    values = {
        "name": place.name,
        "kind": "equipe_mediation",
        "siret": siret,
        "commune_insee": place.commune_insee,
        "radius_km": 20,
        "remote_capable": False,
        "languages": ["fr"],
        "presentation": place.presentation,
        "website": place.website,
        "contact_email": place.email or user.email,
        "public_address": place.address,
    }
    try:
        provider = directory.create_provider(user, values)
    except ServiceError:  # a website our link rules refuse: the members add it later
        provider = directory.create_provider(user, values | {"website": ""})
    place.provider_id, place.status = provider.id, PlaceStatus.CLAIMED


def places_by_status() -> dict[str, list[ImportedPlace]]:
    out: dict[str, list[ImportedPlace]] = {s.value: [] for s in PlaceStatus}
    for place in db.session.scalars(select(ImportedPlace).order_by(ImportedPlace.id.desc()).limit(2000)):
        out[place.status].append(place)
    return out
