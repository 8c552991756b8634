"""The PostgreSQL dialect of the SQL backend: a generated, weighted tsvector
(text search configurations hub_fr = french with unaccent, hub_simple = simple
with unaccent, for prefixes) with a GIN index, pg_trgm over the vocabulary for
typos, ts_headline for highlights."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from ..base import FIELDS, MULTI_FIELDS, SCALAR_FIELDS, TEXT_FIELDS, Document
from ..memory import MemoryIndex, TermSpec
from ..text import MARK_END, MARK_START, marked_html, tokens
from .common import COLUMNS, PREFIX_MIN, SNIPPET_WORDS, TERM_MAX_LEN, Dialect, Params, Plan, Term, row_of

_ALL_TEXT = " || ' ' || ".join(TEXT_FIELDS)
# Matching: every word of title, keywords and body, stemmed (hub_fr) and as
# written (hub_simple, for prefixes), without positions (smaller rows).
_TSV = f"strip(to_tsvector('hub_fr'::regconfig, {_ALL_TEXT}) || to_tsvector('hub_simple'::regconfig, {_ALL_TEXT}))"
# Ranking: the weighted text fields (title A, keywords B) only, small enough to stay in the row.
_HEAD_FIELDS = [(f.name, f.weight) for f in FIELDS if f.kind == "text" and f.weight in ("A", "B")]
_TSV_HEAD = " || ".join(
    f"setweight(to_tsvector('{cfg}'::regconfig, {col}), '{weight}')"
    for cfg in ("hub_fr", "hub_simple")
    for col, weight in _HEAD_FIELDS
)
_FILTER_COLUMNS = "".join(f"        {name} TEXT,\n" for name in SCALAR_FIELDS) + "".join(
    f"        {name} JSONB NOT NULL DEFAULT '[]',\n" for name in MULTI_FIELDS
)

DDL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
                       WHERE c.cfgname = 'hub_fr' AND n.nspname = current_schema()) THEN
            CREATE TEXT SEARCH CONFIGURATION hub_fr (COPY = french);
            ALTER TEXT SEARCH CONFIGURATION hub_fr
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
                       WHERE c.cfgname = 'hub_simple' AND n.nspname = current_schema()) THEN
            CREATE TEXT SEARCH CONFIGURATION hub_simple (COPY = simple);
            ALTER TEXT SEARCH CONFIGURATION hub_simple
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
        END IF;
    END
    $$""",
    f"""CREATE TABLE IF NOT EXISTS search_doc (
        pk BIGSERIAL PRIMARY KEY,
        uid TEXT COLLATE "C" NOT NULL,
        build BIGINT NOT NULL DEFAULT 0,  -- shadow builds (search/sql/builds.py): unique (uid, build)
        kind TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        keywords TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
{_FILTER_COLUMNS}        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        pub_ts DOUBLE PRECISION NOT NULL DEFAULT 0,
        published_at TEXT,
        extra JSONB NOT NULL DEFAULT '{{}}',
        title_ntok INTEGER NOT NULL DEFAULT 0,
        tsv TSVECTOR GENERATED ALWAYS AS ({_TSV}) STORED,
        tsv_head TSVECTOR GENERATED ALWAYS AS ({_TSV_HEAD}) STORED
    )""",
    "CREATE INDEX IF NOT EXISTS search_doc_tsv ON search_doc USING gin (tsv)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_pub ON search_doc (kind, pub_ts DESC, uid)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_lat ON search_doc (kind, lat, lon)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_dep ON search_doc (kind, dep_code)",
    """CREATE TABLE IF NOT EXISTS search_doc_skill (
        skill TEXT NOT NULL,
        pk BIGINT NOT NULL REFERENCES search_doc (pk) ON DELETE CASCADE,
        PRIMARY KEY (skill, pk)
    )""",
    "CREATE INDEX IF NOT EXISTS search_doc_skill_pk ON search_doc_skill (pk)",
    'CREATE TABLE IF NOT EXISTS search_term (term TEXT COLLATE "C" PRIMARY KEY)',
    "CREATE INDEX IF NOT EXISTS search_term_trgm ON search_term USING gin (term gin_trgm_ops)",
    # the in-process engine's inputs (search/memory.py): lexemes per document, change log
    'CREATE TABLE IF NOT EXISTS search_lexeme (id SERIAL PRIMARY KEY, term TEXT COLLATE "C" NOT NULL UNIQUE)',
    """CREATE TABLE IF NOT EXISTS search_doc_lex (
        pk BIGINT PRIMARY KEY REFERENCES search_doc (pk) ON DELETE CASCADE, lex BYTEA NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS search_state (
        id INTEGER PRIMARY KEY CHECK (id = 1), gen BIGINT NOT NULL, nonce TEXT NOT NULL)""",
    (
        "INSERT INTO search_state (id, gen, nonce) VALUES (1, 0, md5(random()::text || clock_timestamp()::text)) "
        "ON CONFLICT DO NOTHING"
    ),
    """CREATE TABLE IF NOT EXISTS search_log (
        gen BIGINT PRIMARY KEY, nonce TEXT NOT NULL, reset BOOLEAN NOT NULL DEFAULT false)""",
    "INSERT INTO search_log (gen, nonce, reset) SELECT gen, nonce, true FROM search_state ON CONFLICT DO NOTHING",
    """CREATE TABLE IF NOT EXISTS search_change (
        gen BIGINT NOT NULL, pk BIGINT NOT NULL, PRIMARY KEY (gen, pk))""",
    """CREATE TABLE IF NOT EXISTS search_journal (
        seq BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        recorded_at DOUBLE PRECISION NOT NULL
    )""",
]

# The extensions are left in place.
DROP = [
    "DROP TABLE IF EXISTS search_doc_lex",
    "DROP TABLE IF EXISTS search_state",
    "DROP TABLE IF EXISTS search_log",
    "DROP TABLE IF EXISTS search_change",
    "DROP TABLE IF EXISTS search_lexeme",
    "DROP TABLE IF EXISTS search_doc_skill",
    "DROP TABLE IF EXISTS search_doc",
    "DROP TABLE IF EXISTS search_term",
    "DROP TABLE IF EXISTS search_journal",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS hub_fr",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS hub_simple",
]

_TYPES = dict.fromkeys(MULTI_FIELDS, "jsonb") | {
    "extra": "jsonb",
    "lat": "float8",
    "lon": "float8",
    "pub_ts": "float8",
    "title_ntok": "int4",
}
_INSERT_COLUMNS = ", ".join(COLUMNS)
_INSERT_TYPES = ", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in COLUMNS)
_INSERT_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "uid")


class PostgresDialect(Dialect):
    name = "postgresql"
    vocabulary_table = "search_lexeme"
    least = "LEAST"

    def schema(self) -> list[str]:
        return list(DDL)

    def drop(self) -> list[str]:
        return list(DROP)

    # -------------------------------------------------------- writes

    def index_batch(self, conn: Connection, docs: Sequence[Document], gen: int | None, build: int = 0) -> None:
        toks = [(tokens(d.title), tokens(d.keywords), tokens(d.body)) for d in docs]
        rows = json.dumps([row_of(d, len(t)) for d, (t, _k, _b) in zip(docs, toks, strict=True)], default=str)
        uid_list = [d.uid for d in docs]
        doc_terms = [{w for part in parts for w in part if 2 <= len(w) <= TERM_MAX_LEN} for parts in toks]
        terms = sorted(set[str]().union(*doc_terms))
        conn.execute(
            text(
                "DELETE FROM search_doc_skill WHERE pk IN "
                "(SELECT pk FROM search_doc WHERE uid = ANY(:uids) AND build = :build)"
            ),
            {"uids": uid_list, "build": build},
        )
        conn.execute(  # build: shadow builds (search/sql/builds.py)
            text(
                f"INSERT INTO search_doc ({_INSERT_COLUMNS}, build) SELECT {_INSERT_COLUMNS}, :build "
                f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
                f"AS r({_INSERT_TYPES}) ON CONFLICT (uid, build) DO UPDATE SET {_INSERT_UPDATES}"
            ),
            {"rows": rows, "build": build},
        )
        conn.execute(
            text(
                "INSERT INTO search_doc_skill (skill, pk) "
                "SELECT DISTINCT s.skill, d.pk FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(uid text, skills jsonb) "
                "JOIN search_doc d ON d.uid = r.uid AND d.build = :build "
                "CROSS JOIN LATERAL jsonb_array_elements_text(r.skills) AS s(skill)"
            ),
            {"rows": rows, "build": build},
        )
        if terms:
            conn.execute(
                text("INSERT INTO search_term (term) SELECT unnest(CAST(:terms AS text[])) ON CONFLICT DO NOTHING"),
                {"terms": terms},
            )
        self._lexemes(conn, uid_list, build)
        if gen is not None:
            conn.execute(
                text(
                    "INSERT INTO search_change (gen, pk) SELECT :g, pk FROM search_doc "
                    "WHERE uid = ANY(:uids) AND build = :build ON CONFLICT DO NOTHING"
                ),
                {"g": gen, "uids": uid_list, "build": build},
            )

    @staticmethod
    def _lexemes(conn: Connection, uids: list[str], build: int) -> None:
        """Number the documents' lexemes (every lexeme of tsv: stems and words)
        and store each document's packed list, with title/keywords flags from
        the weights in tsv_head (A = title, B = keywords)."""
        # Only the missing ones: ON CONFLICT alone would burn a sequence value per existing lexeme.
        conn.execute(
            text(
                "INSERT INTO search_lexeme (term) SELECT DISTINCT u.term FROM search_doc d "
                "CROSS JOIN LATERAL unnest(tsvector_to_array(d.tsv)) AS u(term) WHERE d.uid = ANY(:uids) AND d.build = :build "
                "AND NOT EXISTS (SELECT 1 FROM search_lexeme l WHERE l.term = u.term) ORDER BY 1 ON CONFLICT DO NOTHING"
            ),
            {"uids": uids, "build": build},
        )
        conn.execute(
            text(
                "DELETE FROM search_doc_lex WHERE pk IN (SELECT pk FROM search_doc WHERE uid = ANY(:uids) AND build = :build)"
            ),
            {"uids": uids, "build": build},
        )
        conn.execute(
            text(
                "INSERT INTO search_doc_lex (pk, lex) "
                "SELECT x.pk, string_agg(int4send(CAST(l.id * 4 + COALESCE(h.mask, 0) AS int4)), ''::bytea ORDER BY l.id) "
                "FROM (SELECT d.pk, u.term FROM search_doc d CROSS JOIN LATERAL unnest(tsvector_to_array(d.tsv)) AS u(term) "
                "      WHERE d.uid = ANY(:uids) AND d.build = :build) AS x "
                "JOIN search_lexeme l ON l.term = x.term "
                "LEFT JOIN (SELECT d.pk, hh.lexeme AS term, "
                "                  bit_or(CASE w WHEN 'A' THEN 1 WHEN 'B' THEN 2 ELSE 0 END) AS mask "
                "           FROM search_doc d CROSS JOIN LATERAL unnest(d.tsv_head) AS hh "
                "           CROSS JOIN LATERAL unnest(hh.weights) AS w WHERE d.uid = ANY(:uids) AND d.build = :build "
                "           GROUP BY d.pk, hh.lexeme) AS h ON h.pk = x.pk AND h.term = x.term "
                "GROUP BY x.pk"
            ),
            {"uids": uids, "build": build},
        )

    def delete(self, conn: Connection, uids: list[str], gen: int | None, build: int = 0) -> None:
        if gen is not None:
            conn.execute(
                text(
                    "INSERT INTO search_change (gen, pk) SELECT :g, pk FROM search_doc "
                    "WHERE uid = ANY(:uids) AND build = :build ON CONFLICT DO NOTHING"
                ),
                {"g": gen, "uids": uids, "build": build},
            )
        conn.execute(
            text("DELETE FROM search_doc WHERE uid = ANY(:uids) AND build = :build"), {"uids": uids, "build": build}
        )

    def clear(self, conn: Connection, kind: str) -> None:
        """Every row of `kind`, in every build."""
        # search_doc_skill and search_doc_lex follow (ON DELETE CASCADE)
        conn.execute(text("DELETE FROM search_doc WHERE kind = :k"), {"k": kind})

    def probe_health(self, conn: Connection) -> None:
        """The GIN index needs no probe: reading search_doc (the counts) is enough."""

    def optimize(self, conn: Connection) -> None:
        for table in ("search_doc", "search_doc_skill", "search_term", "search_lexeme", "search_doc_lex"):
            conn.exec_driver_sql(f"ANALYZE {table}")

    # -------------------------------------------------------- plan

    def probe_columns(self, lo: str) -> tuple[str, str]:
        return (
            f"(ts_lexize('french_stem', CAST({lo} AS text)))[1]",
            f"tsvector_to_array(to_tsvector('hub_fr', CAST({lo} AS text)))",
        )

    def term(self, word: str, stem: str | None, lexemes: list[str] | None) -> Term:
        return Term(
            term=word, prefix=len(word) >= PREFIX_MIN, exact=[word], stem=stem, lexemes={word: list(lexemes or [])}
        )

    def corrections(self, conn: Connection, word: str, lo: int, hi: int) -> list[str]:
        rows = conn.execute(
            text(
                "SELECT term FROM search_term WHERE term % :w AND length(term) BETWEEN :lo AND :hi "
                "ORDER BY similarity(term, :w) DESC, term LIMIT 60"
            ),
            {"w": word, "lo": lo, "hi": hi},
        ).all()
        return [str(r[0]) for r in rows]

    # -------------------------------------------------------- search in SQL

    @staticmethod
    def tsquery(p: Params, plan: Plan, any_word: bool = False) -> str:
        per_term = []
        for t in plan.terms:
            options = [f"to_tsquery('hub_fr', {p(e)})" for e in t.exact]
            if t.prefix:
                options.append(f"to_tsquery('hub_simple', {p(t.term + ':*')})")
            per_term.append("(" + " || ".join(options) + ")")
        return "(" + (" || " if any_word else " && ").join(per_term) + ")"

    def text_match(self, p: Params, plan: Plan, any_word: bool) -> tuple[str, str]:
        return "search_doc d", f"d.tsv @@ {self.tsquery(p, plan, any_word)}"

    def score_sql(self, p: Params, plan: Plan) -> str:
        """As on SQLite (3 / 2 title, 1.5 / 1 keywords, 0.5 body, plus 0.2 / (1 +
        words in the title)), read from the title (A) and keywords (B) weights of tsv_head."""
        parts = []
        for t in plan.terms:

            def q(weight: str, t: Term = t) -> str:
                options = [f"to_tsquery('hub_fr', {p(f'{e}:{weight}')})" for e in t.exact]
                return "(" + " || ".join(options) + ")"

            def pre(weight: str, t: Term = t) -> str:
                return f"to_tsquery('hub_simple', {p(f'{t.term}:*{weight}')})"

            cases = [f"WHEN d.tsv_head @@ {q('A')} THEN CAST(3.0 AS float8)"]
            if t.prefix:
                cases.append(f"WHEN d.tsv_head @@ {pre('A')} THEN CAST(2.0 AS float8)")
            cases.append(f"WHEN d.tsv_head @@ {q('B')} THEN CAST(1.5 AS float8)")
            if t.prefix:
                cases.append(f"WHEN d.tsv_head @@ {pre('B')} THEN CAST(1.0 AS float8)")
            parts.append("(CASE " + " ".join(cases) + " ELSE CAST(0.5 AS float8) END)")
        return "(" + " + ".join(parts) + " + CAST(0.2 AS float8) / (1 + d.title_ntok))"

    # -------------------------------------------------------- display

    @staticmethod
    def _headline_query(p: Params, plan: Plan) -> str:
        words: list[str] = []
        for t in plan.terms:
            words.extend(f"{e}:*" for e in t.exact)
            if t.stem and t.stem != t.term:
                words.append(f"{t.stem}:*")
        return f"to_tsquery('hub_simple', {p(' | '.join(dict.fromkeys(words)))})"

    def display_sql(self, p: Params, plan: Plan, highlight: bool, cols: str, pks: list[int]) -> str:
        if not highlight:
            return f"SELECT {cols} FROM search_doc d WHERE d.pk IN ({p.many(pks)})"
        hl = self._headline_query(p, plan)
        marks = f"StartSel={MARK_START}, StopSel={MARK_END}"
        title_opts = p(f"HighlightAll=true, {marks}")
        body_opts = p(
            f'MaxWords={SNIPPET_WORDS}, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … ", {marks}'
        )
        return (
            f"SELECT {cols}, ts_headline('hub_simple', d.title, {hl}, {title_opts}) AS h_title, "
            f"ts_headline('hub_simple', d.body, {hl}, {body_opts}) AS h_body "
            f"FROM search_doc d WHERE d.pk IN ({p.many(pks)})"
        )

    def highlight(self, row: RowMapping, plan: Plan) -> dict[str, str]:
        return {"title": marked_html(row["h_title"]), "body": marked_html(row["h_body"])}

    # -------------------------------------------------------- in process

    def term_specs(self, conn: Connection, index: MemoryIndex, plan: Plan) -> list[TermSpec]:
        """The plan's words as their hub_fr lexemes (stems), as to_tsquery('hub_fr', …) does."""
        words = {e for t in plan.terms for e in t.exact}
        lexemes = {w: lx for t in plan.terms for w, lx in (t.lexemes or {}).items()}
        missing = sorted(words - set(lexemes))
        if missing:  # typo corrections: their lexemes were not probed with the plan
            lexemes.update(
                {
                    str(w): list(lx or [])
                    for w, lx in conn.execute(
                        text(
                            "SELECT w, tsvector_to_array(to_tsvector('hub_fr', w)) FROM unnest(CAST(:ws AS text[])) AS w"
                        ),
                        {"ws": missing},
                    ).all()
                }
            )
        specs = []
        for t in plan.terms:
            ids = [index.id_of[x] for e in t.exact for x in lexemes.get(e, []) if x in index.id_of]
            specs.append(TermSpec(exact=sorted(set(ids)), prefix=t.term if t.prefix else None))
        return specs
