"""The mappings to the national referentials are checked against the referentials themselves."""

from __future__ import annotations

import copy

import pytest
import yaml

from app import create_app
from app.opendata import mappings
from app.opendata.mappings import MappingError, load_mappings, validate_mappings


def _data() -> dict:
    return yaml.safe_load(mappings.MAPPINGS_FILE.read_text(encoding="utf-8"))


def test_the_shipped_mappings_cover_every_code_and_name_only_national_values():
    m = load_mappings()
    assert m.lmn_services(["mediation.demarches"]) == ["Aide aux démarches administratives"]
    assert "numerique--acquerir-un-equipement" in m.di_thematiques(["materiel.reconditionnement"])
    assert m.di["types"]["espace"] == "aide-materielle"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("lmn", "services", "mediation.demarches"), ["Aide aux demarches"], "not values of the LMN field"),
        (("lmn", "frais_a_charge", "paid"), ["Cher"], "not values of the LMN field"),
        (("di", "thematiques", "presence.site_web"), ["numerique--faire-un-site"], "Thematique"),
        (("di", "types", "atelier"), "workshop", "TypeService"),
        (("di", "modes_accueil", "remote"), ["visio"], "ModeAccueil"),
    ],
)
def test_an_unknown_national_code_is_refused(path, value, message):
    data = copy.deepcopy(_data())
    data[path[0]][path[1]][path[2]] = value
    with pytest.raises(MappingError, match=message):
        validate_mappings(data)


def test_a_forgotten_or_unknown_code_of_ours_is_refused():
    data = copy.deepcopy(_data())
    del data["di"]["thematiques"]["presence.site_web"]
    with pytest.raises(MappingError, match="does not map"):
        validate_mappings(data)
    data = copy.deepcopy(_data())
    data["lmn"]["modalites_accompagnement"]["webinaire"] = ["À distance"]
    with pytest.raises(MappingError, match="unknown codes"):
        validate_mappings(data)


def test_the_app_refuses_to_start_with_a_bad_mapping(tmp_path, monkeypatch):
    data = _data()
    data["lmn"]["services"]["mediation.demarches"] = ["Démarches"]
    bad = tmp_path / "mappings.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(mappings, "MAPPINGS_FILE", bad)
    load_mappings.cache_clear()
    try:
        with pytest.raises(MappingError):
            create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    finally:
        load_mappings.cache_clear()
