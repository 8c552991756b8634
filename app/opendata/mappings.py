"""The mappings of our vocabularies to the national referentials, read from mappings.yaml.

Checked when the app starts (`create_app` calls `load_mappings()`): every value must belong to its
referential (the LMN table schema's own patterns; data·inclusion's enums) and every code of ours must
be mapped, so a new skill, an unknown LMN label or a misspelt data·inclusion code stops the app at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from data_inclusion.schema import v1 as di

from app.directory.skills import valid_codes
from app.directory.vocab import MODALITIES, OFFER_CATEGORIES, PRICE_MODES

MAPPINGS_FILE = Path(__file__).with_name("mappings.yaml")
LMN_SCHEMA_FILE = Path(__file__).with_name("schema-lieux-mediation-numerique-1.0.2.json")  # ships in the wheel
LMN_VERSION = "1.0.2"
DI_VERSION = "1.0.10"


class MappingError(ValueError):
    """mappings.yaml names a code that is not in a referential, or forgets one of ours."""


@dataclass(frozen=True)
class Mappings:
    lmn: dict[str, Any]
    di: dict[str, Any]

    def lmn_services(self, skills: list[str]) -> list[str]:
        return _union(self.lmn["services"].get(s, []) for s in skills)

    def di_thematiques(self, skills: list[str]) -> list[str]:
        return _union(self.di["thematiques"].get(s, []) for s in skills)


def _union(lists) -> list[str]:
    out: dict[str, None] = {}
    for values in lists:
        out.update(dict.fromkeys(values))
    return list(out)


@lru_cache(maxsize=1)
def lmn_schema() -> dict:
    return json.loads(LMN_SCHEMA_FILE.read_text(encoding="utf-8"))


def lmn_pattern(field: str) -> re.Pattern:
    for spec in lmn_schema()["fields"]:
        if spec["name"] == field:
            return re.compile(spec["constraints"]["pattern"])
    raise MappingError(f"opendata: the LMN schema has no field {field!r}")


def _check_keys(section: str, mapping: dict, expected: set[str]) -> None:
    unknown = sorted(set(mapping) - expected)
    if unknown:
        raise MappingError(f"opendata: unknown codes {unknown} in {section}")
    missing = sorted(expected - set(mapping))
    if missing:
        raise MappingError(f"opendata: {section} does not map {missing} (an empty list says 'no equivalent')")


def _check_lmn_values(section: str, field: str, values: list) -> None:
    pattern = lmn_pattern(field)
    if not isinstance(values, list):
        raise MappingError(f"opendata: {section} must be a list")
    bad = [v for v in values if not isinstance(v, str) or not pattern.fullmatch(v)]
    if bad:
        raise MappingError(f"opendata: {bad} in {section} are not values of the LMN field {field!r}")


def _check_di_values(section: str, enum: type, values) -> None:
    allowed = {e.value for e in enum}
    values = values if isinstance(values, list) else [values]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise MappingError(f"opendata: {bad} in {section} are not data·inclusion {enum.__name__} codes")


def validate_mappings(data: dict) -> Mappings:
    """Check every key against our vocabularies and every value against its referential."""
    try:
        lmn, dinc = data["lmn"], data["di"]
        skills, categories, modalities, prices = valid_codes(), set(OFFER_CATEGORIES), set(MODALITIES), set(PRICE_MODES)
        lmn_sections = (
            ("services", skills, "services"),
            ("modalites_accompagnement", categories, "modalites_accompagnement"),
            ("modalites_accompagnement_par_modalite", modalities, "modalites_accompagnement"),
            ("frais_a_charge", prices, "frais_a_charge"),
        )
        for section, keys, field in lmn_sections:
            _check_keys(f"lmn.{section}", lmn[section], keys)
            for code, values in lmn[section].items():
                _check_lmn_values(f"lmn.{section}.{code}", field, values)
        _check_lmn_values("lmn.modalites_acces", "modalites_acces", lmn["modalites_acces"])
        _check_lmn_values("lmn.modalites_acces_avec_contact", "modalites_acces", lmn["modalites_acces_avec_contact"])
        di_sections = (
            ("thematiques", skills, di.Thematique),
            ("types", categories, di.TypeService),
            ("modes_accueil", modalities, di.ModeAccueil),
            ("frais", prices, di.Frais),
        )
        for section, keys, enum in di_sections:
            _check_keys(f"di.{section}", dinc[section], keys)
            for code, values in dinc[section].items():
                _check_di_values(f"di.{section}.{code}", enum, values)
        _check_di_values("di.publics", di.Public, dinc["publics"])
        _check_di_values("di.mobilisable_par", di.PersonneMobilisatrice, dinc["mobilisable_par"])
        _check_di_values("di.modes_mobilisation", di.ModeMobilisation, dinc["modes_mobilisation"])
    except (KeyError, TypeError, AttributeError) as error:
        raise MappingError(f"opendata: mappings.yaml is malformed ({error!r})") from None
    return Mappings(lmn=lmn, di=dinc)


@lru_cache(maxsize=1)
def load_mappings() -> Mappings:
    return validate_mappings(yaml.safe_load(MAPPINGS_FILE.read_text(encoding="utf-8")))
