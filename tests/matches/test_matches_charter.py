"""The charter's labels felt in the app's matching runs: levels read from the labels, the need's
preference ("only" keeps unlabelled providers out), the explanation in French and English; and the
need form keeps the preference."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

import matching
from app.charter.models import SubjectKind
from app.core.jobs import commit
from app.matches import runs as match_runs
from app.matches.instance import build_instance
from app.needs.models import Need
from tests.charter_effects_helpers import grant_label
from tests.conftest import login, page_text, post_form


def _setup(factory, preference=""):
    staff = factory.staff()
    need = factory.need(
        title="Sécuriser nos ordinateurs",
        skills=["securite.cybersecurite"],
        organisation=factory.organisation(name="Cabinet infirmier", kind="profession_liberale", commune="83137"),
        charter_preference=preference,
    )
    near = factory.offer(
        provider=factory.provider(name="Cyber Var", commune="83137", radius_km=30),
        title="Audit de sécurité",
        skills=["securite.cybersecurite"],
    )
    labelled = factory.offer(
        provider=factory.provider(name="Libre Toulon", commune="83137", radius_km=30),
        title="Audit libre",
        skills=["securite.cybersecurite"],
    )
    return staff, need, near, labelled


def test_the_instance_carries_levels_and_preferences(factory, db_session):
    _staff, need, near, labelled = _setup(factory, "only")
    grant_label(SubjectKind.PROVIDER, labelled.provider_id, 3)
    own = factory.offer(provider=near.provider, title="Atelier", skills=["securite.cybersecurite"])
    grant_label(SubjectKind.OFFER, own.id, 5)
    inst = build_instance().instance
    values = dict(zip(inst.offer_ids.tolist(), inst.offer_charter_values().tolist(), strict=True))
    assert values == {near.id: 0.0, labelled.id: pytest.approx(0.6), own.id: pytest.approx(1.0)}
    assert inst.need_charter is not None
    assert int(inst.need_charter[inst.need_index()[need.id]]) == matching.CHARTER_PREFERENCES["only"]


def test_only_labelled_providers_for_an_only_need(client, factory, db_session):
    staff, need, near, labelled = _setup(factory, "only")
    grant_label(SubjectKind.PROVIDER, labelled.provider_id, 3)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    proposal = next(p for p in run.proposals if p.need_id == need.id)
    assert proposal.offer_id == labelled.id
    assert all(alt["offer_id"] != near.id for alt in proposal.alternatives or [])
    assert {"code": "charter.level", "params": {"level": 3}}.items() <= {
        k: v for ph in proposal.explanation_phrases if ph["code"] == "charter.level" for k, v in ph.items()
    }.items()

    login(client, staff)
    french = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert "labellisé charte niveau 3" in french
    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert "charter-labelled, level 3" in english
    assert "labellisé charte" not in english


def test_without_a_label_an_only_need_gets_no_proposal(factory, db_session):
    staff, need, _near, _labelled = _setup(factory, "only")
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    assert [p for p in run.proposals if p.need_id == need.id] == []


def _need_form(org, preference):
    return {
        "organisation_id": str(org.id),
        "title": "Passer aux logiciels libres",
        "description": "Nous avons cinq postes sous Windows.",
        "skills": ["libre.migration"],
        "commune": "Avignon (84000)",
        "modality": "on_site",
        "funding_mode": "volunteer",
        "charter_preference": preference,
        "contact_name": "Sophie Martin",
        "contact_email": "sophie@mistral.example.org",
        "publish": "1",
    }


def test_a_need_saved_with_only_keeps_it(client, factory, db_session):
    user = factory.user()
    org = factory.organisation(owner=user)
    login(client, user)
    form = page_text(client.get("/besoins/nouveau"))
    assert "Prestataires labellisés charte" in form
    for value, words in (("", "pas de préférence"), ("prefer", "de préférence"), ("only", "uniquement")):
        assert re.search(rf'type="radio"[^>]*value="{value}"', form) and words in form
    r = post_form(client, "/besoins/nouveau", _need_form(org, "only"))
    assert r.status_code == 302, page_text(r)
    need = db_session.scalar(select(Need).where(Need.organisation_id == org.id))
    assert need.charter_preference == "only"
    detail = page_text(client.get(f"/besoins/{need.id}"))
    assert "Prestataires labellisés charte" in detail and "uniquement" in detail
    edit = page_text(client.get(f"/besoins/{need.id}/modifier"))
    assert re.search(r'<input[^>]*checked[^>]*value="only"|<input[^>]*value="only"[^>]*checked', edit)


def test_a_made_up_preference_is_refused(client, factory, db_session):
    user = factory.user()
    org = factory.organisation(owner=user)
    login(client, user)
    r = post_form(client, "/besoins/nouveau", _need_form(org, "toujours"))
    assert r.status_code == 422
    assert db_session.scalar(select(func.count()).select_from(Need)) == 0
