"""A match run as a real RQ job: enqueued on real Redis after the commit, executed
by a real `rq worker` process, on a database both processes see."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from redis import Redis
from sqlalchemy import select

from tests.browser.conftest import _browser_database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def rq_app(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    from app.core.jobs import commit
    from app.territory.services import load_communes

    url = _browser_database(tmp_path_factory).replace("hubbrowser_", "hubrq_")
    if url.startswith("postgresql"):
        import psycopg
        from tests.conftest import PG_BASE
        admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "rq-test",
                      "JOBS_MODE": "rq", "REDIS_URL": REDIS_URL, "MATCHING_EMBEDDINGS": "off"})
    with app.app_context():
        upgrade()
        load_communes(app.config["COMMUNES_FILE"])
        commit()
    yield app
    with app.app_context():
        from app.extensions import db
        db.engine.dispose()


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

    env = {**os.environ, "DATABASE_URL": rq_app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
           "JOBS_MODE": "rq", "MATCHING_EMBEDDINGS": "off", "SECRET_KEY": "rq-test"}
    worker = subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, queue],
                            env=env, capture_output=True, text=True, timeout=120,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert worker.returncode == 0, worker.stderr[-2000:]
    with rq_app.app_context():
        db.session.expire_all()
        run = db.session.get(MatchRun, run_id)
        assert run.status == RunStatus.DONE, run.error
        assert run.figures["proposals"] == 1 and run.percent == 100
        assert run.proposals[0].offer.title == "Démarches en ligne"
