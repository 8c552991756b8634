"""The import job: the page stores the file and records its batch; the job imports it a chunk at a time,
committing after each chunk so that the page's progress bar moves (under RQ; in-process, it runs right
after the page's commit)."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app

from app.core.errors import ServiceError
from app.core.jobs import commit, rollback
from app.extensions import db
from app.opendata.exports import write_atomically
from app.opendata.imports import run_import
from app.opendata.models import ImportBatch

log = logging.getLogger(__name__)


def upload_path(batch_id: int) -> Path:
    return Path(current_app.config["FILES_DIR"]) / "opendata" / "imports" / f"batch-{batch_id}"


def store_upload(batch: ImportBatch, content: bytes) -> None:
    write_atomically(upload_path(batch.id), content)


def run_import_job(batch_id: int) -> None:
    batch = db.session.get(ImportBatch, batch_id)
    path = upload_path(batch_id)
    if batch is None or batch.status != "pending" or not path.exists():
        return  # already run (a retried job), or its file is gone
    try:
        run_import(batch, path.read_bytes(), on_progress=commit)
    except ServiceError as error:
        rollback()
        batch = db.session.get(ImportBatch, batch_id)
        batch.status, batch.error = "failed", str(error.message)
        log.warning("opendata import %s failed: %s", batch_id, error.message)
    commit()
    path.unlink(missing_ok=True)
