"""Fixtures of the search tests.

The contract suite runs against every backend:
- "sqlite": SqlBackend on a SQLite file of the session (always);
- "postgresql": SqlBackend on a PostgreSQL database `search_test_<xdist worker>`
  created for the session and dropped after it (always; TEST_PG_URL, default
  postgresql+psycopg://postgres@127.0.0.1:5432, as tests/conftest.py);
- "meilisearch": MeiliBackend on the server at MEILI_URL (key: MEILI_MASTER_KEY
  or MEILI_API_KEY), indexes prefixed `test_<worker>_`. No Meilisearch server
  can be installed on the development machines, so WITHOUT MEILI_URL THESE
  CASES ARE SKIPPED, visibly (pytest -ra lists them with the reason);
  docker compose sets MEILI_URL.
"""

from __future__ import annotations

import os

import pytest
from search_helpers import corpus_documents
from sqlalchemy import create_engine

from search import KINDS, SqlBackend

PG_BASE = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
MEILI_URL = os.environ.get("MEILI_URL", "")
MEILI_SKIP_REASON = (
    "MEILI_URL is not set: the Meilisearch backend runs this contract only against a live "
    "server (docker compose sets MEILI_URL); none can be installed here"
)


def _worker() -> str:
    # HUB_TEST_NS keeps apart the databases of several checkouts testing at once on one server.
    return os.environ.get("HUB_TEST_NS", "") + os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_admin_url() -> str:
    return PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory):
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_engine():
    import psycopg

    name = f"search_test_{_worker()}"
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = create_engine(f"{PG_BASE}/{name}")
    yield engine
    engine.dispose()
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_backend(sqlite_engine):
    backend = SqlBackend(sqlite_engine)
    backend.setup()
    return backend


@pytest.fixture(scope="session")
def pg_backend(pg_engine):
    backend = SqlBackend(pg_engine)
    backend.setup()
    return backend


@pytest.fixture(scope="session")
def meili_backend():
    if not MEILI_URL:
        pytest.skip(MEILI_SKIP_REASON)
    from search.meili import MeiliBackend

    key = os.environ.get("MEILI_MASTER_KEY") or os.environ.get("MEILI_API_KEY")
    backend = MeiliBackend(MEILI_URL, key, prefix=f"test_{_worker()}_", timeout=10)
    backend.setup()
    return backend


_BACKEND_FIXTURES = {
    "sqlite": "sqlite_backend",
    "postgresql": "pg_backend",
    "meilisearch": "meili_backend",
}


@pytest.fixture(params=list(_BACKEND_FIXTURES))
def backend(request):
    """Each backend in turn, emptied."""
    b = request.getfixturevalue(_BACKEND_FIXTURES[request.param])
    for kind in KINDS:
        b.clear(kind)
    return b


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_backend(request):
    b = request.getfixturevalue(_BACKEND_FIXTURES[request.param])
    for kind in KINDS:
        b.clear(kind)
    return b


@pytest.fixture
def corpus(backend):
    docs = corpus_documents()
    for kind, items in docs.items():
        backend.index(kind, items)
    return backend
