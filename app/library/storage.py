"""Content-addressed file storage under FILES_DIR (default: instance/files).

A file's path is its SHA-256: `ab/cd/abcdef…`. The same content uploaded twice
(to one resource or to two) is one file on disk and one `StoredBlob` row.

Uploads are spooled to FILES_DIR/tmp while they are hashed and measured (never
read whole into memory), then moved into place atomically. A blob written by a
transaction that rolls back stays on disk without a row: harmless (its name is
its content), and `flask library gc-files` removes such orphans.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 1024 * 1024


class TooLarge(Exception):
    pass


@dataclass
class Spooled:
    path: Path
    sha256: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def files_dir() -> Path:
    return Path(current_app.config["FILES_DIR"])


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return files_dir() / sha256[:2] / sha256[2:4] / sha256


def spool(stream: BinaryIO, max_bytes: int) -> Spooled:
    """Copy `stream` to a temporary file while hashing it; TooLarge past `max_bytes`."""
    tmp_dir = files_dir() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    # SIM115 is silenced: the file outlives its handle (delete=False); the `with` below closes the handle
    handle = tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-", delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path=path, sha256=digest.hexdigest(), size=size)


def keep(spooled: Spooled) -> Path:
    """Move a spooled upload to its content address (or drop it when that content is already stored)."""
    target = blob_path(spooled.sha256)
    if target.exists():
        spooled.discard()
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(spooled.path, target)
    return target


def orphans(known: set[str]) -> list[Path]:
    """Stored files that no row refers to (and temporary files older than a day)."""
    root = files_dir()
    found = []
    if not root.exists():
        return found
    for path in root.glob("??/??/*"):
        if path.is_file() and path.name not in known:
            found.append(path)
    for path in (root / "tmp").glob("upload-*"):
        if path.is_file() and path.stat().st_mtime < time.time() - 86400:
            found.append(path)
    return found
