"""Indexing as a real RQ job: nothing is enqueued before the commit; a real
`rq worker` process indexes the offer; the search then finds it."""

from __future__ import annotations

import uuid

from redis import Redis

from tests.conftest import REDIS_URL, run_rq_worker


def test_offer_indexed_by_a_real_rq_worker_after_commit(rq_app):
    from app.accounts.models import User
    from app.core.jobs import commit
    from app.core.models import PublicationStatus as PS
    from app.core.models import utcnow
    from app.directory.services import create_offer, create_provider, move_offer, move_provider
    from app.extensions import db
    from app.searching.services import SearchRequest, build_query, get_backend

    redis = Redis.from_url(REDIS_URL)
    redis.delete("rq:queue:search", "rq:queue:hub")
    with rq_app.app_context():
        staff = User(
            email=f"s-{uuid.uuid4().hex[:6]}@hub.example.org",
            password_hash="x",
            full_name="S",
            is_staff=True,
            email_confirmed_at=utcnow(),
        )
        expert = User(
            email=f"e-{uuid.uuid4().hex[:6]}@hub.example.org",
            password_hash="x",
            full_name="E",
            email_confirmed_at=utcnow(),
        )
        db.session.add_all([staff, expert])
        db.session.flush()
        provider = create_provider(
            expert,
            {
                "name": "Gap Numérique",
                "kind": "mediateur",
                "commune_insee": "05061",
                "radius_km": 40,
                "languages": ["fr"],
                "presentation": "Hautes-Alpes.",
            },
        )
        move_provider(staff, provider, PS.PUBLISHED)
        offer = create_offer(
            expert,
            provider,
            {
                "title": "Initiation à la visioconférence",
                "category": "atelier",
                "skills": ["gestion.collaboratif"],
                "modality": "on_site",
                "duration_hours": 2,
                "capacity_per_month": 2,
                "price_mode": "volunteer",
            },
            submit=True,
        )
        move_offer(staff, offer, PS.PUBLISHED)
        assert redis.llen("rq:queue:search") == 0  # nothing before the commit
        commit()
        assert redis.llen("rq:queue:search") == 1
        query, _ = build_query(SearchRequest(text="visioconference"))
        assert get_backend().search(query).total == 0  # not indexed yet: the worker has not run

    run_rq_worker(rq_app, "search", "hub")
    with rq_app.app_context():
        query, _ = build_query(SearchRequest(text="visioconference"))
        result = get_backend().search(query)
        assert [h.title for h in result.hits] == ["Initiation à la visioconférence"]
