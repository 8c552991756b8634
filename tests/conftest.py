"""Test fixtures: one database per test session (per xdist worker), built by
running the Alembic migrations once, with every French commune loaded; each
test runs inside a transaction that is rolled back.

The database is SQLite by default and PostgreSQL when TEST_DATABASE=postgresql
(`make test` runs the suite on both). PostgreSQL: TEST_PG_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432 (trust auth on this machine).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile

import pytest
from flask.testing import FlaskClient

TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
PG_BASE = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


#: test folders of pure libraries (no app, no database): their tests give the same result in both passes of
#: `make test`, so they run in the SQLite one only, unless a test there asks for the app
DATABASE_FREE = ("matching",)


def _pass_of(item) -> str | None:
    """The one pass of `make test` an item runs in (``None``: both)."""
    marker = item.get_closest_marker("one_pass")
    if marker:
        return marker.args[0]
    parts = item.path.relative_to(item.config.rootpath).parts
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in DATABASE_FREE and "app" not in item.fixturenames:
        return "sqlite"
    return None


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.one_pass("postgresql")`: a slow test of behaviour the database does not change runs in that
    database's pass of `make test` only (deselected, not skipped, in the other; run alone it always runs).  So
    do the tests of the pure libraries (:data:`DATABASE_FREE`), in the SQLite pass."""
    if "TEST_DATABASE" not in os.environ:
        return
    kept, dropped = [], []
    for item in items:
        one = _pass_of(item)
        (dropped if one and one != TEST_DATABASE else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch):
    """Always on: a test that tries to reach a host outside this machine fails."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"test tried to reach {address!r}: only local services are allowed")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _worker() -> str:
    # HUB_TEST_NS keeps apart the databases of several checkouts testing at once on one server.
    return os.environ.get("HUB_TEST_NS", "") + os.environ.get("PYTEST_XDIST_WORKER", "main")


def _database_url(tmp_path_factory) -> str:
    if TEST_DATABASE == "postgresql":
        import psycopg

        name = f"hubtest_{_worker()}"
        admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{PG_BASE}/{name}"
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'hub.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    from app.core.jobs import commit
    from app.territory.services import load_communes

    url = _database_url(tmp_path_factory)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret-key",  # given: no key file under the checkout's instance/
            "FILES_DIR": str(tmp_path_factory.mktemp("files")),  # nor uploaded files there
            "SERVER_NAME": None,
            "JOBS_MODE": "inprocess",
            "SMTP_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MATCHING_EMBEDDINGS": "off",  # the semantic component has its own tests (tests/matches, tests/matching)
        }
    )
    with app.app_context():
        upgrade()
        load_communes(app.config["COMMUNES_FILE"])
        commit()
    yield app
    with app.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """The test's session: everything it (and every request it makes) writes is rolled back."""
    from flask.globals import _cv_app, _cv_request
    from sqlalchemy.orm import Session, scoped_session, sessionmaker

    from app.extensions import db, limiter

    ctx = app.app_context()
    ctx.push()
    connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    # The test's own code and each request it makes get separate sessions (as in
    # production), all on one connection whose outer transaction is rolled back.
    db.session = scoped_session(
        sessionmaker(bind=connection, class_=Session, join_transaction_mode="create_savepoint"),
        scopefunc=lambda: (id(_cv_app.get(None)), id(_cv_request.get(None))),
    )
    limiter.reset()
    from app.accounts.throttle import reset as reset_throttle

    reset_throttle(app)
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        transaction.rollback()
        connection.close()
        ctx.pop()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh `g`, its own session), as in
    production, even though the test itself runs inside an app context."""

    def open(self, *args, **kwargs):
        from flask.globals import _cv_app

        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def client(app, db_session):
    app.test_client_class = IsolatedClient
    return app.test_client()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_for(client) -> str:
    page = client.get("/").get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, "no CSRF token on the home page"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form like a browser would: with the session's CSRF token."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token_for(client))
    return client.post(url, data=payload, **kwargs)


def login(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()  # "id:session version", as login_user stores it
        session["_fresh"] = True


# ---------------------------------------------------------------- factories

PASSWORD = "un mot de passe solide"
_counter = iter(range(1, 10**9))


@pytest.fixture
def factory(db_session):
    return Factory(db_session)


class Factory:
    """Builds valid objects through the services, so the rules apply."""

    def __init__(self, session):
        self.session = session

    def user(
        self, email=None, password=PASSWORD, confirmed=True, staff=False, name="Camille Test", intent="organisation"
    ):
        from app.accounts.services import register_user
        from app.core.models import utcnow

        user = register_user(email or f"user{next(_counter)}@exemple.fr", password, name, intent)
        if confirmed:
            user.email_confirmed_at = utcnow()
        user.is_staff = staff
        self.session.flush()
        return user

    def staff(self):
        return self.user(staff=True, name="Équipe Hub")

    def organisation(self, owner=None, commune="13055", publish=True, **values):
        from app.core.models import PublicationStatus as PS
        from app.directory.services import create_organisation, move_organisation

        owner = owner or self.user()
        data = {
            "name": "Association Les Calanques",
            "kind": "association",
            "size": "benevoles",
            "commune_insee": commune,
            "description": "Une association de quartier.",
            "contact_email": "contact@calanques.example.org",
        } | values
        org = create_organisation(owner, data)
        if publish:
            move_organisation(self._moderator(), org, PS.PUBLISHED)
        self.session.flush()
        return org

    def provider(self, owner=None, commune="13001", radius_km=40, publish=True, **values):
        from app.core.models import PublicationStatus as PS
        from app.directory.services import create_provider, move_provider

        owner = owner or self.user(intent="provider")
        data = {
            "name": "Médiation Aixoise",
            "kind": "equipe_mediation",
            "commune_insee": commune,
            "radius_km": radius_km,
            "remote_capable": True,
            "languages": ["fr"],
            "presentation": "Une équipe de médiateurs numériques à Aix-en-Provence.",
        } | values
        provider = create_provider(owner, data)
        if publish:
            move_provider(self._moderator(), provider, PS.PUBLISHED)
        self.session.flush()
        return provider

    def offer(self, provider=None, publish=True, draft=False, **values):
        """Published by default; `publish=False`: submitted; `draft=True`: draft."""
        from app.core.models import PublicationStatus as PS
        from app.directory.services import create_offer, move_offer

        provider = provider or self.provider()
        owner = provider.memberships[0].user
        data = {
            "title": "Créer le site web de votre association",
            "description": "Un accompagnement en trois séances.",
            "category": "atelier",
            "skills": ["presence.site_web"],
            "modality": "both",
            "duration_hours": 3.0,
            "capacity_per_month": 2,
            "price_mode": "volunteer",
            "price_cents": None,
        } | values
        offer = create_offer(owner, provider, data, submit=not draft)
        if publish and not draft:
            move_offer(self._moderator(), offer, PS.PUBLISHED)
        self.session.flush()
        return offer

    def need(self, organisation=None, user=None, publish=True, **values):
        from app.needs.services import create_need

        organisation = organisation or self.organisation(owner=user)
        user = user or organisation.memberships[0].user
        data = {
            "title": "Un site pour notre association",
            "description": "Nous n'avons aucun site.",
            "skills": ["presence.site_web"],
            "categories": ["atelier"],
            "commune_insee": organisation.commune_insee,
            "modality": "both",
            "funding_mode": "volunteer",
            "contact_name": "Camille",
            "contact_email": "camille@calanques.example.org",
        } | values
        need = create_need(user, organisation, data, publish=publish)
        self.session.flush()
        return need

    def mission(self, need, provider_user, staff=None):
        """Run the engine over the need's département, approve its proposal, accept it: a mission."""
        from app.matches import runs as match_runs
        from app.matches import services as matches

        staff = staff or self._moderator()
        # many alternatives: in a browser database shared by several modules, other providers compete
        run = match_runs.start_run(
            staff, {"skills": 1.0, "distance": 0.5}, dep_codes=[need.commune.dep_code], k_alternatives=30
        )
        match_runs.run_match_job(run.id)
        proposal = next(p for p in run.proposals if p.need_id == need.id)
        if proposal.provider_id in provider_user.provider_ids:
            matches.approve(staff, proposal)
        else:  # in a database shared with other tests, another provider may win: staff choose the asked one
            ours = [a for a in proposal.alternatives or () if a.get("provider_id") in provider_user.provider_ids]
            assert ours, "the asked provider is neither the engine's choice nor an alternative"
            proposal = matches.replace(staff, proposal, ours[0]["offer_id"])
        mission = matches.respond(provider_user, proposal, accept=True)
        self.session.flush()
        return run, proposal, mission

    _moderator_user = None

    def _moderator(self):
        if self._moderator_user is None:
            self._moderator_user = self.user(staff=True, name="Modération")
        return self._moderator_user


def page_text(response) -> str:
    """The page as a person reads it (HTML entities decoded, no-break spaces read as spaces)."""
    import html

    return html.unescape(response.get_data(as_text=True)).replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def count_queries(db_session):
    """Counts the SQL statements run inside a `with count_queries() as n:` block (N+1 guard)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from app.extensions import db

    @contextmanager
    def counting():
        counter = {"n": 0}

        def before(*_args, **_kwargs):
            counter["n"] += 1

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


# ---------------------------------------------------------------- real RQ worker

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def rq_app(tmp_path_factory):
    url = (
        f"{PG_BASE}/hubrq_{_worker()}"
        if TEST_DATABASE == "postgresql"
        else f"sqlite:///{tmp_path_factory.mktemp('rq') / 'hub.sqlite3'}"
    )
    app = fresh_app(url, TESTING=True, SECRET_KEY="rq-test", JOBS_MODE="rq", REDIS_URL=REDIS_URL)
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def worker_env(app, **extra: str) -> dict[str, str]:
    """The environment of a worker or command process serving `app`: its database, its files (never the
    checkout's instance/), Redis, RQ jobs, no embeddings."""
    return {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "FILES_DIR": app.config["FILES_DIR"],
        "REDIS_URL": REDIS_URL,
        "JOBS_MODE": "rq",
        "MATCHING_EMBEDDINGS": "off",
        "SECRET_KEY": "rq-test",
        **extra,
    }


def run_rq_worker(app, *queues: str) -> None:
    """Run a real `rq worker --burst` process on the queues, against the app's database."""
    import subprocess
    import sys

    env = worker_env(app)
    worker = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS_URL, *queues],
        check=False,  # its return code is asserted below, with its stderr
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert worker.returncode == 0, worker.stderr[-2000:]


def fresh_app(url: str, **config):
    """An app on a database of its own (re-created when PostgreSQL), migrated, with
    every commune, its data committed: for live servers and races across sessions."""
    from flask_migrate import upgrade

    from app import create_app
    from app.core.jobs import commit
    from app.territory.services import load_communes

    if url.startswith("postgresql"):
        import psycopg

        admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "JOBS_MODE": "inprocess",
            "SMTP_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MATCHING_EMBEDDINGS": "off",
            "FILES_DIR": tempfile.mkdtemp(prefix="hub-files-"),  # never the checkout's instance/
            **config,
        }
    )
    with app.app_context():
        upgrade()
        load_communes(app.config["COMMUNES_FILE"])
        commit()
    return app


def wait_for(predicate, what: str, seconds: float = 90.0):
    """Poll `predicate` until it returns something true (returned); fail after `seconds`."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"still waiting for {what} after {seconds:g} s")


def stop_process(process, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit within `timeout` seconds."""
    import subprocess

    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
