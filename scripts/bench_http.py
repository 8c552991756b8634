"""The catalogue under load: requests/s and latency as users meet them.

    python scripts/bench_http.py [--workers 2] [--clients 16] [--seconds 30] [--extra-offers 0]

Builds a scratch PostgreSQL database with the Région Sud demo (plus
``--extra-offers`` synthetic published offers spread over the région's
communes, to see a bigger catalogue), serves it with ``gunicorn wsgi:app``
(``--workers`` processes, jobs in-process), then, for each target, runs `wrk`
(installed with apt when missing) with ``--clients`` connections for
``--seconds`` over a rotating list of realistic queries (words with and without
accents, a typo, a commune and a radius, facets, browsing without words), and
prints requests/s, p50/p95/p99 in milliseconds and the errors (connection
errors, timeouts and any status other than 2xx/3xx). The server runs on
127.0.0.1 only and everything stops by itself.

Targets (issue 10): the HTML catalogue page ``/recherche`` and ``/api/v1/search``:
≥ 300 requests/s and p95 ≤ 100 ms for the API, 0 errors, with 2 workers and
16 clients for 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")

QUERIES = [
    "q=site+web",
    "q=atelier",
    "q=numerique",
    "q=num%C3%A9rique+tablette",
    "q=wordpres",
    "q=comptabilit%C3%A9",
    "q=site+web+asso&commune=Marseille&rayon=20",
    "q=formation&categorie=formation",
    "categorie=atelier",
    "q=tiers-lieu",
    "departement=13",
    "q=r%C3%A9seaux+sociaux&modalite=remote",
    "tarif=volunteer",
    "commune=Avignon&rayon=30",
    "q=accompagnement&departement=83",
    "",
    "q=ordinateur",
    "q=mediation+numerique&tri=date",
]
TARGETS = {"catalogue page": "/recherche", "search API": "/api/v1/search"}

WRK_SCRIPT = """
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "max": %%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: apt-get install wrk")
    print("installing wrk (apt)", flush=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=False,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return shutil.which("wrk")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_database(name: str) -> str:
    import psycopg

    admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def drop_database(name: str) -> None:
    import psycopg

    admin = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_synthetic_offers(env: dict, count: int) -> None:
    """``count`` more published offers, by the demo's providers, through the services."""
    code = f"""
import random
from app import create_app
from app.core.jobs import commit
from app.core.models import PublicationStatus as PS
from app.directory.models import Provider
from app.directory.services import create_offer, move_offer
from app.directory.skills import valid_codes
from app.directory.vocab import OFFER_CATEGORIES, MODALITIES
from app.accounts.services import get_user_by_email
from app.extensions import db
from sqlalchemy import select
rng = random.Random(7)
app = create_app()
with app.app_context():
    staff = get_user_by_email("admin@demo.hubdusud.fr")
    providers = [p for p in db.session.scalars(select(Provider)) if p.memberships]
    skills = sorted(valid_codes())
    words = ["site web", "réseaux sociaux", "tablette", "comptabilité", "logiciels libres", "cybersécurité",
             "démarches en ligne", "WordPress", "visioconférence", "bureautique", "photo", "vidéo"]
    for i in range({count}):
        provider = rng.choice(providers)
        topic = rng.choice(words)
        data = {{"title": f"{{rng.choice(['Atelier', 'Formation', 'Conseil', 'Audit'])}} {{topic}} n° {{i}}",
                "description": f"Un accompagnement {{topic}} pour les associations et les TPE, séance {{i}}.",
                "category": rng.choice(list(OFFER_CATEGORIES)), "skills": rng.sample(skills, 2),
                "modality": rng.choice(list(MODALITIES)), "duration_hours": 2.0, "capacity_per_month": 3,
                "price_mode": "volunteer", "price_cents": None}}
        offer = create_offer(provider.memberships[0].user, provider, data, submit=True)
        move_offer(staff, offer, PS.PUBLISHED)
        if i % 200 == 199:
            commit()
    commit()
"""
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/sante", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer in time")


def run_wrk(wrk: str, url: str, path: str, clients: int, seconds: int, threads: int) -> dict:
    paths = ", ".join(json.dumps(f"{path}?{q}" if q else path) for q in QUERIES)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % paths)
    try:
        out = subprocess.run(
            [
                wrk,
                "-t",
                str(threads),
                "-c",
                str(clients),
                "-d",
                f"{seconds}s",
                "--timeout",
                "5s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--extra-offers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread when > 1)")
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    name = "hubbench_http"
    database_url = create_database(name)
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JOBS_MODE": "inprocess",
        "REDIS_URL": "",
        "SMTP_URL": "",
        "MATCHING_EMBEDDINGS": "off",
        "SECRET_KEY": "bench-http",
        "FLASK_APP": "wsgi",
        "FILES_DIR": str(tmp / "files"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MEILI_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    gunicorn = None
    try:
        print("preparing the database (communes, demo)...", flush=True)
        subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([*flask, "hub", "bootstrap"], env=env, cwd=ROOT, check=True, capture_output=True)
        if args.extra_offers:
            add_synthetic_offers(env, args.extra_offers)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(tmp / "gunicorn.log", "wb")
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(ROOT),
                "wsgi:app",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_ready(url, gunicorn)
        for path in TARGETS.values():  # warm every worker: the in-memory search engine loads on first query
            run_wrk(wrk, url, path, args.workers * 2, 2, 1)
        print(
            f"\n{args.workers} gunicorn workers on PostgreSQL, {args.clients} clients, {args.seconds} s per target, "
            f"{len(QUERIES)} queries in rotation"
        )
        print(f"{'target':<16} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
        failed = False
        for label, path in TARGETS.items():
            r = run_wrk(wrk, url, path, args.clients, args.seconds, min(args.clients, 2))
            errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
            rate = r["requests"] / (r["duration_us"] / 1e6)
            print(
                f"{label:<16} {rate:>8.0f} {r['p50'] / 1000:>8.1f} {r['p95'] / 1000:>8.1f} {r['p99'] / 1000:>8.1f} "
                f"{r['max'] / 1000:>8.1f} {errors:>7}",
                flush=True,
            )
            failed |= errors > 0
        return 1 if failed else 0
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=20)
        drop_database(name)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
