"""`flask hub backup` / `flask hub restore`: a round trip on PostgreSQL (always: this
test makes its own PostgreSQL database whatever TEST_DATABASE says) and on SQLite.

Data of every kind the backup must carry (communes, accounts, a published
directory, a need, ledger transactions, a stored file), backup, then changes
(a new ledger transaction, a new account, the file deleted, a stray file),
restore: every table's row count, the ledger's trial balance and the file's
bytes are those of the backup."""

from __future__ import annotations

import io
import json
import os

import pytest
from sqlalchemy import select

from tests.conftest import PG_BASE, Factory, _worker


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres", autocommit=True)


def _fresh_pg_database(name: str) -> str:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def _drop_pg_database(name: str) -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _make_app(url: str, files_dir):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "backup-test",
            "JOBS_MODE": "inprocess",
            "SMTP_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MATCHING_EMBEDDINGS": "off",
            "FILES_DIR": str(files_dir),
        }
    )


def _populate(app) -> bytes:
    """Data in many tables, two ledger transactions and one stored file; returns the file's bytes."""
    from flask_migrate import upgrade

    from app.core.jobs import commit
    from app.extensions import db
    from app.library import storage
    from app.library.models import StoredBlob
    from app.territory.services import load_communes
    from payments import ledger

    upgrade()
    load_communes(app.config["COMMUNES_FILE"])
    factory = Factory(db.session)
    factory.need(organisation=factory.organisation())
    factory.offer()
    ledger.post(
        db.session,
        "programme_funding",
        [("stripe:clearing", 12_345), ("programme:1:fund", -12_345)],
        "backup-test-1",
        memo="funding",
    )
    ledger.post(
        db.session, "programme_funding", [("stripe:clearing", 655), ("programme:1:fund", -655)], "backup-test-2"
    )
    content = os.urandom(200_000) + "é fin".encode()
    spooled = storage.spool(io.BytesIO(content), 10**7)
    storage.keep(spooled)
    db.session.add(StoredBlob(sha256=spooled.sha256, size=spooled.size, mime_type="application/octet-stream"))
    commit()
    return content


def _state(app):
    from app.extensions import db
    from app.ops.backup import row_counts
    from payments import ledger

    db.session.remove()
    balance = ledger.trial_balance(db.session)
    db.session.remove()
    return row_counts(db.engine), (balance.rows, balance.totals)


def _change_everything(app, content: bytes) -> None:
    from app.core.jobs import commit
    from app.extensions import db
    from app.library.models import StoredBlob
    from app.library.storage import blob_path
    from payments import ledger

    ledger.post(
        db.session, "programme_funding", [("stripe:clearing", 999), ("programme:1:fund", -999)], "after-the-backup"
    )
    Factory(db.session).user(email="apres@exemple.fr")
    sha = db.session.scalar(select(StoredBlob.sha256))
    blob_path(sha).unlink()
    (blob_path(sha).parent / "stray").write_bytes(b"not in the backup")
    commit()
    db.session.remove()


def _round_trip(app, tmp_path, fresh_database):
    """Backup, change, refused restore, restore --yes, then restore into an empty database."""
    from app.extensions import db
    from app.library.models import StoredBlob
    from app.library.storage import blob_path

    runner = app.test_cli_runner()
    with app.app_context():
        content = _populate(app)
        before = _state(app)
    counts, balance = before
    assert counts["ledger_transaction"] == 2 and counts["commune"] > 30_000 and counts["stored_blob"] == 1
    assert balance[1] == {"EUR": 0} and balance[0]

    dest = tmp_path / "backup-1"
    result = runner.invoke(args=["hub", "backup", str(dest)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["revision"] and manifest["row_counts"] == counts and manifest["files"]["count"] == 1
    assert runner.invoke(args=["hub", "backup", str(dest)]).exit_code != 0  # never into a used folder

    with app.app_context():
        _change_everything(app, content)
        changed = _state(app)
    assert changed != before

    refused = runner.invoke(args=["hub", "restore", str(dest)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    with app.app_context():
        assert _state(app) == changed  # nothing touched

    result = runner.invoke(args=["hub", "restore", str(dest), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _state(app) == before
        sha = db.session.scalar(select(StoredBlob.sha256))
        assert blob_path(sha).read_bytes() == content
        assert not (blob_path(sha).parent / "stray").exists()
        db.session.remove()

    # The disaster case: an empty database (and no files) gets everything back, no --yes needed.
    fresh_url = fresh_database()
    fresh = _make_app(fresh_url, tmp_path / "files-2")
    result = fresh.test_cli_runner().invoke(args=["hub", "restore", str(dest)])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        assert _state(fresh) == before
        assert blob_path(sha).read_bytes() == content
        db.engine.dispose()


def test_backup_restore_round_trip_on_postgresql(tmp_path):
    name = f"hubbackup_{_worker()}"
    app = _make_app(_fresh_pg_database(name), tmp_path / "files")
    try:
        _round_trip(app, tmp_path, lambda: _fresh_pg_database(name + "_fresh"))
    finally:
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
        _drop_pg_database(name)
        _drop_pg_database(name + "_fresh")


def test_backup_restore_round_trip_on_sqlite(tmp_path):
    app = _make_app(f"sqlite:///{tmp_path / 'hub.sqlite3'}", tmp_path / "files")
    _round_trip(app, tmp_path, lambda: f"sqlite:///{tmp_path / 'fresh.sqlite3'}")


def test_restore_refuses_a_damaged_backup(tmp_path):
    from app.ops.backup import BackupError, read_manifest

    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "format": 1,
                "database": {"file": "database.dump", "sha256": "0" * 64},
                "files": {"file": "files.tar.gz", "sha256": "0" * 64},
            }
        )
    )
    (tmp_path / "database.dump").write_bytes(b"truncated")
    with pytest.raises(BackupError, match="damaged"):
        read_manifest(tmp_path)
