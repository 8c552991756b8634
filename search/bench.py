"""Benchmark of the SQL backend: `python -m search.bench`.

Builds N synthetic offers (default 100,000) on the real communes of the Région
Sud, indexes them into SQLite (a file in a temporary folder) and PostgreSQL (a
database `search_bench` created and dropped), then for each:

- indexing rate: rebuild() of the empty index (docs/s);
- full reindex: rebuild() again over the full index, in one transaction;
- single update: index() of one document, as an after-commit job does;
- first query of a process: loads the in-process index (search/memory.py);
- query latency p50/p95/p99 over a fixed, seeded mix of 1,000 queries (words,
  prefixes, typos, filters, distance; every query asks for 5 facets and 20
  hits), in process, after 50 warm-up queries; also per family, and the
  second page through the cursor;
- memory: this process's resident memory (VmRSS) around the first load, and
  a fresh process's (what each web worker pays): before its first query,
  after it, after the query mix, and its peak (VmHWM).

Options: --docs N, --queries N, --backends sqlite,postgresql, --pg-url URL
(default TEST_PG_URL or postgresql+psycopg://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event

from .base import Document
from .sql import CACHES, SqlBackend
from .synthetic import BenchQuery, generate_offers, load_communes, query_mix

PG_BASE = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
TARGET_P95_MS = 30.0
TARGET_REINDEX_S = 60.0


def memory_mib() -> dict[str, float]:
    """This process's resident memory now (VmRSS) and its peak (VmHWM), in MiB (Linux)."""
    out = {"rss": float("nan"), "peak": float("nan")}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    out["rss"] = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    out["peak"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def probe(url: str, queries: int) -> dict[str, Any]:
    """What one web worker pays: in a fresh process, the resident memory before
    the first query, after it (the full load) and after `queries` more."""
    from .synthetic import query_mix

    mix = query_mix(queries, load_communes())
    engine = create_engine(url)
    backend = SqlBackend(engine)
    with engine.connect() as conn:  # the connection pool and the driver, as in a worker that has served a page
        conn.exec_driver_sql("SELECT 1")
    start = memory_mib()
    t0 = time.perf_counter()
    backend.search(mix[0].query)
    load_s = time.perf_counter() - t0
    loaded = memory_mib()
    for q in mix:
        backend.search(q.query)
    after = memory_mib()
    arrays = backend._cache().nbytes / 2**20
    engine.dispose()
    return {"start": start, "loaded": loaded, "after": after, "load_s": load_s, "arrays": arrays}


def fresh_process_memory(url: str, queries: int) -> dict[str, Any]:
    """probe() in a new Python process (python -m search.bench --probe URL)."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "search.bench", "--probe", url, "--queries", str(queries)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _batches(docs: Sequence[Document], size: int = 1000) -> Iterator[Sequence[Document]]:
    for i in range(0, len(docs), size):
        yield docs[i : i + size]


def sqlite_engine(folder: Path) -> Engine:
    engine = create_engine(f"sqlite:///{folder / 'bench.sqlite3'}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        dbapi_conn.execute("PRAGMA cache_size=-65536")

    return engine


def pg_engine(base: str, name: str = "search_bench") -> tuple[Engine, Callable[[], None]]:
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return create_engine(f"{base}/{name}", pool_size=2), drop


def run_backend(
    label: str,
    backend: SqlBackend,
    docs: Sequence[Document],
    queries: Sequence[BenchQuery],
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    backend.setup()
    report: dict[str, Any] = {"backend": label, "docs": len(docs)}

    t0 = time.perf_counter()
    backend.rebuild("offer", _batches(docs))
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    backend.optimize()
    t_opt = time.perf_counter() - t0
    report.update(index_s=t_index, index_rate=len(docs) / t_index, optimize_s=t_opt)
    out(
        f"[{label}] indexed {len(docs):,} offers in {t_index:.1f} s = {len(docs) / t_index:,.0f} docs/s "
        f"(+ {t_opt:.1f} s optimize/analyze)"
    )

    t0 = time.perf_counter()
    backend.rebuild("offer", _batches(docs))
    t_re = time.perf_counter() - t0
    t0 = time.perf_counter()
    backend.optimize()
    t_opt2 = time.perf_counter() - t0
    report.update(reindex_s=t_re + t_opt2)
    out(
        f"[{label}] full reindex over the full index: {t_re:.1f} s (+ {t_opt2:.1f} s optimize/analyze) "
        f"= {t_re + t_opt2:.1f} s (target < {TARGET_REINDEX_S:.0f} s)"
    )

    single = []
    for doc in docs[:100]:
        t0 = time.perf_counter()
        backend.index("offer", [doc])
        single.append((time.perf_counter() - t0) * 1000)
    report.update(single_update_ms=statistics.median(single))
    out(f"[{label}] single-document update: median {statistics.median(single):.1f} ms")

    CACHES.clear()  # as in a process that just started
    before = memory_mib()
    t0 = time.perf_counter()
    backend.search(queries[0].query)
    t_cold = time.perf_counter() - t0
    loaded = memory_mib()
    cache = backend._cache()
    report.update(cold_s=t_cold, memory_mb=cache.nbytes / 2**20)
    out(
        f"[{label}] first query of a process (loads the in-process index): {t_cold:.2f} s, "
        f"{cache.nbytes / 2**20:.0f} MiB of arrays; this process's RSS {before['rss']:.0f} -> "
        f"{loaded['rss']:.0f} MiB (+{loaded['rss'] - before['rss']:.0f})"
    )
    url = backend.bind.engine.url.render_as_string(hide_password=False)
    fresh = fresh_process_memory(url, len(queries))
    report.update(
        worker_rss_mb=fresh["after"]["rss"],
        worker_peak_mb=fresh["after"]["peak"],
        worker_growth_mb=fresh["after"]["rss"] - fresh["start"]["rss"],
    )
    out(
        f"[{label}] a fresh process (what each web worker pays): RSS {fresh['start']['rss']:.0f} MiB before its "
        f"first query, {fresh['loaded']['rss']:.0f} MiB after it (load {fresh['load_s']:.2f} s), "
        f"{fresh['after']['rss']:.0f} MiB after {len(queries):,} queries (+{report['worker_growth_mb']:.0f} MiB); "
        f"peak {fresh['after']['peak']:.0f} MiB; arrays {fresh['arrays']:.0f} MiB"
    )
    for q in queries[:50]:
        backend.search(q.query)
    latencies: list[float] = []
    by_family: dict[str, list[float]] = defaultdict(list)
    page2: list[float] = []
    hits = 0
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        result = backend.search(q.query)
        ms = (time.perf_counter() - t0) * 1000
        latencies.append(ms)
        by_family[q.family].append(ms)
        hits += bool(result.hits)
        if i % 10 == 0 and result.next_cursor:
            nxt = replace(q.query, cursor=result.next_cursor, facets=())
            t0 = time.perf_counter()
            backend.search(nxt)
            page2.append((time.perf_counter() - t0) * 1000)
    after_update = []
    for i, doc in enumerate(docs[100:120]):
        backend.index("offer", [doc])
        t0 = time.perf_counter()
        backend.search(queries[i].query)
        after_update.append((time.perf_counter() - t0) * 1000)
    report.update(after_update_ms=statistics.median(after_update))
    p50, p95, p99 = (percentile(latencies, x) for x in (0.5, 0.95, 0.99))
    report.update(
        p50=p50,
        p95=p95,
        p99=p99,
        with_hits=hits / len(queries),
        families={f: (percentile(v, 0.5), percentile(v, 0.95), len(v)) for f, v in by_family.items()},
        page2=(percentile(page2, 0.5), percentile(page2, 0.95), len(page2)),
    )
    out(
        f"[{label}] {len(queries)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(latencies):.1f} ms (target p95 <= {TARGET_P95_MS:.0f} ms); {hits / len(queries):.0%} with hits"
    )
    for family, (f50, f95, count) in sorted(report["families"].items()):
        out(f"[{label}]   {family:<9} n={count:<4} p50 {f50:6.1f} ms  p95 {f95:6.1f} ms")
    out(
        f"[{label}]   query right after a one-document update (the index catches up): "
        f"median {report['after_update_ms']:.1f} ms"
    )
    if page2:
        out(
            f"[{label}]   page 2 (cursor, no facets) n={len(page2)} p50 {report['page2'][0]:.1f} ms "
            f"p95 {report['page2'][1]:.1f} ms"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_BASE)
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)  # fresh_process_memory()
    args = parser.parse_args(argv)
    if args.probe:
        import json

        print(json.dumps(probe(args.probe, args.queries)))
        return 0

    communes = load_communes()
    t0 = time.perf_counter()
    docs = generate_offers(args.docs, communes)
    queries = query_mix(args.queries, communes)
    print(
        f"{len(docs):,} synthetic offers on {len(communes)} communes of the Région Sud, "
        f"{len(queries)} queries (generated in {time.perf_counter() - t0:.1f} s); "
        f"{os.cpu_count()} CPU, Python {sys.version.split()[0]}"
    )
    reports = []
    for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                engine = sqlite_engine(Path(folder))
                reports.append(run_backend(f"SQLite {sqlite3.sqlite_version}", SqlBackend(engine), docs, queries))
                engine.dispose()
        elif name == "postgresql":
            engine, drop = pg_engine(args.pg_url)
            try:
                with engine.connect() as conn:
                    version = conn.exec_driver_sql("SHOW server_version").scalar()
                reports.append(run_backend(f"PostgreSQL {version}", SqlBackend(engine), docs, queries))
            finally:
                engine.dispose()
                drop()
        else:
            parser.error(f"unknown backend {name!r}")
    ok = all(r["p95"] <= TARGET_P95_MS and r["reindex_s"] < TARGET_REINDEX_S for r in reports)
    print("targets met" if ok else "TARGETS MISSED (see above)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
