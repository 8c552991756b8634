"""Fixtures of the payments tests: no Flask, no app.

- The models are bound to a test declarative Base (with the app's naming
  convention), as the app will bind them to its own; sessions select that
  binding with `use_models`.
- Databases: SQLite and PostgreSQL. TEST_DATABASE=sqlite|postgresql (the app's
  convention, `make test` runs the suite once per value) picks one; unset, the
  database tests run on both. PostgreSQL: TEST_PG_URL (default
  postgresql+psycopg://postgres@127.0.0.1:5432), one database per xdist worker,
  created and dropped per session. Each test runs in a transaction rolled back
  at the end (savepoints inside, as in the app).
- Stripe: one real localstripe process per test session (per xdist worker) on
  a free port, killed at the end; one stdlib HTTP server on 127.0.0.1 receives
  its signed webhooks.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from payments_helpers import API_KEY, BACKENDS, ENVIRONMENT, MODELS, PG_BASE, WEBHOOK_SECRET, new_session  # noqa: F401
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from payments.models import use_models
from tests.localstripe_server import WebhookReceiver as SharedReceiver
from tests.localstripe_server import start_localstripe, stop_localstripe


def worker() -> str:
    # HUB_TEST_NS keeps apart the databases of several checkouts testing at once (as tests/conftest.py).
    return os.environ.get("HUB_TEST_NS", "") + os.environ.get("PYTEST_XDIST_WORKER", "main")


# ---------------------------------------------------------------- databases


def _sqlite_engine(path: Path):
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # let SQLAlchemy drive transactions (so SAVEPOINTs work), as the app does
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if not conn.connection.dbapi_connection.in_transaction:  # the app may have its own global hook
            conn.exec_driver_sql("BEGIN")

    return engine


def _pg_admin_url() -> str:
    return PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"


def _create_databases(tmp_path_factory, tag: str):
    created, pg_name = {}, f"paytest_{tag}_{worker()}"
    if "sqlite" in BACKENDS:
        engine = _sqlite_engine(tmp_path_factory.mktemp("paydb") / f"payments_{tag}.sqlite3")
        MODELS.metadata.create_all(engine, tables=MODELS.tables)
        created["sqlite"] = engine
    if "postgresql" in BACKENDS:
        import psycopg

        with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        engine = create_engine(f"{PG_BASE}/{pg_name}", pool_size=20, max_overflow=20)
        MODELS.metadata.create_all(engine, tables=MODELS.tables)
        created["postgresql"] = engine
    return created, pg_name


def _drop_databases(created, pg_name):
    for engine in created.values():
        engine.dispose()
    if "postgresql" in created:
        import psycopg

        with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def engines(tmp_path_factory):
    """Databases where every test's work is rolled back."""
    created, pg_name = _create_databases(tmp_path_factory, "rb")
    yield created
    _drop_databases(created, pg_name)


@pytest.fixture(scope="session")
def commit_engines(tmp_path_factory):
    """Databases for tests that really commit (concurrency, COMMIT-time checks): kept apart so
    their rows never show in the balances of the rolled-back tests."""
    created, pg_name = _create_databases(tmp_path_factory, "cm")
    yield created
    _drop_databases(created, pg_name)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def engine(engines, backend):
    return engines[backend]


@pytest.fixture
def commit_engine(commit_engines, backend):
    return commit_engines[backend]


@pytest.fixture
def db(engine):
    """A session whose work is rolled back at the end of the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = use_models(Session(bind=connection, join_transaction_mode="create_savepoint"), MODELS)
    try:
        yield session
    finally:
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def models():
    return MODELS


# ---------------------------------------------------------------- localstripe


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """One real localstripe process for this session (xdist worker): its base URL."""
    process, base, log = start_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    try:
        yield base
    finally:
        stop_localstripe(process, log)


class WebhookReceiver(SharedReceiver):
    def wait_for_object(self, event_type: str, object_id: str, timeout: float = 10.0) -> tuple[bytes, dict]:
        return self.wait_for_event(event_type, object_id, timeout)


@pytest.fixture(scope="session")
def webhook_receiver(localstripe):
    receiver = WebhookReceiver()
    data = urllib.parse.urlencode({"url": receiver.url, "secret": WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(
        urllib.request.Request(f"{localstripe}/_config/webhooks/tests", data=data, method="POST"), timeout=5
    ).read()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def gateway(localstripe):
    from payments.gateway import StripeGateway

    return StripeGateway(API_KEY, api_base=localstripe, webhook_secret=WEBHOOK_SECRET, environment=ENVIRONMENT)
