"""The PostgreSQL dialect of the SQL backend: the documents, their skills, the
numbered lexemes (search/analysis.py, the same as on SQLite) and each document's
packed list of them, the change log. Queries are answered in process
(search/memory.py): no full-text index is kept in the database."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..base import MULTI_FIELDS, SCALAR_FIELDS, Document
from .common import COLUMNS, Dialect, row_of

_FILTER_COLUMNS = "".join(f"        {name} TEXT,\n" for name in SCALAR_FIELDS) + "".join(
    f"        {name} JSONB NOT NULL DEFAULT '[]',\n" for name in MULTI_FIELDS
)

DDL = [
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
        title_ntok INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_pub ON search_doc (kind, pub_ts DESC, uid)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_lat ON search_doc (kind, lat, lon)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_dep ON search_doc (kind, dep_code)",
    """CREATE TABLE IF NOT EXISTS search_doc_skill (
        skill TEXT NOT NULL,
        pk BIGINT NOT NULL REFERENCES search_doc (pk) ON DELETE CASCADE,
        PRIMARY KEY (skill, pk)
    )""",
    "CREATE INDEX IF NOT EXISTS search_doc_skill_pk ON search_doc_skill (pk)",
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

DROP = [
    "DROP TABLE IF EXISTS search_doc_lex",
    "DROP TABLE IF EXISTS search_state",
    "DROP TABLE IF EXISTS search_log",
    "DROP TABLE IF EXISTS search_change",
    "DROP TABLE IF EXISTS search_lexeme",
    "DROP TABLE IF EXISTS search_doc_skill",
    "DROP TABLE IF EXISTS search_doc",
    "DROP TABLE IF EXISTS search_journal",
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

    def schema(self) -> list[str]:
        return list(DDL)

    def drop(self) -> list[str]:
        return list(DROP)

    def write_documents(self, conn: Connection, docs: Sequence[Document], build: int = 0) -> dict[str, int]:
        rows = json.dumps([row_of(d) for d in docs], default=str)
        uid_list = [d.uid for d in docs]
        conn.execute(
            text(
                "DELETE FROM search_doc_skill WHERE pk IN "
                "(SELECT pk FROM search_doc WHERE uid = ANY(:uids) AND build = :build)"
            ),
            {"uids": uid_list, "build": build},
        )
        pks = {
            str(u): int(pk)
            for u, pk in conn.execute(
                text(
                    f"INSERT INTO search_doc ({_INSERT_COLUMNS}, build) SELECT {_INSERT_COLUMNS}, :build "
                    f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
                    f"AS r({_INSERT_TYPES}) ON CONFLICT (uid, build) DO UPDATE SET {_INSERT_UPDATES} "
                    "RETURNING uid, pk"
                ),
                {"rows": rows, "build": build},
            ).all()
        }
        conn.execute(
            text(
                "INSERT INTO search_doc_skill (skill, pk) "
                "SELECT DISTINCT s.skill, d.pk FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(uid text, skills jsonb) "
                "JOIN search_doc d ON d.uid = r.uid AND d.build = :build "
                "CROSS JOIN LATERAL jsonb_array_elements_text(r.skills) AS s(skill)"
            ),
            {"rows": rows, "build": build},
        )
        return pks

    def lexeme_ids(self, conn: Connection, terms: list[str]) -> dict[str, int]:
        if not terms:
            return {}
        # Only the missing ones: ON CONFLICT alone would burn a sequence value per existing lexeme.
        conn.execute(
            text(
                "INSERT INTO search_lexeme (term) SELECT t FROM unnest(CAST(:terms AS text[])) AS t "
                "WHERE NOT EXISTS (SELECT 1 FROM search_lexeme l WHERE l.term = t) ORDER BY 1 ON CONFLICT DO NOTHING"
            ),
            {"terms": terms},
        )
        return {
            str(t): int(i)
            for t, i in conn.execute(
                text("SELECT term, id FROM search_lexeme WHERE term = ANY(:terms)"), {"terms": terms}
            ).all()
        }

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
        """Reading search_doc (the counts) is enough."""

    def optimize(self, conn: Connection) -> None:
        for table in ("search_doc", "search_doc_skill", "search_lexeme", "search_doc_lex"):
            conn.exec_driver_sql(f"ANALYZE {table}")
