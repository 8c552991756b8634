"""A match run as a real RQ job: enqueued on real Redis after the commit, executed
by a real `rq worker` process, on a database both processes see."""
from __future__ import annotations

import uuid

from redis import Redis

from tests.conftest import REDIS_URL, run_rq_worker


def test_run_executes_in_a_real_rq_worker(rq_app):
    from app.accounts.models import User
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS, utcnow
    from app.directory.services import create_offer, create_organisation, create_provider, move_offer, move_provider
    from app.extensions import db
    from app.matches import services
    from app.matches.models import MatchRun, RunStatus
    from app.needs.services import create_need

    queue = "matching"
    redis = Redis.from_url(REDIS_URL)
    redis.delete(f"rq:queue:{queue}")
    with rq_app.app_context():
        staff = User(email=f"staff-{uuid.uuid4().hex[:6]}@hub.example.org", password_hash="x", full_name="Staff",
                     is_staff=True, email_confirmed_at=utcnow())
        owner = User(email=f"org-{uuid.uuid4().hex[:6]}@hub.example.org", password_hash="x", full_name="Org",
                     email_confirmed_at=utcnow())
        expert = User(email=f"pro-{uuid.uuid4().hex[:6]}@hub.example.org", password_hash="x", full_name="Pro",
                      email_confirmed_at=utcnow())
        db.session.add_all([staff, owner, expert])
        db.session.flush()
        org = create_organisation(owner, {"name": "Mairie de Lourmarin", "kind": "commune", "size": "10_49",
                                          "commune_insee": "84068"})
        provider = create_provider(expert, {"name": "Luberon Numérique", "kind": "mediateur", "commune_insee": "84003",
                                            "radius_km": 30, "languages": ["fr"], "presentation": "Médiation."})
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(expert, provider, {"title": "Démarches en ligne", "category": "atelier",
                                                "skills": ["mediation.demarches"], "modality": "on_site",
                                                "duration_hours": 2, "capacity_per_month": 2,
                                                "price_mode": "volunteer"}, submit=True)
        move_offer(staff, offer, PS.PUBLISHED)
        create_need(owner, org, {"title": "Aider les habitants pour leurs démarches", "skills": ["mediation.demarches"],
                                 "commune_insee": "84068", "modality": "on_site", "funding_mode": "volunteer",
                                 "contact_name": "Secrétariat", "contact_email": "mairie@lourmarin.example.org"})
        run = services.start_run(staff, {"skills": 1.0})
        run_id = run.id
        assert redis.llen(f"rq:queue:{queue}") == 0  # nothing is enqueued before the commit
        commit()
        assert redis.llen(f"rq:queue:{queue}") == 1
        assert db.session.get(MatchRun, run_id).status == RunStatus.QUEUED

    run_rq_worker(rq_app, queue)
    with rq_app.app_context():
        db.session.expire_all()
        run = db.session.get(MatchRun, run_id)
        assert run.status == RunStatus.DONE, run.error
        assert run.figures["proposals"] == 1 and run.percent == 100
        assert run.proposals[0].offer.title == "Démarches en ligne"
