"""A proposal serves the need: an offer that covers none of a need's wanted skills (a match on the kind of
support alone) is proposed only when the need accepts it, and its explanation then says so, in the
reader's language (issue 15)."""

from __future__ import annotations

from sqlalchemy import select

from app.core.jobs import commit
from app.matches import runs as match_runs
from app.needs.models import Need
from tests.conftest import login, page_text, post_form


def _setup(factory, accepts: bool):
    staff = factory.staff()
    need = factory.need(
        title="Créer notre site web",
        skills=["presence.site_web"],
        categories=["atelier"],
        accepts_category_only=accepts,
    )
    offer = factory.offer(title="Atelier « Mon téléphone, mes papiers »", skills=["securite.cybersecurite"])
    return staff, need, offer


def test_no_proposal_on_the_category_alone_by_default(factory, db_session):
    staff, need, _offer = _setup(factory, accepts=False)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    assert [p for p in run.proposals if p.need_id == need.id] == []


def test_a_need_that_accepts_it_is_told_what_is_not_covered(client, factory, db_session):
    staff, need, offer = _setup(factory, accepts=True)
    run = match_runs.start_run(staff, {"skills": 1, "distance": 1})
    commit()
    proposal = next(p for p in run.proposals if p.need_id == need.id)
    assert proposal.offer_id == offer.id
    login(client, staff)
    french = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert "ne couvre aucune compétence demandée (site web" in french
    post_form(client, "/langue", {"lang": "en"})
    english = page_text(client.get(f"/mise-en-relation/propositions/{proposal.id}"))
    assert "covers none of the wanted skills (" in english
    assert "ne couvre aucune" not in english


def test_the_need_form_keeps_the_choice(client, factory, db_session):
    user = factory.user()
    org = factory.organisation(owner=user)
    login(client, user)
    assert "ne couvre aucune compétence recherchée" in page_text(client.get("/besoins/nouveau"))
    values = {
        "organisation_id": str(org.id),
        "title": "Un atelier, même sans site web",
        "description": "Nous voulons un atelier.",
        "skills": ["presence.site_web"],
        "categories": ["atelier"],
        "accepts_category_only": "y",
        "commune": "Avignon (84000)",
        "modality": "on_site",
        "funding_mode": "volunteer",
        "contact_name": "Sophie Martin",
        "contact_email": "sophie@mistral.example.org",
        "publish": "1",
    }
    r = post_form(client, "/besoins/nouveau", values)
    assert r.status_code == 302, page_text(r)
    need = db_session.scalar(select(Need).where(Need.organisation_id == org.id))
    assert need.accepts_category_only is True
