"""A full rebuild of the search index under load: does the site keep answering and writing?

    python scripts/bench_rebuild.py [--docs 100000] [--databases sqlite,postgresql] [--readers 2]

For each database (a SQLite file in a temporary folder, in the app's default WAL mode; a scratch
PostgreSQL database): migrates it, indexes ``--docs`` synthetic offers (search/synthetic.py),
serves the app with ``gunicorn wsgi:app`` (2 workers, each warming its in-process index:
gunicorn.conf.py), then

- ``--readers`` processes query ``/api/v1/search`` without pause (words, prefixes, typos,
  filters; keep-alive connections);
- a writer process saves one document every 100 ms (``SqlBackend.index`` on its own engine, as
  an after-commit job does) and times each write;
- meanwhile the main process rebuilds every offer (``SqlBackend(engine).rebuild``, the path of
  ``flask hub reindex``: a shadow build swapped in at the end, search/sql/builds.py), then the
  load goes on for ``--after`` seconds (the workers reload their copy off the requests' path).

Prints, per database: errors (HTTP status other than 200, exceptions of the writer), the writes'
max and p95 wait, the reads' p50/p95/max before, during and after the rebuild, and each
worker's resident memory (VmRSS, peak VmHWM) before and after.
Targets (issue 14): 0 errors, no write waiting more than 1 s (the p95 <= 30 ms target is
search.bench's, in process; here the HTTP reads are reported).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.bench_http import create_database, drop_database, free_port, wait_ready  # noqa: E402

WRITE_INTERVAL = 0.1
TARGET_WRITE_S = 1.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def api_paths(n: int = 400) -> list[str]:
    """The benchmark's query mix (search.synthetic.query_mix) as API calls (without distance:
    the scratch database has no communes)."""
    from search.synthetic import query_mix

    params = {"category": "categorie", "dep_code": "departement", "price_mode": "tarif", "modality": "modalite"}
    paths = []
    for bq in query_mix(n):
        q = bq.query
        if q.near is not None:
            continue
        args = {"q": q.text} if q.text else {}
        for name, value in q.filters.items():
            if name in params:
                args[params[name]] = value if isinstance(value, str) else value[0]
        paths.append("/api/v1/search?" + urllib.parse.urlencode(args))
    return paths


def reader(port: int, paths: list[str], stop, out) -> None:
    """Query without pause until `stop`; sends back (start time, seconds, status)."""
    records = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = os.getpid()
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 7
        t0 = time.time()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = -1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        records.append((t0, time.time() - t0, status))
    out.put(("read", records))


def writer(url: str, stop, out) -> None:
    """Save one document every WRITE_INTERVAL until `stop`; sends back (start, seconds, error)."""
    from sqlalchemy import create_engine

    from search import SqlBackend
    from search.synthetic import generate_offers, load_communes

    engine = create_engine(url)
    backend = SqlBackend(engine)
    docs = generate_offers(200, load_communes(), seed=99)
    records = []
    n = 0
    while not stop.is_set():
        doc = docs[n % len(docs)]
        doc.id = 10_000_000 + n  # a new offer each time
        t0 = time.time()
        error = ""
        try:
            backend.index("offer", [doc])
        except Exception as exc:  # noqa: BLE001 - counted and reported
            error = f"{type(exc).__name__}: {exc}"[:200]
        records.append((t0, time.time() - t0, error))
        n += 1
        time.sleep(max(0.0, WRITE_INTERVAL - (time.time() - t0)))
    engine.dispose()
    out.put(("write", records))


def worker_memory(master_pid: int) -> dict[int, tuple[float, float]]:
    """{worker pid: (VmRSS MiB, VmHWM MiB)} of the gunicorn master's children."""
    out = {}
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return out
    for pid in children:
        values = {}
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0]) / 1024
        except OSError:
            continue
        out[int(pid)] = (values.get("VmRSS", 0.0), values.get("VmHWM", 0.0))
    return out


def run(database: str, docs_n: int, readers_n: int, after_s: float, tmp: Path) -> dict:
    from sqlalchemy import create_engine

    from search import SqlBackend
    from search.synthetic import generate_offers, load_communes

    if database == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        label = "SQLite"
    else:
        url = create_database("hubbench_rebuild")
        label = "PostgreSQL"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JOBS_MODE": "inprocess",
        "REDIS_URL": "",
        "SMTP_URL": "",
        "MATCHING_EMBEDDINGS": "off",
        "SECRET_KEY": "bench-rebuild",
        "FLASK_APP": "wsgi",
        "FILES_DIR": str(tmp / "files"),
        "PYTHONPATH": str(ROOT),
        "RATELIMIT_ENABLED": "false",
    }
    env.pop("MEILI_URL", None)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    communes = load_communes()
    docs = generate_offers(docs_n, communes)
    engine = create_engine(url)
    t0 = time.perf_counter()
    SqlBackend(engine).rebuild("offer", (docs[i : i + 1000] for i in range(0, len(docs), 1000)))
    print(f"[{label}] {docs_n:,} offers indexed in {time.perf_counter() - t0:.1f} s", flush=True)
    new_docs = generate_offers(docs_n, communes, seed=43)  # what the rebuild writes: other texts
    del docs

    port = free_port()
    log = open(tmp / f"gunicorn-{database}.log", "wb")
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ctx = mp.get_context("fork")
    stop, out = ctx.Event(), ctx.Queue()
    procs = []
    try:
        wait_ready(f"http://127.0.0.1:{port}", gunicorn)
        started = time.time()
        while time.time() - started < 120:  # the warmers load the workers' copies
            memory = worker_memory(gunicorn.pid)
            if len(memory) == 2 and min(rss for rss, _ in memory.values()) > 0:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                t1 = time.time()
                probe.request("GET", "/api/v1/search?q=atelier")
                probe.getresponse().read()
                if time.time() - t1 < 0.2:
                    break
            time.sleep(1)
        memory_before = worker_memory(gunicorn.pid)
        paths = api_paths()
        procs = [ctx.Process(target=reader, args=(port, paths, stop, out)) for _ in range(readers_n)]
        procs.append(ctx.Process(target=writer, args=(url, stop, out)))
        for p in procs:
            p.start()
        time.sleep(5)
        t_start = time.time()
        rebuilt = SqlBackend(engine, rebuild_grace=5.0).rebuild(
            "offer", (new_docs[i : i + 1000] for i in range(0, len(new_docs), 1000))
        )
        t_end = time.time()
        print(f"[{label}] rebuild of {rebuilt:,} offers under load: {t_end - t_start:.1f} s", flush=True)
        time.sleep(after_s)
        stop.set()
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(30)
        memory_after = worker_memory(gunicorn.pid)
    finally:
        stop.set()
        for p in procs:
            if p.is_alive():
                p.terminate()
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        engine.dispose()
        if database != "sqlite":
            drop_database("hubbench_rebuild")

    reads = [r for role, records in results if role == "read" for r in records]
    writes = [r for role, records in results if role == "write" for r in records]

    def phase(a: float, b: float) -> list[float]:
        return [ms * 1000 for t, ms, status in reads if a <= t < b and status == 200]

    http_errors = sum(1 for _, _, status in reads if status != 200)
    write_errors = [e for _, _, e in writes if e]
    write_waits = [s for _, s, _ in writes]
    during_writes = [s for t, s, _ in writes if t_start <= t < t_end]
    report = {
        "database": label,
        "docs": docs_n,
        "rebuild_s": t_end - t_start,
        "http_errors": http_errors,
        "write_errors": len(write_errors),
        "writes": len(writes),
        "write_max_s": max(write_waits, default=0.0),
        "write_p95_s": percentile(write_waits, 0.95),
        "write_max_during_s": max(during_writes, default=0.0),
    }
    print(
        f"[{label}] reads: {len(reads):,} ({http_errors} errors); writes: {len(writes)} every "
        f"{WRITE_INTERVAL * 1000:.0f} ms ({len(write_errors)} errors), wait p95 {report['write_p95_s'] * 1000:.0f} ms, "
        f"max {report['write_max_s'] * 1000:.0f} ms (during the rebuild: max {report['write_max_during_s'] * 1000:.0f} ms)"
    )
    for error in write_errors[:3]:
        print(f"[{label}]   write error: {error}")
    for name, (a, b) in {
        "before": (t_start - 5, t_start),
        "during": (t_start, t_end),
        "after": (t_end, t_end + after_s),
    }.items():
        values = phase(a, b)
        report[f"read_{name}"] = (percentile(values, 0.5), percentile(values, 0.95), max(values, default=0.0))
        print(
            f"[{label}]   reads {name:<6} n={len(values):<6} p50 {report[f'read_{name}'][0]:6.1f} ms  "
            f"p95 {report[f'read_{name}'][1]:6.1f} ms  max {report[f'read_{name}'][2]:7.1f} ms"
        )
    for when, memory in (("before", memory_before), ("after", memory_after)):
        print(
            f"[{label}]   workers {when}: "
            + ", ".join(f"VmRSS {rss:.0f} MiB (peak {hwm:.0f})" for rss, hwm in memory.values())
        )
    report["memory"] = (memory_before, memory_after)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--after", type=float, default=15.0, help="seconds of load after the rebuild")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hub-bench-rebuild-"))
    reports = []
    try:
        for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
            reports.append(run(database, args.docs, args.readers, args.after, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # (the reads' p95 target is the in-process one of search.bench: over HTTP, Flask and the
    # readers themselves share the machine's cores with the rebuild; reported, not judged)
    ok = all(r["http_errors"] == 0 and r["write_errors"] == 0 and r["write_max_s"] <= TARGET_WRITE_S for r in reports)
    print("targets met" if ok else "TARGETS MISSED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
