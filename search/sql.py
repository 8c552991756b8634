"""The SQL backend: full-text search inside the app's own database, on SQLite
(FTS5) or PostgreSQL (tsvector + GIN, pg_trgm). Built on a SQLAlchemy Engine
or Connection; SQLAlchemy Core only.

Tables (all prefixed `search_`; created by `setup()` or by a migration that
runs `sql_schema_statements(dialect)`):

- `search_doc`: one row per document, with the filter columns, the text, the
  display payload; `uid` = "kind:id" is unique.
- `search_doc_skill`: (pk, skill), the multi-valued skills, for filters and
  facets.
- SQLite: `search_fts`, an FTS5 external-content table over search_doc (title,
  keywords, body; `unicode61 remove_diacritics 2`; prefix indexes), kept in
  step by triggers. PostgreSQL: `search_doc.tsv`, a generated tsvector
  (text search configuration `hub_fr` = french with unaccent before
  french_stem, plus `hub_simple` = simple with unaccent, for prefixes), GIN
  index.
- `search_term`: every folded word ever indexed — the vocabulary used to
  correct typos (SQLite: FTS5 trigram table `search_term_tri`; PostgreSQL:
  pg_trgm GIN index).
- `search_journal`: the replay journal of search.fallback.SqlReplayJournal.

Relevance is a pure function of (document, query) — no corpus statistics —
so that keyset cursors stay exact while the index changes:
- SQLite: per query term, 3 if a title word equals it, 2 if a title word
  starts with it, 1.5/1 the same in keywords, 0.5 when it is only in the
  body; summed over the terms, plus 0.2/(1 + words in the title). (FTS5's
  bm25() is not used for ordering: its IDF moves whenever a document is added,
  which would make a cursor skip or repeat documents.)
- PostgreSQL: ts_rank over the weighted tsvector (title A, keywords B,
  body D), which depends only on the document and the query.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from .base import (
    Document,
    Health,
    Hit,
    InvalidCursor,
    PrivateKindError,
    SearchBackend,
    SearchQuery,
    SearchResult,
    check_documents,
    check_kind,
    decode_cursor,
    encode_cursor,
    search_widening,
    should_widen,
    widened_query,
)
from .memory import MemoryIndex, Row, TermSpec, pack_lexemes
from .text import (
    EARTH_RADIUS_KM,
    MARK_END,
    MARK_START,
    bounding_box,
    edit_distance,
    highlight_terms,
    marked_html,
    max_typos,
    plain_html,
    query_terms,
    snippet_terms,
    spaced,
    tokens,
    trigrams,
)

PREFIX_MIN = 3  # terms of at least 3 letters also match as prefixes
TERM_MAX_LEN = 40  # longer tokens are not added to the vocabulary
MAX_CORRECTIONS = 3  # typo: at most this many replacement terms
NO_DISTANCE = 1.0e9  # sort value of documents without coordinates
SNIPPET_WORDS = 24
_TOP = "\U0010ffff"

SUPPORTED_DIALECTS = ("sqlite", "postgresql")

# One in-process index per database (by URL), shared by every SqlBackend of the process.
MAX_CACHED_DATABASES = 8
_CACHES: dict[str, MemoryIndex] = {}
_CACHES_LOCK = threading.Lock()

# ---------------------------------------------------------------- DDL

_SQLITE_DDL = [
    """CREATE TABLE IF NOT EXISTS search_doc (
        pk INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        keywords TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        title_tok TEXT NOT NULL DEFAULT ' ',
        kw_tok TEXT NOT NULL DEFAULT ' ',
        title_ntok INTEGER NOT NULL DEFAULT 0,
        dep_code TEXT,
        commune_insee TEXT,
        category TEXT,
        modality TEXT,
        price_mode TEXT,
        skills TEXT NOT NULL DEFAULT '[]',
        lat REAL,
        lon REAL,
        pub_ts REAL NOT NULL DEFAULT 0,
        published_at TEXT,
        extra TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_pub ON search_doc (kind, pub_ts DESC, uid)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_lat ON search_doc (kind, lat, lon)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_dep ON search_doc (kind, dep_code)",
    """CREATE TABLE IF NOT EXISTS search_doc_skill (
        skill TEXT NOT NULL,
        pk INTEGER NOT NULL,
        PRIMARY KEY (skill, pk)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS search_doc_skill_pk ON search_doc_skill (pk)",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        title, keywords, body,
        content='search_doc', content_rowid='pk',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3 4'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_doc_ai AFTER INSERT ON search_doc BEGIN
        INSERT INTO search_fts (rowid, title, keywords, body) VALUES (new.pk, new.title, new.keywords, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_doc_ad AFTER DELETE ON search_doc BEGIN
        INSERT INTO search_fts (search_fts, rowid, title, keywords, body)
        VALUES ('delete', old.pk, old.title, old.keywords, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_doc_au AFTER UPDATE OF title, keywords, body ON search_doc BEGIN
        INSERT INTO search_fts (search_fts, rowid, title, keywords, body)
        VALUES ('delete', old.pk, old.title, old.keywords, old.body);
        INSERT INTO search_fts (rowid, title, keywords, body) VALUES (new.pk, new.title, new.keywords, new.body);
    END""",
    "CREATE TABLE IF NOT EXISTS search_term (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)",
    # Terms padded with spaces, so that their first and last letters make trigrams too.
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_term_tri USING fts5(padded, tokenize='trigram', detail='none')",
    """CREATE TRIGGER IF NOT EXISTS search_term_ai AFTER INSERT ON search_term BEGIN
        INSERT INTO search_term_tri (rowid, padded) VALUES (new.id, ' ' || new.term || ' ');
    END""",
    # the in-process engine's inputs (search/memory.py): lexemes per document, change log
    "CREATE TABLE IF NOT EXISTS search_doc_lex (pk INTEGER PRIMARY KEY, lex BLOB NOT NULL)",
    """CREATE TABLE IF NOT EXISTS search_state (
        id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL, nonce TEXT NOT NULL)""",
    "INSERT INTO search_state (id, gen, nonce) VALUES (1, 0, lower(hex(randomblob(8)))) ON CONFLICT DO NOTHING",
    """CREATE TABLE IF NOT EXISTS search_log (
        gen INTEGER PRIMARY KEY, nonce TEXT NOT NULL, reset INTEGER NOT NULL DEFAULT 0)""",
    "INSERT INTO search_log (gen, nonce, reset) SELECT gen, nonce, 1 FROM search_state WHERE true ON CONFLICT DO NOTHING",
    """CREATE TABLE IF NOT EXISTS search_change (
        gen INTEGER NOT NULL, pk INTEGER NOT NULL, PRIMARY KEY (gen, pk)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS search_journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        recorded_at REAL NOT NULL
    )""",
]

# Matching: every word of title, keywords and body, stemmed (hub_fr) and as
# written (hub_simple, for prefixes), without positions (smaller rows).
_PG_TSV = (
    "strip(to_tsvector('hub_fr'::regconfig, title || ' ' || keywords || ' ' || body) || "
    "to_tsvector('hub_simple'::regconfig, title || ' ' || keywords || ' ' || body))"
)
# Ranking: title (A) and keywords (B) only, small enough to stay in the row.
_PG_TSV_HEAD = " || ".join(
    f"setweight(to_tsvector('{cfg}'::regconfig, {col}), '{weight}')"
    for cfg in ("hub_fr", "hub_simple")
    for col, weight in (("title", "A"), ("keywords", "B"))
)

_PG_DDL = [
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
        uid TEXT COLLATE "C" NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        keywords TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        dep_code TEXT,
        commune_insee TEXT,
        category TEXT,
        modality TEXT,
        price_mode TEXT,
        skills JSONB NOT NULL DEFAULT '[]',
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        pub_ts DOUBLE PRECISION NOT NULL DEFAULT 0,
        published_at TEXT,
        extra JSONB NOT NULL DEFAULT '{{}}',
        title_ntok INTEGER NOT NULL DEFAULT 0,
        tsv TSVECTOR GENERATED ALWAYS AS ({_PG_TSV}) STORED,
        tsv_head TSVECTOR GENERATED ALWAYS AS ({_PG_TSV_HEAD}) STORED
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
    "INSERT INTO search_state (id, gen, nonce) VALUES (1, 0, md5(random()::text || clock_timestamp()::text)) "
    "ON CONFLICT DO NOTHING",
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


def sql_schema_statements(dialect: str) -> list[str]:
    """The DDL of the search tables, every statement idempotent (IF NOT
    EXISTS). A migration runs them in order (`op.execute(stmt)` each);
    PostgreSQL needs the right to CREATE EXTENSION unaccent and pg_trgm."""
    if dialect == "sqlite":
        return list(_SQLITE_DDL)
    if dialect == "postgresql":
        return list(_PG_DDL)
    raise ValueError(f"unsupported dialect {dialect!r}; expected one of {SUPPORTED_DIALECTS}")


def sql_drop_statements(dialect: str) -> list[str]:
    """The reverse of sql_schema_statements (for a migration's downgrade).
    The PostgreSQL extensions are left in place."""
    if dialect == "sqlite":
        return [
            "DROP TABLE IF EXISTS search_doc_lex",
            "DROP TABLE IF EXISTS search_state",
            "DROP TABLE IF EXISTS search_log",
            "DROP TABLE IF EXISTS search_change",
            "DROP TRIGGER IF EXISTS search_term_ai",
            "DROP TABLE IF EXISTS search_term_tri",
            "DROP TABLE IF EXISTS search_term",
            "DROP TRIGGER IF EXISTS search_doc_ai",
            "DROP TRIGGER IF EXISTS search_doc_ad",
            "DROP TRIGGER IF EXISTS search_doc_au",
            "DROP TABLE IF EXISTS search_fts",
            "DROP TABLE IF EXISTS search_doc_skill",
            "DROP TABLE IF EXISTS search_doc",
            "DROP TABLE IF EXISTS search_journal",
        ]
    if dialect == "postgresql":
        return [
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
    raise ValueError(f"unsupported dialect {dialect!r}; expected one of {SUPPORTED_DIALECTS}")


# ---------------------------------------------------------------- query plan


@dataclass
class _Term:
    term: str
    prefix: bool = False  # match words starting with term
    exact: list[str] = field(default_factory=list)  # match these whole words
    stem: str | None = None  # PostgreSQL: french stem, for highlighting
    lexemes: dict[str, list[str]] | None = None  # PostgreSQL: hub_fr lexemes of each exact word, when known


@dataclass
class _Plan:
    terms: list[_Term]
    corrections: dict[str, list[str]]
    ignored: list[str]
    impossible: bool = False  # some words given, none found anywhere


class _Params:
    """Named bind parameters p0, p1, …"""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"

    def many(self, values: Iterable[Any]) -> str:
        return ", ".join(self(v) for v in values)


def _loads(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return value


# ---------------------------------------------------------------- backend


class SqlBackend(SearchBackend):
    """Full-text search in SQLite (FTS5) or PostgreSQL. `bind` is an Engine
    (each call runs in its own transaction) or a Connection (calls join its
    transaction, inside a savepoint; the caller commits)."""

    stable_cursor = True

    def __init__(self, bind: Engine | Connection, *, batch_size: int = 1000, memory: bool = True) -> None:
        self.bind = bind
        self.memory = memory
        self.dialect = bind.dialect.name
        if self.dialect not in SUPPORTED_DIALECTS:
            raise ValueError(f"unsupported dialect {self.dialect!r}; expected one of {SUPPORTED_DIALECTS}")
        self.pg = self.dialect == "postgresql"
        self.name = f"sql-{self.dialect}"
        self.batch_size = batch_size

    # -------------------------------------------------------- connections

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if isinstance(self.bind, Engine):
            with self.bind.begin() as conn:
                yield conn
        elif self.bind.in_transaction():
            with self.bind.begin_nested():
                yield self.bind
        else:
            with self.bind.begin():
                yield self.bind

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if isinstance(self.bind, Engine):
            with self.bind.connect() as conn:
                yield conn
                conn.rollback()
        else:
            yield self.bind

    # -------------------------------------------------------- schema

    def setup(self) -> None:
        with self._write() as conn:
            for statement in sql_schema_statements(self.dialect):
                conn.exec_driver_sql(statement)

    def drop(self) -> None:
        with self._write() as conn:
            for statement in sql_drop_statements(self.dialect):
                conn.exec_driver_sql(statement)

    # -------------------------------------------------------- writes

    def _row(self, doc: Document, title_tokens: list[str], kw_tokens: list[str]) -> dict[str, Any]:
        row = {
            "uid": doc.uid,
            "kind": doc.kind,
            "doc_id": doc.id,
            "title": doc.title,
            "keywords": doc.keywords,
            "body": doc.body,
            "dep_code": doc.dep_code,
            "commune_insee": doc.commune_insee,
            "category": doc.category,
            "modality": doc.modality,
            "price_mode": doc.price_mode,
            "skills": doc.skills,
            "lat": doc.lat,
            "lon": doc.lon,
            "pub_ts": doc.pub_ts,
            "published_at": doc.published_at.isoformat() if doc.published_at else None,
            "extra": doc.extra,
            "title_ntok": len(title_tokens),
        }
        if not self.pg:
            row["title_tok"] = spaced(title_tokens)
            row["kw_tok"] = spaced(kw_tokens)
        return row

    _COLUMNS = (
        "uid",
        "kind",
        "doc_id",
        "title",
        "keywords",
        "body",
        "dep_code",
        "commune_insee",
        "category",
        "modality",
        "price_mode",
        "skills",
        "lat",
        "lon",
        "pub_ts",
        "published_at",
        "extra",
        "title_ntok",
    )
    _SQLITE_EXTRA_COLUMNS = ("title_tok", "kw_tok")

    # The change log read by the in-process engine: every write transaction
    # takes the next generation (the UPDATE also serialises writers on
    # PostgreSQL, so generations follow commit order) with a fresh nonce, and
    # lists the documents it touched. A cache that knows (generation, nonce)
    # reloads only those; a rolled-back generation has no log row, so a cache
    # built on it reloads everything.
    LOG_KEEP = 5000

    def _bump(self, conn: Connection, reset: bool = False) -> int:
        nonce = uuid.uuid4().hex
        gen = conn.execute(
            text("UPDATE search_state SET gen = gen + 1, nonce = :n WHERE id = 1 RETURNING gen"), {"n": nonce}
        ).scalar_one()
        conn.execute(
            text("INSERT INTO search_log (gen, nonce, reset) VALUES (:g, :n, :r)"), {"g": gen, "n": nonce, "r": reset}
        )
        if gen % 500 == 0:
            conn.execute(text("DELETE FROM search_change WHERE gen <= :g"), {"g": gen - self.LOG_KEEP})
            conn.execute(text("DELETE FROM search_log WHERE gen <= :g"), {"g": gen - self.LOG_KEEP})
        return gen

    def index(self, kind: str, documents: Iterable[Document]) -> int:
        docs = check_documents(kind, documents)
        if not docs:
            return 0
        with self._write() as conn:
            gen = self._bump(conn)
            for start in range(0, len(docs), self.batch_size):
                self._index_batch(conn, docs[start : start + self.batch_size], gen)
        return len(docs)

    def _index_batch(self, conn: Connection, docs: Sequence[Document], gen: int | None) -> None:
        toks = [(tokens(d.title), tokens(d.keywords), tokens(d.body)) for d in docs]
        rows = json.dumps([self._row(d, t, k) for d, (t, k, _b) in zip(docs, toks)], default=str)
        uid_list = [d.uid for d in docs]
        uids = json.dumps(uid_list)
        doc_terms = [{w for part in parts for w in part if 2 <= len(w) <= TERM_MAX_LEN} for parts in toks]
        terms = sorted(set().union(*doc_terms))
        if self.pg:
            cols = ", ".join(self._COLUMNS)
            types = ", ".join(f"{c} {self._pg_type(c)}" for c in self._COLUMNS)
            updates = ", ".join(f"{c} = excluded.{c}" for c in self._COLUMNS if c != "uid")
            conn.execute(
                text("DELETE FROM search_doc_skill WHERE pk IN (SELECT pk FROM search_doc WHERE uid = ANY(:uids))"),
                {"uids": uid_list},
            )
            conn.execute(
                text(
                    f"INSERT INTO search_doc ({cols}) SELECT {cols} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
                    f"AS r({types}) ON CONFLICT (uid) DO UPDATE SET {updates}"
                ),
                {"rows": rows},
            )
            conn.execute(
                text(
                    "INSERT INTO search_doc_skill (skill, pk) "
                    "SELECT DISTINCT s.skill, d.pk FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(uid text, skills jsonb) "
                    "JOIN search_doc d ON d.uid = r.uid CROSS JOIN LATERAL jsonb_array_elements_text(r.skills) AS s(skill)"
                ),
                {"rows": rows},
            )
            if terms:
                conn.execute(
                    text("INSERT INTO search_term (term) SELECT unnest(CAST(:terms AS text[])) ON CONFLICT DO NOTHING"),
                    {"terms": terms},
                )
            self._pg_lexemes(conn, uid_list)
            if gen is not None:
                conn.execute(
                    text(
                        "INSERT INTO search_change (gen, pk) SELECT :g, pk FROM search_doc "
                        "WHERE uid = ANY(:uids) ON CONFLICT DO NOTHING"
                    ),
                    {"g": gen, "uids": uid_list},
                )
        else:
            all_cols = self._COLUMNS + self._SQLITE_EXTRA_COLUMNS
            cols = ", ".join(all_cols)
            values = ", ".join(
                f"j.value -> '$.{c}'" if c in ("skills", "extra") else f"j.value ->> '$.{c}'" for c in all_cols
            )
            updates = ", ".join(f"{c} = excluded.{c}" for c in all_cols if c != "uid")
            conn.execute(
                text(
                    "DELETE FROM search_doc_skill WHERE pk IN (SELECT pk FROM search_doc "
                    "WHERE uid IN (SELECT value FROM json_each(:uids)))"
                ),
                {"uids": uids},
            )
            conn.execute(
                text(
                    f"INSERT INTO search_doc ({cols}) SELECT {values} FROM json_each(:rows) AS j "
                    f"WHERE true ON CONFLICT (uid) DO UPDATE SET {updates}"
                ),
                {"rows": rows},
            )
            conn.execute(
                text(
                    "INSERT OR IGNORE INTO search_doc_skill (skill, pk) SELECT s.value, d.pk "
                    "FROM json_each(:rows) AS j JOIN search_doc d ON d.uid = j.value ->> '$.uid' "
                    "JOIN json_each(j.value -> '$.skills') AS s"
                ),
                {"rows": rows},
            )
            term_ids: dict[str, int] = {}
            if terms:
                payload = {"terms": json.dumps(terms)}
                conn.execute(
                    text("INSERT OR IGNORE INTO search_term (term) SELECT value FROM json_each(:terms)"), payload
                )
                term_ids = dict(
                    conn.execute(
                        text("SELECT term, id FROM search_term WHERE term IN (SELECT value FROM json_each(:terms))"),
                        payload,
                    ).all()
                )
            pks = dict(
                conn.execute(
                    text("SELECT uid, pk FROM search_doc WHERE uid IN (SELECT value FROM json_each(:uids))"),
                    {"uids": uids},
                ).all()
            )
            lex_rows = []
            for d, (title_t, kw_t, _b), words in zip(docs, toks, doc_terms):
                lex_rows.append(
                    {
                        "pk": pks[d.uid],
                        "lex": pack_lexemes(
                            (term_ids[w] for w in words),
                            title={term_ids[w] for w in title_t if w in words},
                            keywords={term_ids[w] for w in kw_t if w in words},
                        ),
                    }
                )
            conn.execute(
                text(
                    "INSERT INTO search_doc_lex (pk, lex) VALUES (:pk, :lex) "
                    "ON CONFLICT (pk) DO UPDATE SET lex = excluded.lex"
                ),
                lex_rows,
            )
            if gen is not None:
                conn.execute(
                    text("INSERT OR IGNORE INTO search_change (gen, pk) VALUES (:g, :pk)"),
                    [{"g": gen, "pk": pk} for pk in pks.values()],
                )

    def _pg_lexemes(self, conn: Connection, uids: list[str]) -> None:
        """Number the documents' lexemes (every lexeme of tsv: stems and words)
        and store each document's packed list, with title/keywords flags from
        the weights in tsv_head (A = title, B = keywords)."""
        # Only the missing ones: ON CONFLICT alone would burn a sequence value per existing lexeme.
        conn.execute(
            text(
                "INSERT INTO search_lexeme (term) SELECT DISTINCT u.term FROM search_doc d "
                "CROSS JOIN LATERAL unnest(tsvector_to_array(d.tsv)) AS u(term) WHERE d.uid = ANY(:uids) "
                "AND NOT EXISTS (SELECT 1 FROM search_lexeme l WHERE l.term = u.term) ORDER BY 1 ON CONFLICT DO NOTHING"
            ),
            {"uids": uids},
        )
        conn.execute(
            text("DELETE FROM search_doc_lex WHERE pk IN (SELECT pk FROM search_doc WHERE uid = ANY(:uids))"),
            {"uids": uids},
        )
        conn.execute(
            text(
                "INSERT INTO search_doc_lex (pk, lex) "
                "SELECT x.pk, string_agg(int4send(CAST(l.id * 4 + COALESCE(h.mask, 0) AS int4)), ''::bytea ORDER BY l.id) "
                "FROM (SELECT d.pk, u.term FROM search_doc d CROSS JOIN LATERAL unnest(tsvector_to_array(d.tsv)) AS u(term) "
                "      WHERE d.uid = ANY(:uids)) AS x "
                "JOIN search_lexeme l ON l.term = x.term "
                "LEFT JOIN (SELECT d.pk, hh.lexeme AS term, "
                "                  bit_or(CASE w WHEN 'A' THEN 1 WHEN 'B' THEN 2 ELSE 0 END) AS mask "
                "           FROM search_doc d CROSS JOIN LATERAL unnest(d.tsv_head) AS hh "
                "           CROSS JOIN LATERAL unnest(hh.weights) AS w WHERE d.uid = ANY(:uids) "
                "           GROUP BY d.pk, hh.lexeme) AS h ON h.pk = x.pk AND h.term = x.term "
                "GROUP BY x.pk"
            ),
            {"uids": uids},
        )

    @staticmethod
    def _pg_type(column: str) -> str:
        return {
            "skills": "jsonb",
            "extra": "jsonb",
            "lat": "float8",
            "lon": "float8",
            "pub_ts": "float8",
            "title_ntok": "int4",
        }.get(column, "text")

    def delete(self, kind: str, ids: Iterable[Any]) -> None:
        check_kind(kind)
        uids = sorted({f"{kind}:{i}" for i in ids})
        if not uids:
            return
        with self._write() as conn:
            gen = self._bump(conn)
            if self.pg:
                conn.execute(
                    text(
                        "INSERT INTO search_change (gen, pk) SELECT :g, pk FROM search_doc "
                        "WHERE uid = ANY(:uids) ON CONFLICT DO NOTHING"
                    ),
                    {"g": gen, "uids": uids},
                )
                conn.execute(text("DELETE FROM search_doc WHERE uid = ANY(:uids)"), {"uids": uids})
            else:
                payload = {"uids": json.dumps(uids)}
                conn.execute(
                    text(
                        "INSERT OR IGNORE INTO search_change (gen, pk) SELECT :g, pk FROM search_doc "
                        "WHERE uid IN (SELECT value FROM json_each(:uids))"
                    ),
                    {**payload, "g": gen},
                )
                for table in ("search_doc_skill", "search_doc_lex"):
                    conn.execute(
                        text(
                            f"DELETE FROM {table} WHERE pk IN (SELECT pk FROM search_doc "
                            "WHERE uid IN (SELECT value FROM json_each(:uids)))"
                        ),
                        payload,
                    )
                conn.execute(text("DELETE FROM search_doc WHERE uid IN (SELECT value FROM json_each(:uids))"), payload)

    def clear(self, kind: str) -> None:
        check_kind(kind)
        with self._write() as conn:
            self._bump(conn, reset=True)
            self._clear(conn, kind)

    def _clear(self, conn: Connection, kind: str) -> None:
        if not self.pg:
            for table in ("search_doc_skill", "search_doc_lex"):
                conn.execute(
                    text(f"DELETE FROM {table} WHERE pk IN (SELECT pk FROM search_doc WHERE kind = :k)"), {"k": kind}
                )
        conn.execute(text("DELETE FROM search_doc WHERE kind = :k"), {"k": kind})

    def rebuild(
        self, kind: str, batches: Iterable[Sequence[Document]], progress: Callable[[int], None] | None = None
    ) -> int:
        """Replace every document of `kind` in one transaction: readers see the
        old set until the new one is complete."""
        check_kind(kind)
        done = 0
        with self._write() as conn:
            self._bump(conn, reset=True)  # caches reload everything
            self._clear(conn, kind)
            for batch in batches:
                docs = check_documents(kind, batch)
                for start in range(0, len(docs), self.batch_size):
                    self._index_batch(conn, docs[start : start + self.batch_size], None)
                done += len(docs)
                if progress:
                    progress(done)
        return done

    def optimize(self) -> None:
        """Merge FTS5 segments and refresh planner statistics (after a bulk load)."""
        with self._write() as conn:
            if self.pg:
                for table in ("search_doc", "search_doc_skill", "search_term", "search_lexeme", "search_doc_lex"):
                    conn.exec_driver_sql(f"ANALYZE {table}")
            else:
                conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
                conn.exec_driver_sql("ANALYZE")

    # -------------------------------------------------------- reads

    _DOC_COLUMNS = (
        "pk, doc_id, kind, title, body, keywords, dep_code, commune_insee, category, skills, modality, "
        "price_mode, lat, lon, published_at, extra"
    )

    @staticmethod
    def _document(r: Any) -> Document:
        return Document(
            id=r["doc_id"],
            kind=r["kind"],
            title=r["title"],
            body=r["body"],
            keywords=r["keywords"],
            dep_code=r["dep_code"],
            commune_insee=r["commune_insee"],
            category=r["category"],
            skills=_loads(r["skills"], []),
            modality=r["modality"],
            price_mode=r["price_mode"],
            lat=r["lat"],
            lon=r["lon"],
            published_at=r["published_at"],
            extra=_loads(r["extra"], {}),
        )

    def get(self, kind: str, ids: Iterable[Any]) -> list[Document]:
        """The stored documents among `ids` (missing ones are left out)."""
        check_kind(kind)
        uids = sorted({f"{kind}:{i}" for i in ids})
        if not uids:
            return []
        p = _Params()
        sql = f"SELECT {self._DOC_COLUMNS} FROM search_doc WHERE uid IN ({p.many(uids)}) ORDER BY uid"
        with self._read() as conn:
            rows = conn.execute(text(sql), p.values).mappings().all()
        return [self._document(r) for r in rows]

    def iter_documents(self, kind: str, batch_size: int = 1000) -> Iterator[list[Document]]:
        """Every stored document of `kind`, in batches (to copy the index into
        another backend)."""
        check_kind(kind)
        last = 0
        while True:
            with self._read() as conn:
                rows = (
                    conn.execute(
                        text(
                            f"SELECT {self._DOC_COLUMNS} FROM search_doc WHERE kind = :k AND pk > :last "
                            f"ORDER BY pk LIMIT :n"
                        ),
                        {"k": kind, "last": last, "n": batch_size},
                    )
                    .mappings()
                    .all()
                )
            if not rows:
                return
            last = rows[-1]["pk"]
            yield [self._document(r) for r in rows]

    def health(self) -> Health:
        try:
            with self._read() as conn:
                counts = {
                    k: int(n)
                    for k, n in conn.execute(text("SELECT kind, count(*) FROM search_doc GROUP BY kind")).all()
                }
                if not self.pg:
                    conn.execute(text("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'x' LIMIT 1")).all()
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            return Health(ok=False, backend=self.name, detail=f"{type(exc).__name__}: {exc}")
        return Health(ok=True, backend=self.name, detail="ok", documents=counts)

    # -------------------------------------------------------- search

    _SLOTS = ("dep_code", "commune_insee", "category", "modality", "price_mode", "kind")  # scalar facets

    def search(self, query: SearchQuery) -> SearchResult:
        kinds = query.kinds  # raises PrivateKindError
        if "need" in kinds and not query.include_private:  # pragma: no cover - belt and braces
            raise PrivateKindError("needs need include_private=True")
        position = decode_cursor(query)
        if position is not None:
            if len(position) != 2:
                raise InvalidCursor("malformed cursor position")
            try:
                position = [float(position[0]), str(position[1])]
            except (IndexError, TypeError, ValueError) as exc:
                raise InvalidCursor("malformed cursor position") from exc
        if self.memory:
            return self._search_memory(query, position)
        return search_widening(lambda q: self._search_sql(q, position), query)

    # -------------------------------------------------------- search in process (the default)

    def _cache(self) -> MemoryIndex:
        engine = self.bind if isinstance(self.bind, Engine) else self.bind.engine
        key = engine.url.render_as_string(hide_password=True)
        with _CACHES_LOCK:
            index = _CACHES.pop(key, None) or MemoryIndex()
            _CACHES[key] = index  # most recently used last
            while len(_CACHES) > MAX_CACHED_DATABASES:
                _CACHES.pop(next(iter(_CACHES)))
        return index

    def _refresh(self, conn: Connection, index: MemoryIndex) -> None:
        """Bring `index` to the database's state as this connection sees it."""
        gen, nonce = conn.execute(text("SELECT gen, nonce FROM search_state WHERE id = 1")).one()
        head = (int(gen), str(nonce))
        if index.state == head:
            return
        if index.state is not None and not index.stale:
            known, newer_reset = conn.execute(
                text(
                    "SELECT (SELECT nonce FROM search_log WHERE gen = :g), "
                    "(SELECT count(*) FROM search_log WHERE gen > :g AND reset = :t)"
                ),
                {"g": index.state[0], "t": True},
            ).one()
            if known == index.state[1] and not newer_reset:
                pks = [
                    int(r[0])
                    for r in conn.execute(
                        text("SELECT DISTINCT pk FROM search_change WHERE gen > :g"), {"g": index.state[0]}
                    ).all()
                ]
                rows = self._memory_rows(conn, pks)
                missing = index.unknown_lexemes(rows)
                if missing:
                    index.add_terms(self._vocabulary(conn, missing))
                index.apply(rows, removed=set(pks) - {r.pk for r in rows}, state=head)
                return
        rows = self._memory_rows(conn, None)
        index.load(rows, self._vocabulary(conn, None), head)

    def _vocabulary(self, conn: Connection, ids: list[int] | None) -> list[tuple[int, str]]:
        table = "search_lexeme" if self.pg else "search_term"
        if ids is None:
            return [(int(i), t) for i, t in conn.execute(text(f"SELECT id, term FROM {table}")).all()]
        out: list[tuple[int, str]] = []
        for start in range(0, len(ids), 500):
            p = _Params()
            chunk = ids[start : start + 500]
            out.extend(
                (int(i), t)
                for i, t in conn.execute(
                    text(f"SELECT id, term FROM {table} WHERE id IN ({p.many(chunk)})"), p.values
                ).all()
            )
        return out

    def _memory_rows(self, conn: Connection, pks: list[int] | None) -> list[Row]:
        cols = (
            "SELECT d.pk, d.uid, d.kind, d.dep_code, d.commune_insee, d.category, d.modality, d.price_mode, "
            "d.lat, d.lon, d.pub_ts, d.title_ntok, x.lex FROM search_doc d LEFT JOIN search_doc_lex x ON x.pk = d.pk"
        )
        chunks: list[tuple[str, str, dict[str, Any]]] = []
        if pks is None:
            chunks.append((cols, "SELECT pk, skill FROM search_doc_skill", {}))
        else:
            for start in range(0, len(pks), 500):
                p = _Params()
                where = p.many(pks[start : start + 500])
                chunks.append(
                    (
                        f"{cols} WHERE d.pk IN ({where})",
                        f"SELECT pk, skill FROM search_doc_skill WHERE pk IN ({where})",
                        p.values,
                    )
                )
        rows: list[Row] = []
        for doc_sql, skill_sql, values in chunks:
            skills: dict[int, list[str]] = {}
            for pk, skill in conn.execute(text(skill_sql), values).all():
                skills.setdefault(int(pk), []).append(skill)
            for r in conn.execute(text(doc_sql), values).all():
                rows.append(
                    Row(
                        int(r[0]),
                        r[1],
                        r[2],
                        r[3],
                        r[4],
                        r[5],
                        r[6],
                        r[7],
                        r[8],
                        r[9],
                        float(r[10] or 0.0),
                        int(r[11] or 0),
                        bytes(r[12]) if r[12] is not None else b"",
                        skills.get(int(r[0]), ()),
                    )
                )
        return rows

    def _term_specs(self, conn: Connection, index: MemoryIndex, plan: _Plan) -> list[TermSpec]:
        """The plan's words as lexeme ids: the words themselves on SQLite; on
        PostgreSQL, their hub_fr lexemes (stems), as to_tsquery('hub_fr', …) does."""
        words = {e for t in plan.terms for e in t.exact}
        if not self.pg:
            lexemes = {e: [e] for e in words}
        else:
            lexemes = {w: lx for t in plan.terms for w, lx in (t.lexemes or {}).items()}
            missing = sorted(words - set(lexemes))
            if missing:  # typo corrections: their lexemes were not probed with the plan
                lexemes.update(
                    {
                        w: list(lx or [])
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

    def _search_memory(self, query: SearchQuery, position: list[Any] | None) -> SearchResult:
        facets = list(query.facets)
        with self._read() as conn:
            plan = self._plan(conn, query.text)
            if plan.impossible:
                return SearchResult(
                    hits=[],
                    facets={f: {} for f in facets},
                    next_cursor=None,
                    total=0,
                    backend=self.name,
                    corrections=plan.corrections,
                    ignored_terms=plan.ignored,
                    exact_total=0,
                )
            index = self._cache()
            with index.lock:
                self._refresh(conn, index)
                specs = self._term_specs(conn, index, plan) if plan.terms else None

                def run(q: SearchQuery):
                    return index.search(
                        kinds=q.kinds,
                        terms=specs,
                        match_any=q.match_any,
                        filters=q.filters,
                        facets=facets,
                        near=q.near,
                        radius_km=q.radius_km,
                        sort=q.effective_sort,
                        after=tuple(position) if position is not None else None,
                        limit=q.limit,
                    )

                page = run(query)
                exact_total, widened = page.total, should_widen(query, page.total)
                if widened:  # same plan, same snapshot: only the matching differs
                    query = widened_query(query)
                    page = run(query)
            display = self._display(conn, query, plan, page.pks) if page.pks else {}
        hits = []
        for pk, score, distance in zip(page.pks, page.scores, page.distances):
            d = display[pk]
            hits.append(
                Hit(
                    id=d["doc_id"],
                    kind=d["kind"],
                    title=d["title"],
                    score=score,
                    highlight=d["highlight"],
                    distance_km=distance,
                    published_at=datetime.fromisoformat(d["published_at"]) if d["published_at"] else None,
                    extra=_loads(d["extra"], {}),
                )
            )
        next_cursor = encode_cursor(query, [page.keys[-1], page.uids[-1]]) if page.more and page.pks else None
        counts = {f: dict(sorted(page.facets.get(f, {}).items(), key=lambda kv: (-kv[1], kv[0]))) for f in facets}
        return SearchResult(
            hits=hits,
            facets=counts,
            next_cursor=next_cursor,
            total=page.total,
            backend=self.name,
            corrections=plan.corrections,
            ignored_terms=plan.ignored,
            exact_total=exact_total,
            widened=widened,
        )

    # -------------------------------------------------------- search in SQL (reference; memory=False)

    def _search_sql(self, query: SearchQuery, position: list[Any] | None) -> SearchResult:
        facets = list(query.facets)
        with self._read() as conn:
            plan = self._plan(conn, query.text)
            if plan.impossible:
                return SearchResult(
                    hits=[],
                    facets={f: {} for f in facets},
                    next_cursor=None,
                    total=0,
                    backend=self.name,
                    corrections=plan.corrections,
                    ignored_terms=plan.ignored,
                )
            # One pass over the matching documents (CTE m): the page (keyset),
            # the facet counts and the total come out of the same statement.
            p = _Params()
            from_sql, where = self._from_where(p, query, plan)
            score = self._score_sql(p, plan, query.match_any) if plan.terms else "0.0"
            dist = self._distance_sql(p, query) if query.near else "NULL"
            dist_key = f"COALESCE({dist}, {NO_DISTANCE})" if query.near else str(NO_DISTANCE)
            sort = query.effective_sort
            key, desc = {"relevance": ("score", True), "date": ("pub_ts", True), "distance": ("dist_key", False)}[sort]
            keyset = ""
            if position is not None:
                kv, ku = p(position[0]), p(position[1])
                op = "<" if desc else ">"
                keyset = f"WHERE (s.{key} {op} {kv} OR (s.{key} = {kv} AND s.uid > {ku}))"
            slots = [f if f in facets else None for f in self._SLOTS]
            slot_cols = "".join(f", d.{f}" for f in slots if f)
            m = (
                f"SELECT d.pk, d.uid, d.pub_ts, {score} AS score, {dist} AS dist, {dist_key} AS dist_key{slot_cols} "
                f"FROM {from_sql} WHERE {where}"
            )
            nulls = ", ".join("NULL" for _ in self._SLOTS)
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
                    + ", ".join("NULL" for _ in self._SLOTS[1:])
                    + ", count(*) FROM m JOIN search_doc_skill s ON s.pk = m.pk GROUP BY s.skill"
                )
            sql = f"WITH m AS MATERIALIZED ({m}) " + " UNION ALL ".join(parts)
            rows = conn.execute(text(sql), p.values).all()

            page, total = [], 0
            counts: dict[str, dict[str, int]] = {f: {} for f in facets}
            for r in rows:
                if r[0] == 0:
                    page.append(r)
                elif r[0] == 1:
                    n = int(r[-1])
                    total += n
                    for f, value in zip(self._SLOTS, r[6:12]):
                        if f in counts and value is not None:
                            counts[f][str(value)] = counts[f].get(str(value), 0) + n
                else:
                    counts["skills"][str(r[6])] = int(r[-1])
            page.sort(key=(lambda r: (-r[5], r[2])) if desc else (lambda r: (r[5], r[2])))
            more = len(page) > query.limit
            page = page[: query.limit]
            display = self._display(conn, query, plan, [r[1] for r in page]) if page else {}
        hits = []
        for r in page:
            d = display[r[1]]
            hits.append(
                Hit(
                    id=d["doc_id"],
                    kind=d["kind"],
                    title=d["title"],
                    score=float(r[3] or 0.0),
                    highlight=d["highlight"],
                    distance_km=None if r[4] is None else float(r[4]),
                    published_at=datetime.fromisoformat(d["published_at"]) if d["published_at"] else None,
                    extra=_loads(d["extra"], {}),
                )
            )
        next_cursor = encode_cursor(query, [float(page[-1][5]), page[-1][2]]) if more and page else None
        for f in counts:
            counts[f] = dict(sorted(counts[f].items(), key=lambda kv: (-kv[1], kv[0])))
        return SearchResult(
            hits=hits,
            facets=counts,
            next_cursor=next_cursor,
            total=total,
            backend=self.name,
            corrections=plan.corrections,
            ignored_terms=plan.ignored,
        )

    def _display(self, conn: Connection, query: SearchQuery, plan: _Plan, pks: list[int]) -> dict[int, dict[str, Any]]:
        """Title, extra and highlight of the page's documents only."""
        p = _Params()
        highlight = query.highlight and bool(plan.terms)
        cols = "d.pk, d.kind, d.doc_id, d.title, d.body, d.extra, d.published_at"
        if highlight and self.pg:
            hl = self._pg_headline_query(p, plan)
            marks = f"StartSel={MARK_START}, StopSel={MARK_END}"
            title_opts = p(f"HighlightAll=true, {marks}")
            body_opts = p(
                f'MaxWords={SNIPPET_WORDS}, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … ", {marks}'
            )
            sql = (
                f"SELECT {cols}, ts_headline('hub_simple', d.title, {hl}, {title_opts}) AS h_title, "
                f"ts_headline('hub_simple', d.body, {hl}, {body_opts}) AS h_body "
                f"FROM search_doc d WHERE d.pk IN ({p.many(pks)})"
            )
        else:
            sql = f"SELECT {cols} FROM search_doc d WHERE d.pk IN ({p.many(pks)})"
        out = {}
        # SQLite: highlighted in Python; FTS5's highlight() and snippet() would
        # evaluate the whole MATCH again (~0.7 ms a row for a broad prefix).
        exact = {e for t in plan.terms for e in t.exact}
        prefixes = {t.term for t in plan.terms if t.prefix}
        for r in conn.execute(text(sql), p.values).mappings().all():
            row = dict(r)
            if highlight and not self.pg:
                row["highlight"] = {
                    "title": marked_html(highlight_terms(r["title"], exact, prefixes)),
                    "body": marked_html(snippet_terms(r["body"], exact, prefixes, SNIPPET_WORDS)),
                }
            elif highlight:
                row["highlight"] = {"title": marked_html(r["h_title"]), "body": marked_html(r["h_body"])}
            else:
                row["highlight"] = {"title": plain_html(r["title"]), "body": plain_html(_first_words(r["body"]))}
            out[r["pk"]] = row
        return out

    # -------------------------------------------------------- pieces

    def _plan(self, conn: Connection, text_query: str) -> _Plan:
        words = query_terms(text_query)
        if not words:
            return _Plan(terms=[], corrections={}, ignored=[])
        p = _Params()
        probes = []
        for i, w in enumerate(words):
            lo = p(w)
            if len(w) >= PREFIX_MIN:
                cond = f"term >= {lo} AND term < {p(w + _TOP)}"
            else:
                cond = f"term = {lo}"
            stem = f"(ts_lexize('french_stem', CAST({lo} AS text)))[1]" if self.pg else "NULL"
            lexemes = f"tsvector_to_array(to_tsvector('hub_fr', CAST({lo} AS text)))" if self.pg else "NULL"
            probes.append(
                f"SELECT {i} AS i, EXISTS (SELECT 1 FROM search_term WHERE {cond}) AS found, "
                f"{stem} AS stem, {lexemes} AS lexemes"
            )
        found = {r[0]: (bool(r[1]), r[2], r[3]) for r in conn.execute(text(" UNION ALL ".join(probes)), p.values).all()}
        terms: list[_Term] = []
        corrections: dict[str, list[str]] = {}
        ignored: list[str] = []
        for i, w in enumerate(words):
            hit, stem, lexemes = found[i]
            if hit:
                terms.append(
                    _Term(
                        term=w,
                        prefix=len(w) >= PREFIX_MIN,
                        exact=[w],
                        stem=stem,
                        lexemes={w: list(lexemes or [])} if self.pg else None,
                    )
                )
                continue
            fixes = self._corrections(conn, w)
            if fixes:
                corrections[w] = fixes
                terms.append(_Term(term=w, prefix=False, exact=fixes, stem=None))
            else:
                ignored.append(w)
        return _Plan(terms=terms, corrections=corrections, ignored=ignored, impossible=not terms)

    def _corrections(self, conn: Connection, word: str) -> list[str]:
        limit = max_typos(word)
        if limit == 0:
            return []
        lo, hi = len(word) - limit, len(word) + limit
        if self.pg:
            rows = conn.execute(
                text(
                    "SELECT term FROM search_term WHERE term % :w AND length(term) BETWEEN :lo AND :hi "
                    "ORDER BY similarity(term, :w) DESC, term LIMIT 60"
                ),
                {"w": word, "lo": lo, "hi": hi},
            ).all()
        else:
            grams = trigrams(f" {word} ")
            match = " OR ".join(f'"{g}"' for g in grams)
            rows = conn.execute(
                text(
                    "SELECT t.term FROM search_term_tri x JOIN search_term t ON t.id = x.rowid "
                    "WHERE search_term_tri MATCH :m AND length(t.term) BETWEEN :lo AND :hi "
                    "ORDER BY x.rank, t.term LIMIT 60"
                ),
                {"m": match, "lo": lo, "hi": hi},
            ).all()
        scored = sorted((edit_distance(word, r[0], limit), r[0]) for r in rows)
        scored = [(d, t) for d, t in scored if d <= limit]
        if not scored:
            return []
        best = scored[0][0]
        return [t for d, t in scored if d == best][:MAX_CORRECTIONS]

    def _match_sqlite(self, plan: _Plan, any_word: bool = False) -> str:
        parts = []
        for t in plan.terms:
            options = [f'"{e}"' for e in t.exact if e != t.term or not t.prefix]
            if t.prefix:
                options.append(f'"{t.term}"*')
            parts.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
        return (" OR " if any_word else " AND ").join(parts)

    def _tsquery_pg(self, p: _Params, plan: _Plan, any_word: bool = False) -> str:
        per_term = []
        for t in plan.terms:
            options = [f"to_tsquery('hub_fr', {p(e)})" for e in t.exact]
            if t.prefix:
                options.append(f"to_tsquery('hub_simple', {p(t.term + ':*')})")
            per_term.append("(" + " || ".join(options) + ")")
        return "(" + (" || " if any_word else " && ").join(per_term) + ")"

    def _from_where(self, p: _Params, query: SearchQuery, plan: _Plan) -> tuple[str, str]:
        where = [f"d.kind IN ({p.many(query.kinds)})"]
        from_sql = "search_doc d"
        if plan.terms:
            if self.pg:
                where.append(f"d.tsv @@ {self._tsquery_pg(p, plan, query.match_any)}")
            else:
                from_sql = "search_fts f JOIN search_doc d ON d.pk = f.rowid"
                where.append(f"search_fts MATCH {p(self._match_sqlite(plan, query.match_any))}")
        for name, values in query.filters.items():
            if name == "skills":
                where.append(f"d.pk IN (SELECT sk.pk FROM search_doc_skill sk WHERE sk.skill IN ({p.many(values)}))")
            else:
                where.append(f"d.{name} IN ({p.many(values)})")
        if query.near and query.radius_km:
            lat0, lat1, lon0, lon1 = bounding_box(query.near[0], query.near[1], query.radius_km)
            where.append(f"d.lat BETWEEN {p(lat0)} AND {p(lat1)} AND d.lon BETWEEN {p(lon0)} AND {p(lon1)}")
            where.append(f"{self._distance_sql(p, query)} <= {p(query.radius_km)}")
        return from_sql, " AND ".join(where)

    def _distance_sql(self, p: _Params, query: SearchQuery) -> str:
        lat, lon = query.near
        least = "LEAST" if self.pg else "min"
        # (PostgreSQL's LEAST ignores NULLs: the CASE keeps unlocated documents at NULL.)
        return (
            f"(CASE WHEN d.lat IS NULL OR d.lon IS NULL THEN NULL ELSE 2 * {EARTH_RADIUS_KM} * asin({least}(1.0, sqrt("
            f"power(sin(radians(d.lat - {p(lat)}) / 2), 2) + "
            f"cos(radians({p(lat)})) * cos(radians(d.lat)) * power(sin(radians(d.lon - {p(lon)}) / 2), 2)))) END)"
        )

    def _score_sql(self, p: _Params, plan: _Plan, any_word: bool = False) -> str:
        """Per term: 3 for a word of the title, 2 for a title word starting with
        it, 1.5 / 1 the same in the keywords, 0.5 otherwise; summed, plus
        0.2 / (1 + words in the title). PostgreSQL reads the title (A) and
        keywords (B) weights of tsv_head; search/memory.py computes the same."""
        if self.pg:
            parts = []
            for t in plan.terms:

                def q(weight: str) -> str:
                    options = [f"to_tsquery('hub_fr', {p(f'{e}:{weight}')})" for e in t.exact]
                    return "(" + " || ".join(options) + ")"

                def pre(weight: str) -> str:
                    return f"to_tsquery('hub_simple', {p(f'{t.term}:*{weight}')})"

                cases = [f"WHEN d.tsv_head @@ {q('A')} THEN CAST(3.0 AS float8)"]
                if t.prefix:
                    cases.append(f"WHEN d.tsv_head @@ {pre('A')} THEN CAST(2.0 AS float8)")
                cases.append(f"WHEN d.tsv_head @@ {q('B')} THEN CAST(1.5 AS float8)")
                if t.prefix:
                    cases.append(f"WHEN d.tsv_head @@ {pre('B')} THEN CAST(1.0 AS float8)")
                parts.append("(CASE " + " ".join(cases) + " ELSE CAST(0.5 AS float8) END)")
            return "(" + " + ".join(parts) + " + CAST(0.2 AS float8) / (1 + d.title_ntok))"
        parts = []
        for t in plan.terms:

            def has(column: str, needles: list[str]) -> str:
                return "(" + " OR ".join(f"instr({column}, {p(n)}) > 0" for n in needles) + ")"

            exact = [f" {e} " for e in t.exact]
            prefix = [f" {t.term}"] if t.prefix else []
            cases = [f"WHEN {has('d.title_tok', exact)} THEN 3.0"]
            if prefix:
                cases.append(f"WHEN {has('d.title_tok', prefix)} THEN 2.0")
            cases.append(f"WHEN {has('d.kw_tok', exact)} THEN 1.5")
            if prefix:
                cases.append(f"WHEN {has('d.kw_tok', prefix)} THEN 1.0")
            parts.append("(CASE " + " ".join(cases) + " ELSE 0.5 END)")
        return "(" + " + ".join(parts) + " + 0.2 / (1 + d.title_ntok))"

    def _pg_headline_query(self, p: _Params, plan: _Plan) -> str:
        words = []
        for t in plan.terms:
            words.extend(f"{e}:*" for e in t.exact)
            if t.stem and t.stem != t.term:
                words.append(f"{t.stem}:*")
        return f"to_tsquery('hub_simple', {p(' | '.join(dict.fromkeys(words)))})"


def _first_words(body: str, words: int = SNIPPET_WORDS) -> str:
    parts = (body or "").split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")
