"""The API keeps to its OpenAPI: schemathesis (4.x) runs every operation of
/api/v1/openapi.json against a live server (a threaded WSGI server on a free port,
on its own database with some data), every check on, with a real bearer token for
the token-protected operations, a bounded number of examples per operation and a
fixed seed. Zero failures.

Settings: tests/api/schemathesis.toml (why a 422 counts as an acceptance)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PG_BASE, TEST_DATABASE, Factory, _worker, fresh_app

HERE = Path(__file__).resolve().parent
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30"))
SEED = 20261129


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    from app.accounts.services import create_api_token
    from app.core.jobs import commit
    from app.extensions import db

    url = (
        f"{PG_BASE}/hubschema_{_worker()}"
        if TEST_DATABASE == "postgresql"
        else f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'hub.sqlite3'}"
    )
    app = fresh_app(url, TESTING=False, SECRET_KEY="schemathesis-test")
    with app.app_context():
        factory = Factory(db.session)
        org_user = factory.user()
        org = factory.organisation(owner=org_user)
        for title in ("Créer le site de l'association", "Former les bénévoles au numérique"):
            factory.need(organisation=org, user=org_user, title=title)
        provider = factory.provider(owner=org_user)
        factory.offer(provider=provider, title="Ateliers numériques pour tous")
        factory.offer(provider=factory.provider(name="Web Solidaire", commune="13055"), title="Un site en un jour")
        token = create_api_token(org_user)
        commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", token
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.one_pass("postgresql")  # the API contract, against the production database
def test_every_api_operation_keeps_to_the_openapi(api_server, tmp_path):
    base, token = api_server
    report = tmp_path / "schemathesis.txt"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--phases",
        "examples,coverage,fuzzing",
        "--header",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "20",
        "--no-color",
    ]
    run = subprocess.run(
        command,
        capture_output=True,
        check=False,  # the test reads the return code itself
        text=True,
        timeout=600,
        cwd=tmp_path,  # its cache there
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
    )
    report.write_text(run.stdout + run.stderr)
    tail = (run.stdout + run.stderr)[-12000:]
    assert run.returncode == 0, tail
    assert "13 selected / 13 total" in run.stdout and "generated" in run.stdout, tail  # every operation ran
