"""The import job under a real RQ worker: the page stores the file and returns at once (the batch waits);
a real `rq worker` process imports it, chunk by chunk, and the report is complete."""

from __future__ import annotations

import uuid

import pytest
from redis import Redis

from tests.conftest import REDIS_URL, run_rq_worker
from tests.opendata.test_imports import lmn_csv, place


@pytest.fixture
def files_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))  # the app's and the worker's (env copied)


def test_an_import_runs_in_a_real_rq_worker(files_env, rq_app):
    from app.accounts.models import User
    from app.core.jobs import commit, enqueue
    from app.core.models import utcnow
    from app.extensions import db
    from app.opendata import imports
    from app.opendata import jobs as import_jobs
    from app.opendata.models import ImportBatch

    Redis.from_url(REDIS_URL).delete("rq:queue:hub")
    content = lmn_csv([place(f"rq-{i}", f"Lieu RQ {i}", courriels=f"lieu{i}@rq.example.org") for i in range(3)])
    with rq_app.app_context():
        staff = User(
            email=f"s-{uuid.uuid4().hex[:6]}@hub.example.org",
            password_hash="x",
            full_name="S",
            is_staff=True,
            email_confirmed_at=utcnow(),
        )
        db.session.add(staff)
        db.session.flush()
        batch = imports.prepare_import(staff, "lieux.csv", content)
        import_jobs.store_upload(batch, content)
        enqueue(import_jobs.run_import_job, batch.id)
        commit()
        batch_id = batch.id
        assert db.session.get(ImportBatch, batch_id).status == "pending"
    run_rq_worker(rq_app, "hub")
    with rq_app.app_context():
        db.session.expire_all()
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.status, batch.done, batch.total) == ("done", 3, 3)
        assert batch.counts["invited"] == 3
        assert not import_jobs.upload_path(batch_id).exists()
