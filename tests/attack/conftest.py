"""The attack suite: the app as an outsider meets it, over real HTTP.

`attack_server` (once per test session and xdist worker) starts the production
stack on this machine, each part a real process on a free port:

- its own PostgreSQL database (whatever TEST_DATABASE says: races, integer
  ranges and NUL bytes behave as they do in production only there), migrated
  with Alembic and loaded with every French commune;
- its own `redis-server` (no other test or checkout shares its queues or its
  rate-limit counters);
- a real `localstripe`, to which the app registers its `/stripe/webhook`;
- `gunicorn wsgi:app` with ATTACK_WORKERS (3) worker processes;
- a real `rq worker` on the app's queues (`kill_worker` / `start_worker`).

Data are set up in-process on the same database with `attack_server.factory()`
(the factories of tests/conftest.py, committed at the end of the block); the
tests then act over HTTP with `requests` sessions, each from a chosen loopback
address (127.0.0.1, 127.0.0.2...) so per-IP rules can be tested.

    def test_something(attack_server):
        with attack_server.factory() as f:
            user = f.user(email="x@exemple.fr")
        browser = attack_server.login("x@exemple.fr")
        page = attack_server.post_form(browser, "/some/form", {"field": "value"})

The whole suite runs in the PostgreSQL pass of `make test` (the SQLite pass
leaves tests/attack out: the same stack would run twice).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.conftest import PASSWORD, PG_BASE, Factory, _worker
from tests.localstripe_server import free_port, start_localstripe, stop_localstripe

ROOT = Path(__file__).resolve().parents[2]
ATTACK_WORKERS = int(os.environ.get("ATTACK_WORKERS", "3"))
QUEUES = ("hub", "matching", "search")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _wait_port(port: int, process: subprocess.Popen, what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f} s:\n{_tail(log)}") from None
            time.sleep(0.05)


def _tail(path: Path, size: int = 6000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def _stop(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class SourceAddressAdapter(HTTPAdapter):
    """requests from a chosen loopback address (the server sees it as REMOTE_ADDR)."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(connections, maxsize, block, **kwargs)


class AttackServer:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.worker: subprocess.Popen | None = None
        self._processes: list[subprocess.Popen] = []
        self._logs: list = []

    # ------------------------------------------------------------ the stack

    def start(self) -> AttackServer:
        self.database_url = self._create_database()
        self._start_redis()
        self._start_localstripe()
        self.files_dir = self.tmp / "files"
        self.files_dir.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "JOBS_MODE": "rq",
            "SECRET_KEY": "attack-suite-secret",
            "STRIPE_API_BASE": self.stripe_url,
            "STRIPE_REGISTER_WEBHOOK": "1",
            "PUBLIC_URL": self.url,
            "SMTP_URL": "",
            "MATCHING_EMBEDDINGS": "off",
            "FILES_DIR": str(self.files_dir),
            "PYTHONPATH": str(ROOT),
            "FLASK_APP": "wsgi",
        }
        for name in ("MEILI_URL", "RATELIMIT_STORAGE_URI"):
            self.env.pop(name, None)
        self.app = self._setup_app()
        self._start_gunicorn()
        self.start_worker()
        return self

    def _create_database(self) -> str:
        import psycopg

        name = f"hubattack_{_worker()}"
        admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self._database_name = name
        return f"{PG_BASE}/{name}"

    def _start_redis(self) -> None:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        port = free_port()
        log = self.tmp / "redis.log"
        process = subprocess.Popen(
            [
                exe,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
                "--logfile",
                str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self._processes.append(process)
        _wait_port(port, process, "redis-server", log)
        self.redis_url = f"redis://127.0.0.1:{port}/0"

    def _start_localstripe(self) -> None:
        process, self.stripe_url, log = start_localstripe(self.tmp / "localstripe.log")
        self._localstripe = (process, log)

    def _setup_app(self):
        from flask_migrate import upgrade

        from app import create_app
        from app.core.jobs import commit
        from app.territory.services import load_communes

        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": self.database_url,
                "SECRET_KEY": "attack-suite-secret",
                "JOBS_MODE": "inprocess",
                "REDIS_URL": self.redis_url,
                "SMTP_URL": "",
                "STRIPE_API_BASE": self.stripe_url,
                "STRIPE_REGISTER_WEBHOOK": False,
                "MATCHING_EMBEDDINGS": "off",
                "FILES_DIR": str(self.files_dir),
                "PUBLIC_URL": self.url,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            upgrade()
            load_communes(app.config["COMMUNES_FILE"])
            commit()
        return app

    def _start_gunicorn(self) -> None:
        log = self.tmp / "gunicorn.log"
        out = open(log, "ab")
        self._logs.append(out)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(ATTACK_WORKERS),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(ROOT),
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            "wsgi:app",
        ]
        self.gunicorn = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self._processes.append(self.gunicorn)
        _wait_port(self.port, self.gunicorn, "gunicorn", log, timeout=60)
        deadline = time.monotonic() + 60
        while True:  # every worker has imported the app once /sante answers several times in a row
            try:
                if all(
                    requests.get(f"{self.url}/sante", timeout=10).status_code == 200 for _ in range(ATTACK_WORKERS * 2)
                ):
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn never answered /sante:\n{_tail(log)}")
            time.sleep(0.2)

    def start_worker(self, *queues: str) -> subprocess.Popen:
        """A real `rq worker` (not burst) on the app's queues; replaces a dead one."""
        if self.worker is not None and self.worker.poll() is None:
            return self.worker
        log = self.tmp / "rq-worker.log"
        out = open(log, "ab")
        self._logs.append(out)
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "rq.cli", "worker", "--url", self.redis_url, *(queues or QUEUES)],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        self._processes.append(self.worker)
        return self.worker

    def kill_worker(self) -> None:
        """kill -9 of the RQ worker and of the work horse it forked, as a crash would."""
        if self.worker is None:
            return
        subprocess.run(["pkill", "-KILL", "-P", str(self.worker.pid)], check=False)
        self.worker.kill()
        self.worker.wait()

    def close(self) -> None:
        for process in reversed(self._processes):
            _stop(process)
        if hasattr(self, "_localstripe"):
            stop_localstripe(*self._localstripe)
        for log in self._logs:
            log.close()
        if hasattr(self, "app"):
            with self.app.app_context():
                from app.extensions import db

                db.engine.dispose()

    # ------------------------------------------------------------ setting up data

    @contextmanager
    def factory(self):
        """The test factories on the server's database, committed at the end of the block
        (jobs such as search indexing run in-process at the commit)."""
        from app.core.jobs import commit
        from app.extensions import db

        with self.app.app_context():
            try:
                yield Factory(db.session)
                commit()
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    @contextmanager
    def db(self):
        """An app context on the server's database, to read what the requests did."""
        from app.extensions import db

        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.rollback()
                db.session.remove()

    # ------------------------------------------------------------ acting over HTTP

    def session(self, source: str = "127.0.0.1") -> requests.Session:
        browser = requests.Session()
        adapter = SourceAddressAdapter(source, pool_connections=4, pool_maxsize=64)
        browser.mount("http://", adapter)
        browser.headers["Accept-Language"] = "fr"
        return browser

    def get(self, browser: requests.Session, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return browser.get(self.url + path, **kwargs)

    def csrf(self, browser: requests.Session, path: str = "/") -> str:
        page = browser.get(self.url + path, timeout=30)
        match = _CSRF.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def post_form(
        self,
        browser: requests.Session,
        path: str,
        data: dict | None = None,
        *,
        token_from: str = "/",
        token: str | None = None,
        **kwargs,
    ) -> requests.Response:
        """POST like a browser: with the session's CSRF token (read from ``token_from``)."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", token or self.csrf(browser, token_from))
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return browser.post(self.url + path, data=payload, **kwargs)

    def login(self, email: str, password: str = PASSWORD, source: str = "127.0.0.1") -> requests.Session:
        browser = self.session(source)
        response = self.post_form(
            browser, "/connexion", {"email": email, "password": password}, token_from="/connexion"
        )
        assert response.status_code == 302, f"login of {email} failed: {response.status_code}"
        return browser

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{_tail(self.tmp / name)}" for name in ("gunicorn.log", "rq-worker.log"))


@pytest.fixture(scope="session")
def attack_server(tmp_path_factory):
    server = AttackServer(tmp_path_factory.mktemp("attack"))
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    yield server
    server.close()
