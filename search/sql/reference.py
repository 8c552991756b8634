"""The SQL backend's reference search path (`SqlBackend(memory=False)`): the
whole query in one SQL statement. The in-process path (inprocess.py) must give
the same results, to the bit (tests/search/test_search_memory.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..base import SCALAR_FIELDS, SearchQuery, SearchResult, encode_cursor
from ..text import EARTH_RADIUS_KM, bounding_box
from .builds import live_sql
from .common import NO_DISTANCE, Dialect, Params, Plan
from .plan import display, hit, make_plan, sorted_counts

SLOTS: tuple[str, ...] = (*SCALAR_FIELDS, "kind")  # scalar facets, one column each in the UNION
_FIRST_SLOT = 6  # t, pk, uid, score, dist, sk come first


def distance_sql(dialect: Dialect, p: Params, near: tuple[float, float]) -> str:
    lat, lon = near
    # (PostgreSQL's LEAST ignores NULLs: the CASE keeps unlocated documents at NULL.)
    return (
        f"(CASE WHEN d.lat IS NULL OR d.lon IS NULL THEN NULL ELSE 2 * {EARTH_RADIUS_KM} * asin({dialect.least}(1.0, sqrt("
        f"power(sin(radians(d.lat - {p(lat)}) / 2), 2) + "
        f"cos(radians({p(lat)})) * cos(radians(d.lat)) * power(sin(radians(d.lon - {p(lon)}) / 2), 2)))) END)"
    )


def from_where(dialect: Dialect, p: Params, query: SearchQuery, plan: Plan) -> tuple[str, str]:
    where = [f"d.kind IN ({p.many(query.kinds)})", live_sql()]
    from_sql = "search_doc d"
    if plan.terms:
        from_sql, match = dialect.text_match(p, plan, query.match_any)
        where.append(match)
    for name, values in query.filters.items():
        if name == "skills":
            where.append(f"d.pk IN (SELECT sk.pk FROM search_doc_skill sk WHERE sk.skill IN ({p.many(values)}))")
        else:
            where.append(f"d.{name} IN ({p.many(values)})")
    if query.near and query.radius_km:
        lat0, lat1, lon0, lon1 = bounding_box(query.near[0], query.near[1], query.radius_km)
        where.append(f"d.lat BETWEEN {p(lat0)} AND {p(lat1)} AND d.lon BETWEEN {p(lon0)} AND {p(lon1)}")
        where.append(f"{distance_sql(dialect, p, query.near)} <= {p(query.radius_km)}")
    return from_sql, " AND ".join(where)


def search_sql(
    conn: Connection, dialect: Dialect, backend_name: str, query: SearchQuery, position: list[Any] | None
) -> SearchResult:
    facets = list(query.facets)
    plan = make_plan(conn, dialect, query.text)
    if plan.impossible:
        return SearchResult(
            hits=[],
            facets={f: {} for f in facets},
            next_cursor=None,
            total=0,
            backend=backend_name,
            corrections=plan.corrections,
            ignored_terms=plan.ignored,
        )
    # One pass over the matching documents (CTE m): the page (keyset),
    # the facet counts and the total come out of the same statement.
    p = Params()
    from_sql, where = from_where(dialect, p, query, plan)
    score = dialect.score_sql(p, plan) if plan.terms else "0.0"
    dist = distance_sql(dialect, p, query.near) if query.near else "NULL"
    dist_key = f"COALESCE({dist}, {NO_DISTANCE})" if query.near else str(NO_DISTANCE)
    sort = query.effective_sort
    key, desc = {"relevance": ("score", True), "date": ("pub_ts", True), "distance": ("dist_key", False)}[sort]
    keyset = ""
    if position is not None:
        kv, ku = p(position[0]), p(position[1])
        op = "<" if desc else ">"
        keyset = f"WHERE (s.{key} {op} {kv} OR (s.{key} = {kv} AND s.uid > {ku}))"
    slots = [f if f in facets else None for f in SLOTS]
    slot_cols = "".join(f", d.{f}" for f in slots if f)
    m = (
        f"SELECT d.pk, d.uid, d.pub_ts, {score} AS score, {dist} AS dist, {dist_key} AS dist_key{slot_cols} "
        f"FROM {from_sql} WHERE {where}"
    )
    nulls = ", ".join("NULL" for _ in SLOTS)
    hits_sql = (
        f"SELECT 0 AS t, s.pk AS pk, s.uid AS uid, s.score AS score, s.dist AS dist, "
        f"s.{key} AS sk, {nulls}, 0 AS n FROM m s {keyset} "
        f"ORDER BY s.{key} {'DESC' if desc else 'ASC'}, s.uid ASC LIMIT {p(query.limit + 1)}"
    )
    grouped = [f for f in slots if f]
    group_sql = (
        "SELECT 1, NULL, NULL, NULL, NULL, NULL, "
        + ", ".join(f"m.{f}" if f else "NULL" for f in slots)
        + ", count(*) FROM m"
        + (f" GROUP BY {', '.join('m.' + f for f in grouped)}" if grouped else "")
    )
    parts = [f"SELECT * FROM ({hits_sql}) h", group_sql]
    if "skills" in facets:
        parts.append(
            "SELECT 2, NULL, NULL, NULL, NULL, NULL, s.skill, "
            + ", ".join("NULL" for _ in SLOTS[1:])
            + ", count(*) FROM m JOIN search_doc_skill s ON s.pk = m.pk GROUP BY s.skill"
        )
    sql = f"WITH m AS MATERIALIZED ({m}) " + " UNION ALL ".join(parts)
    rows = conn.execute(text(sql), p.values).all()

    page: list[Sequence[Any]] = []
    total = 0
    counts: dict[str, dict[str, int]] = {f: {} for f in facets}
    for r in rows:
        if r[0] == 0:
            page.append(r)
        elif r[0] == 1:
            n = int(r[-1])
            total += n
            for f, value in zip(SLOTS, r[_FIRST_SLOT : _FIRST_SLOT + len(SLOTS)], strict=True):
                if f in counts and value is not None:
                    counts[f][str(value)] = counts[f].get(str(value), 0) + n
        else:
            counts["skills"][str(r[_FIRST_SLOT])] = int(r[-1])
    page.sort(key=(lambda r: (-r[5], r[2])) if desc else (lambda r: (r[5], r[2])))
    more = len(page) > query.limit
    page = page[: query.limit]
    shown = display(conn, dialect, query, plan, [r[1] for r in page]) if page else {}
    hits = [hit(shown[r[1]], float(r[3] or 0.0), None if r[4] is None else float(r[4])) for r in page]
    next_cursor = encode_cursor(query, [float(page[-1][5]), page[-1][2]]) if more and page else None
    return SearchResult(
        hits=hits,
        facets={f: sorted_counts(c) for f, c in counts.items()},
        next_cursor=next_cursor,
        total=total,
        backend=backend_name,
        corrections=plan.corrections,
        ignored_terms=plan.ignored,
    )
