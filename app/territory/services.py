"""Communes: loading the reference file, autocomplete, resolving form input."""

from __future__ import annotations

import csv
import gzip
import math
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select

from app.core.french import of_commune
from app.core.text import fold
from app.extensions import db
from app.territory.models import Commune, CommunePostalCode

REGION_SUD = "93"
INSEE_CODE = r"[0-9][0-9AB][0-9]{3}"
#: "INSEE 13055", "insee:13055", "code INSEE 13055": the only way a person types an INSEE code
_INSEE_TYPED = re.compile(rf"(?:code\s*)?insee\s*[:\s]?\s*(?P<code>{INSEE_CODE})", re.IGNORECASE)
#: Corsica's INSEE codes have a letter (2A004): they cannot be mistaken for a postal code
_INSEE_WITH_LETTER = re.compile(r"[0-9][AB][0-9]{3}", re.IGNORECASE)
_POSTAL = re.compile(r"(?P<a>[0-9]{2})\s?(?P<b>[0-9]{3})")
#: an autocomplete label: "Marseille (13001)", "Saint-Martin (05)", "Saint-Martin (INSEE 05148)"
_LABEL = re.compile(r"(?P<name>.+?)\s*\((?P<code>[^()]+)\)")
MAX_CANDIDATES = 60  # the most communes sharing one postal code is about 50


def load_communes(path: str, batch: int = 5000) -> int:
    """Replace the commune table (and its postal-code index) with the reference file.
    Returns the commune count."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                {
                    "insee": r["insee"],
                    "name": r["name"],
                    "search_name": fold(r["name"]),
                    "postal_codes": r["postal_codes"],
                    "dep_code": r["dep_code"],
                    "dep_name": r["dep_name"],
                    "region_code": r["region_code"],
                    "region_name": r["region_name"],
                    "lat": float(r["lat"]) if r["lat"] else None,
                    "lon": float(r["lon"]) if r["lon"] else None,
                    "population": int(r["population"]) if r["population"] else None,
                }
            )
    postal = [
        {"postal_code": code, "insee": row["insee"]}
        for row in rows
        for code in sorted(set(row["postal_codes"].split()))
    ]
    db.session.execute(delete(CommunePostalCode))
    db.session.execute(delete(Commune))
    for start in range(0, len(rows), batch):
        db.session.execute(insert(Commune), rows[start : start + batch])
    for start in range(0, len(postal), batch):
        db.session.execute(insert(CommunePostalCode), postal[start : start + batch])
    return len(rows)


def commune_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Commune)) or 0


def _biggest_first(stmt, limit: int):
    return list(db.session.scalars(stmt.order_by(Commune.population.desc().nulls_last(), Commune.name).limit(limit)))


def communes_with_postal_code(code: str, *, prefix: bool = False, limit: int = MAX_CANDIDATES) -> list[Commune]:
    """The communes a postal code covers (or, with `prefix`, the codes starting so), biggest first."""
    match = CommunePostalCode.postal_code.startswith(code) if prefix else CommunePostalCode.postal_code == code
    inner = select(CommunePostalCode.insee).where(match)
    return _biggest_first(select(Commune).where(Commune.insee.in_(inner)), limit)


def search_communes(query: str, limit: int = 10) -> list[Commune]:
    """Autocomplete, biggest first: by name (accents optional), by postal code (every commune
    the code covers, however many), or by INSEE code when typed as such ("INSEE 130")."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    typed = re.fullmatch(r"(?:code\s*)?insee\s*[:\s]?\s*(?P<code>[0-9AB]{1,5})", query, re.IGNORECASE)
    if typed:
        return _biggest_first(select(Commune).where(Commune.insee.startswith(typed["code"].upper())), limit)
    digits = query.replace(" ", "")
    if digits.isdigit():
        if len(digits) == 5:  # a whole postal code: every commune it covers, never cut
            return communes_with_postal_code(digits)
        return communes_with_postal_code(digits[:5], prefix=True, limit=limit)
    folded = fold(query)
    stmt = select(Commune).where(
        or_(Commune.search_name.startswith(folded), Commune.search_name.contains(" " + folded))
    )
    return _biggest_first(stmt, limit)


@dataclass(frozen=True)
class CommuneLookup:
    """What a typed commune resolves to: one commune, or an error (in French) with, when
    there is a choice to make, the candidate communes to pick from."""

    commune: Commune | None = None
    candidates: tuple[Commune, ...] = ()
    error: str | None = None

    @property
    def found(self) -> bool:
        return self.commune is not None


def _choice(candidates, error: str) -> CommuneLookup:
    return CommuneLookup(None, tuple(candidates), error)


def lookup_commune(value: str) -> CommuneLookup:
    """Turn what a person typed into one commune, or an error with the communes to choose from.

    - a postal code ("84000", "13 001"): the commune(s) it covers, from the postal-code index;
      Marseille, Paris and Lyon's codes (those of their arrondissements) give the commune;
      a code covering several communes gives the choice, never the first one;
    - an INSEE code only when typed as such: "INSEE 13055" (or a Corsican "2A004", which no
      postal code looks like). A bare 5-digit code that is no postal code but an INSEE code
      ("13055") is offered as a choice, not taken: 13001 is Aix-en-Provence's INSEE code and
      Marseille's postal code, and a person typing digits means a postal code;
    - a name, with or without accents ("Aix-en-Provence", "aix en provence"), or an
      autocomplete label ("Marseille (13001)", "Saint-Martin (05)"): several communes of
      that name give the choice.
    """
    value = " ".join((value or "").split())
    if not value:
        return CommuneLookup()
    typed = _INSEE_TYPED.fullmatch(value) or _INSEE_WITH_LETTER.fullmatch(value)
    if typed:
        code = (typed.groupdict().get("code") or value).upper()
        commune = db.session.get(Commune, code)
        if commune is None:
            return _choice((), _("Aucune commune n'a le code INSEE %(code)s.", code=code))
        return CommuneLookup(commune)
    postal = _POSTAL.fullmatch(value)
    if postal:
        return _lookup_postal(postal["a"] + postal["b"])
    label = _LABEL.fullmatch(value)
    name, code = (label["name"], label["code"].strip()) if label else (value, "")
    same_name = _biggest_first(select(Commune).where(Commune.search_name == fold(name)), MAX_CANDIDATES)
    if code:
        same_name = [c for c in same_name if _has_code(c, code)]
    if len(same_name) == 1:
        return CommuneLookup(same_name[0])
    if same_name:
        return _choice(same_name, _("Plusieurs communes s'appellent %(name)s : choisissez la vôtre.", name=name))
    return _choice(
        search_communes(name),
        _("Commune introuvable : tapez son nom ou son code postal, ou choisissez-la dans la liste proposée."),
    )


def _lookup_postal(code: str) -> CommuneLookup:
    covered = communes_with_postal_code(code)
    if len(covered) == 1:
        return CommuneLookup(covered[0])
    if covered:
        return _choice(
            covered, _("Le code postal %(code)s couvre plusieurs communes : choisissez la vôtre.", code=code)
        )
    same_insee = db.session.get(Commune, code)
    if same_insee is not None:
        return _choice(
            (same_insee,),
            _(
                "Aucune commune n'a le code postal %(code)s. C'est le code INSEE de %(name)s : "
                "choisissez-la si c'est bien elle, ou tapez le nom ou le code postal de votre commune.",
                code=code,
                name=same_insee.name,
            ),
        )
    return _choice(
        (), _("Aucune commune n'a le code postal %(code)s : vérifiez-le ou tapez le nom de la commune.", code=code)
    )


def _has_code(commune: Commune, code: str) -> bool:
    typed = _INSEE_TYPED.fullmatch(code)
    if typed:
        return commune.insee == typed["code"].upper()
    return code in commune.postal_code_list or commune.dep_code == code.upper()


def resolve_commune(value: str) -> Commune | None:
    """The one commune `value` stands for (see lookup_commune), or None."""
    return lookup_commune(value).commune


def insee_reference(code: str) -> str:
    """How an INSEE code is typed to be read as one ("INSEE 13055"): for the API, whose
    `commune` parameters are documented as INSEE codes. Anything else is left as it is."""
    code = (code or "").strip()
    return f"INSEE {code.upper()}" if re.fullmatch(INSEE_CODE, code, re.IGNORECASE) else code


def commune_text(commune: Commune) -> str:
    """What a commune box shows for this commune, and reads back as this commune: its
    name when no other commune has it, else its label, else its INSEE code."""
    return commune_texts([commune])[0]


def commune_texts(communes) -> list[str]:
    """commune_text of each commune, with one query for the names (a list of candidates)."""
    communes = list(communes)
    if not communes:
        return []
    names = {c.search_name for c in communes}
    counts = dict(
        db.session.execute(
            select(Commune.search_name, func.count())
            .where(Commune.search_name.in_(names))
            .group_by(Commune.search_name)
        )
        .tuples()
        .all()
    )
    return [commune.name if counts.get(commune.search_name) == 1 else _namesake_text(commune) for commune in communes]


def _namesake_text(commune: Commune) -> str:
    if lookup_commune(commune.label).commune is commune:
        return commune.label
    return f"{commune.name} (INSEE {commune.insee})"


def around_commune(name: str) -> str:
    """ "autour de Marseille", "autour d'Aix-en-Provence", "autour du Cannet", "autour des
    Pennes-Mirabeau", "autour de La Ciotat" (French elision and articles: `app.core.french.de_commune`);
    "around …" in English."""
    return _("autour %(de_commune)s", de_commune=of_commune(name))


def departement_names() -> dict[str, str]:
    """{"13": "Bouches-du-Rhône", ...}: how a département is shown (never its bare code)."""
    return dict(db.session.execute(select(Commune.dep_code, Commune.dep_name).distinct()).tuples().all())


def distance_km(a: Commune, b: Commune) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))
