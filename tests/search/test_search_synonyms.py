"""Synonyms given to the backends as plain data (issue 14): Meilisearch's `synonyms` setting built
from the groups (mutual, phrases in several groups, keys Meilisearch looks up), in the settings that
setup() applies and in the update pushed when the table changes; the SQL backend keeps the groups."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from search import BackendUnavailable, FallbackBackend, SqlBackend, make_backend
from search.meili import MeiliBackend, index_settings, meili_synonyms

DEAD_URL = "http://127.0.0.1:9"  # nothing listens there

GROUPS = (
    ("site web", "site internet"),
    ("smartphone", "téléphone", "portable"),
    ("ordinateur portable", "portable", "laptop"),
    ("CM", "community manager", "gestion des réseaux sociaux"),
)


def test_meili_synonyms_are_mutual_per_group_and_merge_groups():
    synonyms = meili_synonyms(GROUPS)
    assert synonyms["site web"] == ["site internet"] and synonyms["site internet"] == ["site web"]
    # a phrase in two groups gets the others of both, in the groups' order (not transitive)
    assert synonyms["portable"] == ["smartphone", "téléphone", "ordinateur portable", "laptop"]
    assert synonyms["smartphone"] == ["téléphone", "portable"] and "laptop" not in synonyms["smartphone"]
    assert synonyms["cm"] == ["community manager", "gestion des réseaux sociaux"]  # lowercased
    # a 4-word phrase is found from the others but is no key: Meilisearch looks up 1 to 3 words only
    assert "gestion des réseaux sociaux" not in synonyms
    assert list(synonyms) == sorted(synonyms)


def test_meili_synonyms_fold_like_meilisearch():
    # Meilisearch lowercases and removes accents: one key, the first spelling kept
    synonyms = meili_synonyms([("aînés", "seniors"), ("Aines", "personnes âgées")])
    assert synonyms == {
        "aînés": ["seniors", "personnes âgées"],
        "personnes âgées": ["aînés"],
        "seniors": ["aînés"],
    }
    assert meili_synonyms([]) == {} and meili_synonyms([("  Site   Web ", "site web")]) == {}


def test_the_settings_carry_the_synonyms():
    assert index_settings()["synonyms"] == {}
    assert index_settings(GROUPS)["synonyms"] == meili_synonyms(GROUPS)
    backend = MeiliBackend(DEAD_URL, synonyms=[list(g) for g in GROUPS])
    assert backend.synonyms == GROUPS
    with pytest.raises(BackendUnavailable):  # setup() sends them with the other settings…
        backend.setup()
    with pytest.raises(BackendUnavailable):  # …and the table's changes are pushed alone
        backend.update_synonyms([("asso", "association")])
    assert backend.synonyms == (("asso", "association"),)


def test_make_backend_passes_the_groups_to_both_backends(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'syn.sqlite3'}")
    sql = make_backend(engine, synonyms=[["asso", "association"]])
    assert isinstance(sql, SqlBackend) and sql.synonyms == (("asso", "association"),)
    both = make_backend(engine, meili_url=DEAD_URL, synonyms=GROUPS)
    assert isinstance(both, FallbackBackend)
    assert both.primary.synonyms == GROUPS and both.fallback.synonyms == GROUPS
    assert make_backend(engine).synonyms == ()
    engine.dispose()
