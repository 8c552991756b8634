"""A double click on "Envoyer ma demande", for real: the same person's form (one key) posted by
several threads at once on PostgreSQL. One request and one need; every click lands on its page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import Factory
from tests.matches.test_matches_races import _count, _race, race_app  # noqa: F401  (race_app: a fixture)

CLICKS = 4


def _world(app):
    from app.core.jobs import commit
    from app.extensions import db

    with app.app_context():
        factory = Factory(db.session)
        member = factory.user()
        org = factory.organisation(owner=member, name="Asso du double clic")
        offer = factory.offer(provider=factory.provider(name="Prestataire pressé"))
        ids = member.id, org.id, offer.id
        commit()
        return ids


@pytest.mark.parametrize("round_no", range(2))
def test_a_double_click_makes_one_request(race_app, round_no):
    from app.extensions import db
    from app.matches.models import Proposal, ProposalOrigin
    from app.needs.models import Need

    member_id, org_id, offer_id = _world(race_app)
    key = f"double-clic-{round_no}-" + "k" * 16
    data = {
        "request_key": key,
        "organisation_id": str(org_id),
        "title": "Un site pour l'association",
        "description": "Nous n'avons aucun site.",
        "skills": "presence.site_web",
        "commune": "Marseille (13)",
        "modality": "both",
        "funding_mode": "volunteer",
        "contact_name": "Camille",
        "contact_email": "camille@exemple.fr",
    }
    statuses = _race(race_app, [member_id] * CLICKS, f"/offres/{offer_id}/demander", data)
    assert statuses == [302] * CLICKS, statuses
    assert _count(race_app, Need, organisation_id=org_id) == 1
    with race_app.app_context():
        requests = db.session.scalars(
            select(Proposal).where(Proposal.origin == ProposalOrigin.REQUEST, Proposal.offer_id == offer_id)
        ).all()
        assert len(requests) == 1 and requests[0].request_key == key
        db.session.remove()
