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

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from payments_helpers import (API_KEY, BACKENDS, ENVIRONMENT, MODELS, PG_BASE, WEBHOOK_SECRET,  # noqa: F401
                              new_session)
from payments.models import use_models

def worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port = free_port()
    log = open(tmp_path_factory.mktemp("localstripe") / "localstripe.log", "wb")
    exe = Path(sys.executable).with_name("localstripe")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "localstripe"]
    process = subprocess.Popen(command + ["--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode} (log: {log.name})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start within 20 s")
            time.sleep(0.05)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class WebhookReceiver:
    """A stdlib HTTP server on 127.0.0.1 collecting the deliveries it receives."""

    def __init__(self):
        self.deliveries: "queue.Queue[tuple[bytes, dict]]" = queue.Queue()
        self.received: list[tuple[bytes, dict]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.deliveries.put((body, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout: float = 10.0) -> tuple[bytes, dict]:
        """The first delivery (already received or arriving) whose parsed event matches ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                while True:
                    try:
                        self.received.append(self.deliveries.get_nowait())
                    except queue.Empty:
                        break
                for body, headers in self.received:
                    if predicate(json.loads(body)):
                        return body, headers
            if time.monotonic() > deadline:
                raise AssertionError("no matching webhook delivery within the timeout")
            time.sleep(0.05)

    def wait_for_object(self, event_type: str, object_id: str, timeout: float = 10.0) -> tuple[bytes, dict]:
        return self.wait_for(lambda e: e["type"] == event_type and e["data"]["object"].get("id") == object_id, timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def webhook_receiver(localstripe):
    receiver = WebhookReceiver()
    data = urllib.parse.urlencode({"url": receiver.url, "secret": WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{localstripe}/_config/webhooks/tests", data=data, method="POST"),
                           timeout=5).read()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def gateway(localstripe):
    from payments.gateway import StripeGateway
    return StripeGateway(API_KEY, api_base=localstripe, webhook_secret=WEBHOOK_SECRET, environment=ENVIRONMENT)
