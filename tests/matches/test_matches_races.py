"""Races on real PostgreSQL (whatever TEST_DATABASE says: the row locks under test
are PostgreSQL's): several provider members accept one proposal at once, both sides'
members give their feedback at once. One mission, one feedback per side; the other
requests get a normal refusal (a redirect with a message) or a 409, never a 500.

Each request runs in its own thread with its own session and connection, on a
database of committed data (not the rolled-back test transaction)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import func, select

from tests.conftest import PG_BASE, Factory, _worker, csrf_token_for, fresh_app, login

THREADS = 4
ROUNDS = 3


@pytest.fixture(scope="module")
def race_app():
    from tests.conftest import IsolatedClient

    url = f"{PG_BASE}/hubrace_{_worker()}"
    app = fresh_app(url, TESTING=True, SECRET_KEY="race-test", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 2})
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "hubrace_{_worker()}" WITH (FORCE)')


def _world(app, round_no: int):
    """An approved proposal to a provider with THREADS members (committed)."""
    from app.accounts.models import MemberRole, Membership
    from app.core.jobs import commit
    from app.extensions import db
    from app.matches import runs as match_runs
    from app.matches import services as matches

    with app.app_context():
        factory = Factory(db.session)
        staff = factory.staff()
        org_user = factory.user()
        org = factory.organisation(owner=org_user, name=f"Asso {round_no}")
        need = factory.need(organisation=org, user=org_user, commune_insee="84007", title=f"Former l'équipe {round_no}")
        factory.offer(provider=factory.provider(commune="84007"))
        db.session.flush()
        run = match_runs.start_run(staff, {"skills": 1.0, "distance": 0.5}, dep_codes=["84"])
        match_runs.run_match_job(run.id)
        proposal = next(p for p in run.proposals if p.need_id == need.id)
        matches.approve(staff, proposal)
        provider = proposal.provider  # the members of the provider the proposal went to answer it
        for _ in range(THREADS - len(provider.memberships)):
            db.session.add(Membership(user=factory.user(), provider=provider, role=MemberRole.MEMBER))
        for _ in range(THREADS - 1):
            db.session.add(Membership(user=factory.user(), organisation=org, role=MemberRole.MEMBER))
        db.session.flush()
        db.session.expire_all()
        members = [m.user for m in proposal.provider.memberships][:THREADS]
        org_members = [m.user for m in org.memberships][:THREADS]
        commit()
        return proposal.id, [u.id for u in members], [u.id for u in org_members]


def _race(app, user_ids, url, data):
    """One thread per user: GET a CSRF token, wait for all, POST at once."""
    from app.accounts.models import User
    from app.extensions import db

    barrier = threading.Barrier(len(user_ids))
    statuses, errors = [], []

    def one(user_id):
        try:
            client = app.test_client()
            with app.app_context():
                login(client, db.session.get(User, user_id))
            token = csrf_token_for(client)
            barrier.wait(timeout=30)
            statuses.append(client.post(url, data={**data, "csrf_token": token}).status_code)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=one, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


def _count(app, model, **where):
    from app.extensions import db

    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        count = db.session.scalar(stmt)
        db.session.remove()
        return count


def test_concurrent_accepts_of_one_proposal_make_one_mission(race_app):
    from app.matches.models import Mission, Proposal, ProposalEvent

    for round_no in range(ROUNDS):
        proposal_id, members, _org = _world(race_app, round_no)
        statuses = _race(race_app, members, f"/missions/propositions/{proposal_id}", {"response": "accept"})
        assert all(s in (302, 303, 409) for s in statuses), statuses
        assert _count(race_app, Mission, proposal_id=proposal_id) == 1
        assert _count(race_app, ProposalEvent, proposal_id=proposal_id, action="accepted") == 1
        with race_app.app_context():
            from app.extensions import db

            assert db.session.get(Proposal, proposal_id).status.value == "accepted"
            db.session.remove()


def test_concurrent_feedbacks_on_one_mission_keep_one_per_side(race_app):
    from app.accounts.models import User
    from app.core.jobs import commit
    from app.extensions import db
    from app.matches import missions as match_missions
    from app.matches import services as matches
    from app.matches.models import Feedback, Mission

    for round_no in range(ROUNDS):
        proposal_id, members, org_members = _world(race_app, 100 + round_no)
        with race_app.app_context():
            mission = matches.respond(
                db.session.get(User, members[0]), db.session.get(matches.Proposal, proposal_id), accept=True
            )
            match_missions.confirm_completion(db.session.get(User, members[0]), mission)
            match_missions.confirm_completion(db.session.get(User, org_members[0]), mission)
            commit()
            mission_id = mission.id
            db.session.remove()
        statuses = _race(
            race_app, org_members + members, f"/missions/{mission_id}/avis", {"rating": "4", "comment": "Très bien"}
        )
        assert all(s in (302, 303, 409) for s in statuses), statuses
        assert _count(race_app, Feedback, mission_id=mission_id, side="organisation") == 1
        assert _count(race_app, Feedback, mission_id=mission_id, side="provider") == 1
        assert _count(race_app, Mission, proposal_id=proposal_id) == 1
