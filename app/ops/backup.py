"""Backups that restore: `flask hub backup DEST` and `flask hub restore SRC`.

A backup is one folder:
- `database.dump`: PostgreSQL custom format (`pg_dump -Fc`), or on SQLite
  `database.sqlite3` (an online copy through SQLite's backup API);
- `files.tar.gz`: the files directory (FILES_DIR, the knowledge base's uploads);
- `manifest.json`: date, Alembic revision, row count of every table, file count,
  SHA-256 of both archives, the pg_dump and server versions.

Restore checks the archives against the manifest, replaces the database
(`pg_restore --clean --if-exists --single-transaction`, or the SQLite backup API)
and the files directory's content, then compares the row counts with the manifest.
It refuses to overwrite a database that has tables unless told `--yes`.

PostgreSQL: pg_dump must be of the server's major version or newer (the image
installs postgresql-client 15 for the postgres:15 service). The password is
passed through PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import Engine, make_url

MANIFEST = "manifest.json"
FILES_ARCHIVE = "files.tar.gz"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


# ---------------------------------------------------------------- helpers


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def row_counts(engine: Engine) -> dict[str, int]:
    """Every table of the database and its number of rows."""
    with engine.connect() as conn:
        return _count_rows(conn)


def _count_rows(conn) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _pg_env_and_args(engine: Engine) -> tuple[dict, list[str]]:
    url = make_url(engine.url.render_as_string(hide_password=False))
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return env, args


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise BackupError(f"unreadable version: {version_text!r}")
    return int(match.group(1))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client of the server's version (Debian: postgresql-client)"
        )
    return path


def _check_pg_versions(engine: Engine, tool: str) -> dict:
    client = subprocess.run([_tool(tool), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    with engine.connect() as conn:
        server = conn.execute(text("SHOW server_version")).scalar_one()
    if _major(client.partition(")")[2] or client) < _major(server):  # "pg_dump (PostgreSQL) 15.20 (Debian…)"
        raise BackupError(
            f"{client} is older than the server (PostgreSQL {server}): install the client of the server's major version"
        )
    return {"client": client, "server": server}


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, check=False, env=env, capture_output=True, text=True)  # the code is read below
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


# ---------------------------------------------------------------- backup


def backup(engine: Engine, files_dir: Path, dest: Path) -> dict:
    """Write a backup into the folder `dest` (created; refused if it exists and is not empty)."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} exists and is not empty: choose a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    dialect = engine.dialect.name
    manifest: dict = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dialect": dialect,
        "revision": _revision(engine),
    }
    if dialect == "postgresql":
        manifest["versions"] = _check_pg_versions(engine, "pg_dump")
        env, args = _pg_env_and_args(engine)
        database_file = dest / PG_DUMP_FILE
        # The rows are counted in the very snapshot that pg_dump copies (exported by this transaction),
        # so the manifest matches the dump even while the app keeps writing.
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            manifest["row_counts"] = _count_rows(conn)
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(database_file),
                    *args,
                ],
                env,
            )
    elif dialect == "sqlite":
        database_file = dest / SQLITE_FILE
        source = sqlite3.connect(_sqlite_path(engine))
        target = sqlite3.connect(database_file)
        try:
            source.backup(target)  # a consistent copy, even while the app writes
        finally:
            target.close()
            source.close()
        copy = create_engine(f"sqlite:///{database_file}")
        try:
            manifest["row_counts"] = row_counts(copy)  # counted in the copy itself
        finally:
            copy.dispose()
    else:
        raise BackupError(f"unsupported database: {dialect}")
    manifest["database"] = {"file": database_file.name, "sha256": _sha256(database_file)}
    manifest["files"] = _archive_files(Path(files_dir), dest / FILES_ARCHIVE)
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _archive_files(files_dir: Path, archive: Path) -> dict:
    count = size = 0
    with tarfile.open(archive, "w:gz") as tar:
        if files_dir.exists():
            for path in sorted(files_dir.rglob("*")):
                relative = path.relative_to(files_dir)
                if relative.parts[0] == "tmp" or not path.is_file():
                    continue  # uploads in progress are not kept
                tar.add(path, arcname=str(relative), recursive=False)
                count, size = count + 1, size + path.stat().st_size
    return {"file": archive.name, "sha256": _sha256(archive), "count": count, "bytes": size}


# ---------------------------------------------------------------- restore


def read_manifest(src: Path) -> dict:
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} is not a backup: no {MANIFEST}")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for part in ("database", "files"):
        file = Path(src) / manifest[part]["file"]
        if not file.is_file() or _sha256(file) != manifest[part]["sha256"]:
            raise BackupError(f"{file} is missing or damaged (its SHA-256 differs from the manifest)")
    return manifest


def database_has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


def restore(engine: Engine, files_dir: Path, src: Path, *, overwrite: bool = False) -> dict:
    """Replace the database and the files directory's content with the backup in `src`.
    Returns {"manifest": ..., "differences": {table: (expected, found)}}."""
    src = Path(src)
    manifest = read_manifest(src)
    dialect = engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"this backup is of a {manifest['dialect']} database, the app uses {dialect}")
    if not overwrite and database_has_tables(engine):
        raise BackupError("the database is not empty: restoring replaces everything in it (add --yes)")
    engine.dispose()  # no pooled connection of ours holds a lock on what is dropped
    database_file = src / manifest["database"]["file"]
    if dialect == "postgresql":
        _check_pg_versions(engine, "pg_restore")
        env, args = _pg_env_and_args(engine)
        # A session of the running app holding a table would make DROP wait forever: give up after 30 s
        # (one transaction: nothing changed). Stop web, worker and scheduler before restoring.
        env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c lock_timeout=30s").strip()
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(database_file),
            ],
            env,
        )
    else:
        source = sqlite3.connect(database_file)
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            source.backup(target)  # page by page, in one transaction of the target
        finally:
            target.close()
            source.close()
    engine.dispose()
    _restore_files(src / manifest["files"]["file"], Path(files_dir))
    found = row_counts(engine)
    expected = manifest["row_counts"]
    differences = {
        name: (expected.get(name), found.get(name))
        for name in sorted(set(expected) | set(found))
        if expected.get(name) != found.get(name)
    }
    return {"manifest": manifest, "differences": differences}


def _restore_files(archive: Path, files_dir: Path) -> None:
    """The files directory gets exactly the archive's content. FILES_DIR may be a volume's mount
    point (it cannot be renamed): its entries are replaced, the folder itself stays."""
    files_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=files_dir))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")  # refuses absolute paths, "..", devices, links out
        for entry in files_dir.iterdir():
            if entry != staging:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for entry in staging.iterdir():
            os.replace(entry, files_dir / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
