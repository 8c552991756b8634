"""Names of territories for people: a département or a commune by its name, never by its code alone
("Bouches-du-Rhône (13)", "Toulon (83)")."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.territory.models import Commune


def departement_labels(codes: Iterable[str]) -> dict[str, str]:
    """``{code: "Name (code)"}`` of the départements known to the commune reference (an unknown
    code stays as it is)."""
    wanted = sorted({str(c) for c in codes if c})
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Commune.dep_code, Commune.dep_name).where(Commune.dep_code.in_(wanted)).distinct()
    ).all()
    known = {code: f"{name} ({code})" for code, name in rows}
    return {code: known.get(code, code) for code in wanted}


def commune_names(insee_codes: Iterable[str]) -> dict[str, str]:
    """``{insee: "Name (département)"}`` (an unknown code stays as it is)."""
    wanted = sorted({str(c) for c in insee_codes if c})
    if not wanted:
        return {}
    rows = db.session.execute(select(Commune.insee, Commune.name, Commune.dep_code).where(Commune.insee.in_(wanted)))
    known = {insee: f"{name} ({dep})" for insee, name, dep in rows}
    return {code: known.get(code, code) for code in wanted}


def territory_names(departements: Iterable[str] = (), communes: Iterable[str] = ()) -> list[str]:
    """The names of a list of départements then communes, in the given order (template global)."""
    departements, communes = list(departements or ()), list(communes or ())
    deps, towns = departement_labels(departements), commune_names(communes)
    return [deps[str(c)] for c in departements if c] + [towns[str(c)] for c in communes if c]
