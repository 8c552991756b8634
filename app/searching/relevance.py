"""Relevance benchmark of the public catalogue search: `python -m app.searching.relevance`.

The judgments (app/searching/relevance.yaml) name, for each French query people type, the demo offers
a person wants first (`best`, grade 3), the other fully relevant ones (`relevant`, grade 2) and those
that answer part of the need (`partial`, grade 1). Each query runs through the function the page
/recherche runs (`run_search`: the same parsing, the same widening to "some of the words"), with no
filter, on the demo catalogue; the first page (20 offers) is scored:

- best rank: the rank of the first `best` offer (None: not on the page); best-in-top-3: rank <= 3;
- P@5 capped (THE TARGET METRIC): offers of grade >= 2 among the first 5, divided by
  min(5, number of offers of grade >= 2) (a query with two relevant offers scores 1.0 when both
  are in the top 5);
- P@5 (plain, shown for reference): the same count divided by 5;
- nDCG@10: gain = grade, discount log2(rank + 1), divided by the ideal ordering's.

Floors (issue 14): best-in-top-3 for at least 95 % of the queries, mean capped P@5 >= 0.7.
The command builds a scratch SQLite database in a temporary folder the way `make run` does
(`flask db upgrade`, then `flask hub bootstrap`: communes, demo data, search index), prints a
table per query and the means, and with `--floor` exits 1 when a floor is not met.
tests/searching/test_relevance.py keeps the floors as a regression test.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask import Flask, current_app, request
from sqlalchemy import select

from app.directory.models import Offer
from app.extensions import db
from app.searching.views import run_search

JUDGMENTS_FILE = Path(__file__).with_name("relevance.yaml")
GRADES = {"best": 3, "relevant": 2, "partial": 1}
FLOOR_BEST_TOP3 = 0.95  # share of the queries with a best offer among the first 3
FLOOR_P5_CAPPED = 0.7  # mean capped P@5
K_PRECISION = 5
K_NDCG = 10
TOP_BEST = 3


@dataclass(frozen=True)
class Judgment:
    """One query and the offers (by title) judged for it."""

    query: str
    why: str
    best: tuple[str, ...]
    relevant: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def grades(self) -> dict[str, int]:
        grades = dict.fromkeys(self.partial, GRADES["partial"])
        grades.update(dict.fromkeys(self.relevant, GRADES["relevant"]))
        grades.update(dict.fromkeys(self.best, GRADES["best"]))
        return grades

    @property
    def wanted(self) -> set[str]:
        """The offers that count for precision: best and relevant (grade >= 2)."""
        return set(self.best) | set(self.relevant)


def load_judgments(path: Path | str = JUDGMENTS_FILE) -> list[Judgment]:
    """The judgments of the file; ValueError on a malformed one (a query twice, no best offer,
    no `why`, an offer under two grades)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    judgments: list[Judgment] = []
    seen: set[str] = set()
    for entry in data["queries"]:
        query = str(entry.get("query") or "").strip()
        if not query or query in seen:
            raise ValueError(f"relevance: empty or repeated query {query!r}")
        seen.add(query)
        lists = {name: tuple(entry.get(name) or ()) for name in GRADES}
        if not lists["best"] or not str(entry.get("why") or "").strip():
            raise ValueError(f"relevance: {query!r} needs a `best` offer and a `why`")
        titles = [title for name in GRADES for title in lists[name]]
        if len(titles) != len(set(titles)):
            raise ValueError(f"relevance: {query!r} judges an offer twice")
        judgments.append(
            Judgment(
                query=query,
                why=str(entry["why"]).strip(),
                best=lists["best"],
                relevant=lists["relevant"],
                partial=lists["partial"],
                tags=tuple(entry.get("tags") or ()),
            )
        )
    return judgments


# ------------------------------------------------------------------ metrics (plain functions on a ranking)


def best_rank(ranking: Sequence[str], best: Iterable[str]) -> int | None:
    """The 1-based rank of the first `best` document in `ranking`, None if none is there."""
    best = set(best)
    return next((rank for rank, doc in enumerate(ranking, 1) if doc in best), None)


def precision_at(ranking: Sequence[str], relevant: Iterable[str], k: int = K_PRECISION) -> float:
    """Plain P@k: relevant documents among the first k, divided by k."""
    relevant = set(relevant)
    return sum(1 for doc in ranking[:k] if doc in relevant) / k


def capped_precision_at(ranking: Sequence[str], relevant: Iterable[str], k: int = K_PRECISION) -> float:
    """P@k divided by what is reachable: relevant documents among the first k / min(k, number of relevant)."""
    relevant = set(relevant)
    if not relevant:
        raise ValueError("capped precision needs at least one relevant document")
    return sum(1 for doc in ranking[:k] if doc in relevant) / min(k, len(relevant))


def ndcg_at(ranking: Sequence[str], grades: dict[str, int], k: int = K_NDCG) -> float:
    """nDCG@k with gain = grade and discount log2(rank + 1); 1.0 for the ideal ordering."""

    def dcg(gains: Iterable[int]) -> float:
        return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, 1))

    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        raise ValueError("nDCG needs at least one graded document")
    return dcg(grades.get(doc, 0) for doc in ranking[:k]) / ideal


# ------------------------------------------------------------------ running the queries


@dataclass
class QueryResult:
    judgment: Judgment
    ranking: list[str]  # the offers' titles, in the page's order (its first page)
    widened: bool = False  # answered with some of the words only
    best_rank: int | None = field(init=False)
    p5_capped: float = field(init=False)
    p5: float = field(init=False)
    ndcg10: float = field(init=False)

    def __post_init__(self) -> None:
        j = self.judgment
        self.best_rank = best_rank(self.ranking, j.best)
        self.p5_capped = capped_precision_at(self.ranking, j.wanted)
        self.p5 = precision_at(self.ranking, j.wanted)
        self.ndcg10 = ndcg_at(self.ranking, j.grades)

    @property
    def best_in_top3(self) -> bool:
        return self.best_rank is not None and self.best_rank <= TOP_BEST


def search_page(text: str, titles: dict[str, str] | None = None) -> tuple[list[str], bool]:
    """What /recherche?q=<text> lists for an anonymous visitor: the offers' titles in order, and
    whether it widened to some of the words. Needs an app context on a database with the index."""
    if titles is None:
        titles = offer_titles()
    with current_app.test_request_context("/recherche", query_string={"q": text}):
        _req, result, _commune = run_search(request.args)
    return [titles.get(str(hit.id), hit.title) for hit in result.hits], bool(result.widened)


def offer_titles() -> dict[str, str]:
    """Every offer's title by id (a hit's id as text): the table names offers as the judgments do."""
    return {str(i): title for i, title in db.session.execute(select(Offer.id, Offer.title))}


def run(judgments: Iterable[Judgment]) -> list[QueryResult]:
    """Each query through the search page's function, scored. Needs an app context."""
    titles = offer_titles()
    results = []
    for judgment in judgments:
        ranking, widened = search_page(judgment.query, titles)
        results.append(QueryResult(judgment, ranking, widened))
    return results


def unknown_titles(judgments: Iterable[Judgment]) -> list[tuple[str, str]]:
    """(query, title) for each judged title that names no offer of the database."""
    known = set(offer_titles().values())
    return [(j.query, t) for j in judgments for t in j.grades if t not in known]


@dataclass(frozen=True)
class Summary:
    queries: int
    best_top3: float  # share of the queries
    p5_capped: float  # mean: the target metric
    p5: float  # mean, plain
    ndcg10: float  # mean

    def below_floors(self) -> list[str]:
        out = []
        if self.best_top3 < FLOOR_BEST_TOP3:
            out.append(f"best in the top 3: {self.best_top3:.1%} < {FLOOR_BEST_TOP3:.0%}")
        if self.p5_capped < FLOOR_P5_CAPPED:
            out.append(f"mean capped P@5: {self.p5_capped:.3f} < {FLOOR_P5_CAPPED}")
        return out


def summarize(results: Sequence[QueryResult]) -> Summary:
    n = len(results)
    if not n:
        raise ValueError("no query to summarize")
    return Summary(
        queries=n,
        best_top3=sum(r.best_in_top3 for r in results) / n,
        p5_capped=sum(r.p5_capped for r in results) / n,
        p5=sum(r.p5 for r in results) / n,
        ndcg10=sum(r.ndcg10 for r in results) / n,
    )


def describe_failure(r: QueryResult) -> str:
    """One line for a query whose best offer is not in the top 3: where it is and what came first."""
    where = f"rank {r.best_rank}" if r.best_rank else "absent from the page"
    top = " | ".join(r.ranking[:TOP_BEST]) or "(no result)"
    return f"{r.judgment.query!r}: best {where}; top 3: {top}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def report(results: Sequence[QueryResult], *, by_tag: bool = True) -> str:
    """The table per query, the means (with the floors), the means per tag and the failures."""
    lines = [
        (
            "best: rank of the first best offer (-: not on the first page; ! before the query: not in the top 3). "
            "P@5c: capped P@5, the target metric. P@5: plain. nDCG: nDCG@10."
        ),
        f"{'query':<32} {'best':>4} {'P@5c':>5} {'P@5':>5} {'nDCG':>5}  top 3",
        "-" * 150,
    ]
    for r in results:
        rank = str(r.best_rank) if r.best_rank else "-"
        mark = " " if r.best_in_top3 else "!"
        top = " | ".join(_cut(t, 36) for t in r.ranking[:TOP_BEST]) or "(no result)"
        widened = " (some words)" if r.widened else ""
        lines.append(
            f"{mark}{_cut(r.judgment.query, 31):<31} {rank:>4} {r.p5_capped:>5.2f} {r.p5:>5.2f} {r.ndcg10:>5.2f}"
            f"  {top}{widened}"
        )
    s = summarize(results)
    lines += [
        "-" * 150,
        (
            f"{s.queries} queries. best in the top 3: {s.best_top3:.1%} (floor {FLOOR_BEST_TOP3:.0%}); "
            f"mean capped P@5 (target metric): {s.p5_capped:.3f} (floor {FLOOR_P5_CAPPED}); "
            f"mean plain P@5: {s.p5:.3f}; mean nDCG@10: {s.ndcg10:.3f}"
        ),
    ]
    if by_tag:
        tagged: dict[str, list[QueryResult]] = defaultdict(list)
        for r in results:
            for tag in r.judgment.tags:
                tagged[tag].append(r)
        lines.append("by tag:")
        for tag in sorted(tagged):
            t = summarize(tagged[tag])
            lines.append(
                f"  {tag:<13} {t.queries:>3} queries  best-top-3 {t.best_top3:6.1%}  P@5c {t.p5_capped:.3f}"
                f"  nDCG@10 {t.ndcg10:.3f}"
            )
    failed = [r for r in results if not r.best_in_top3]
    if failed:
        lines.append(f"best offer not in the top 3 ({len(failed)}):")
        lines += [f"  {describe_failure(r)}" for r in failed]
    return "\n".join(lines)


# ------------------------------------------------------------------ the command


def demo_app(folder: Path) -> Flask:
    """An app on a fresh SQLite database under `folder`, migrated and bootstrapped as `make run` does
    (`flask db upgrade`, `flask hub bootstrap`: communes, demo data, search index)."""
    # Named, not imported: `app` (the factory) wires every layer, this module stands in one of them.
    create_app = importlib.import_module("app").create_app
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'relevance.sqlite3'}",
            "SECRET_KEY": "relevance-benchmark",  # a scratch database: no key file under instance/
            "FILES_DIR": str(folder / "files"),
            "JOBS_MODE": "inprocess",  # the index is built by the jobs the demo's commit runs
            "SMTP_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "MATCHING_EMBEDDINGS": "off",  # matching only: search does not use them
        }
    )
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["hub", "bootstrap"]):
        outcome = runner.invoke(args=args)
        if outcome.exit_code != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{outcome.output}") from outcome.exception
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.searching.relevance", description=__doc__.split("\n")[0])
    parser.add_argument("--floor", action="store_true", help="exit 1 when a floor of issue 14 is not met")
    parser.add_argument("--query", action="append", default=[], help="run only these queries (repeatable)")
    parser.add_argument("--judgments", default=str(JUDGMENTS_FILE), help="the judgments file (YAML)")
    args = parser.parse_args(argv)
    judgments = load_judgments(args.judgments)
    if args.query:
        judgments = [j for j in judgments if j.query in set(args.query)]
        if not judgments:
            parser.error("no judged query by that text")
    with tempfile.TemporaryDirectory(prefix="hub-relevance-") as tmp:
        app = demo_app(Path(tmp))
        with app.app_context():
            unknown = unknown_titles(judgments)
            if unknown:
                print("judged titles that name no demo offer:", *unknown, sep="\n  ", file=sys.stderr)
                return 2
            results = run(judgments)
            db.session.remove()
            db.engine.dispose()
    print(report(results), flush=True)
    if args.floor:
        below = summarize(results).below_floors()
        if below:
            print("FLOOR NOT MET: " + "; ".join(below), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
