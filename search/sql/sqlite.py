"""The SQLite dialect of the SQL backend: the documents, their skills, the
numbered lexemes (search/analysis.py) and each document's packed list of them,
the change log. Queries are answered in process (search/memory.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..base import MULTI_FIELDS, SCALAR_FIELDS, Document
from .common import COLUMNS, Dialect, row_of

_FILTER_COLUMNS = "".join(f"        {name} TEXT,\n" for name in SCALAR_FIELDS) + "".join(
    f"        {name} TEXT NOT NULL DEFAULT '[]',\n" for name in MULTI_FIELDS
)

DDL = [
    f"""CREATE TABLE IF NOT EXISTS search_doc (
        pk INTEGER PRIMARY KEY,
        uid TEXT NOT NULL,
        build INTEGER NOT NULL DEFAULT 0,  -- shadow builds (search/sql/builds.py): unique (uid, build)
        kind TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        keywords TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        title_ntok INTEGER NOT NULL DEFAULT 0,
{_FILTER_COLUMNS}        lat REAL,
        lon REAL,
        pub_ts REAL NOT NULL DEFAULT 0,
        published_at TEXT,
        extra TEXT NOT NULL DEFAULT '{{}}'
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
    "CREATE TABLE IF NOT EXISTS search_lexeme (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)",
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

_JSON_COLUMNS = (*MULTI_FIELDS, "extra")


class SqliteDialect(Dialect):
    name = "sqlite"

    def schema(self) -> list[str]:
        return list(DDL)

    def drop(self) -> list[str]:
        return list(DROP)

    def write_documents(self, conn: Connection, docs: Sequence[Document], build: int = 0) -> dict[str, int]:
        rows = json.dumps([row_of(d) for d in docs], default=str)
        uids = json.dumps([d.uid for d in docs])
        cols = ", ".join(COLUMNS) + ", build"  # build: shadow builds (search/sql/builds.py)
        values = (
            ", ".join(f"j.value -> '$.{c}'" if c in _JSON_COLUMNS else f"j.value ->> '$.{c}'" for c in COLUMNS)
            + ", :build"
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "uid")
        conn.execute(
            text(
                "DELETE FROM search_doc_skill WHERE pk IN (SELECT pk FROM search_doc "
                "WHERE uid IN (SELECT value FROM json_each(:uids)) AND build = :build)"
            ),
            {"uids": uids, "build": build},
        )
        conn.execute(
            text(
                f"INSERT INTO search_doc ({cols}) SELECT {values} FROM json_each(:rows) AS j "
                f"WHERE true ON CONFLICT (uid, build) DO UPDATE SET {updates}"
            ),
            {"rows": rows, "build": build},
        )
        conn.execute(
            text(
                "INSERT OR IGNORE INTO search_doc_skill (skill, pk) SELECT s.value, d.pk "
                "FROM json_each(:rows) AS j JOIN search_doc d ON d.uid = j.value ->> '$.uid' AND d.build = :build "
                "JOIN json_each(j.value -> '$.skills') AS s"
            ),
            {"rows": rows, "build": build},
        )
        return {
            str(u): int(pk)
            for u, pk in conn.execute(
                text(
                    "SELECT uid, pk FROM search_doc WHERE uid IN (SELECT value FROM json_each(:uids)) AND build = :build"
                ),
                {"uids": uids, "build": build},
            ).all()
        }

    def lexeme_ids(self, conn: Connection, terms: list[str]) -> dict[str, int]:
        if not terms:
            return {}
        payload = {"terms": json.dumps(terms)}
        conn.execute(text("INSERT OR IGNORE INTO search_lexeme (term) SELECT value FROM json_each(:terms)"), payload)
        return {
            str(t): int(i)
            for t, i in conn.execute(
                text("SELECT term, id FROM search_lexeme WHERE term IN (SELECT value FROM json_each(:terms))"), payload
            ).all()
        }

    def delete(self, conn: Connection, uids: list[str], gen: int | None, build: int = 0) -> None:
        payload = {"uids": json.dumps(uids), "build": build}
        if gen is not None:
            conn.execute(
                text(
                    "INSERT OR IGNORE INTO search_change (gen, pk) SELECT :g, pk FROM search_doc "
                    "WHERE uid IN (SELECT value FROM json_each(:uids)) AND build = :build"
                ),
                {**payload, "g": gen},
            )
        for table in ("search_doc_skill", "search_doc_lex"):
            conn.execute(
                text(
                    f"DELETE FROM {table} WHERE pk IN (SELECT pk FROM search_doc "
                    "WHERE uid IN (SELECT value FROM json_each(:uids)) AND build = :build)"
                ),
                payload,
            )
        conn.execute(
            text("DELETE FROM search_doc WHERE uid IN (SELECT value FROM json_each(:uids)) AND build = :build"),
            payload,
        )

    def clear(self, conn: Connection, kind: str) -> None:
        """Every row of `kind`, in every build."""
        for table in ("search_doc_skill", "search_doc_lex"):
            conn.execute(
                text(f"DELETE FROM {table} WHERE pk IN (SELECT pk FROM search_doc WHERE kind = :k)"), {"k": kind}
            )
        conn.execute(text("DELETE FROM search_doc WHERE kind = :k"), {"k": kind})

    def optimize(self, conn: Connection) -> None:
        conn.exec_driver_sql("ANALYZE")

    def probe_health(self, conn: Connection) -> None:
        conn.execute(text("SELECT count(*) FROM search_doc_lex")).all()
