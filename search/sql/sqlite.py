"""The SQLite dialect of the SQL backend: FTS5 over search_doc, a trigram
FTS5 table over the vocabulary for typos, scores from the spaced token
columns (title_tok, kw_tok)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from ..base import MULTI_FIELDS, SCALAR_FIELDS, Document
from ..memory import MemoryIndex, TermSpec, pack_lexemes
from ..text import highlight_terms, marked_html, snippet_terms, spaced, tokens, trigrams
from .common import COLUMNS, PREFIX_MIN, SNIPPET_WORDS, TERM_MAX_LEN, Dialect, Params, Plan, Term, row_of

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
        title_tok TEXT NOT NULL DEFAULT ' ',
        kw_tok TEXT NOT NULL DEFAULT ' ',
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

DROP = [
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

_ALL_COLUMNS = (*COLUMNS, "title_tok", "kw_tok")
_JSON_COLUMNS = (*MULTI_FIELDS, "extra")


class SqliteDialect(Dialect):
    name = "sqlite"
    vocabulary_table = "search_term"
    least = "min"

    def schema(self) -> list[str]:
        return list(DDL)

    def drop(self) -> list[str]:
        return list(DROP)

    # -------------------------------------------------------- writes

    def index_batch(self, conn: Connection, docs: Sequence[Document], gen: int | None, build: int = 0) -> None:
        toks = [(tokens(d.title), tokens(d.keywords), tokens(d.body)) for d in docs]
        rows = json.dumps(
            [
                {**row_of(d, len(t)), "title_tok": spaced(t), "kw_tok": spaced(k)}
                for d, (t, k, _b) in zip(docs, toks, strict=True)
            ],
            default=str,
        )
        uids = json.dumps([d.uid for d in docs])
        doc_terms = [{w for part in parts for w in part if 2 <= len(w) <= TERM_MAX_LEN} for parts in toks]
        terms = sorted(set[str]().union(*doc_terms))
        cols = ", ".join(_ALL_COLUMNS) + ", build"  # build: shadow builds (search/sql/builds.py)
        values = (
            ", ".join(f"j.value -> '$.{c}'" if c in _JSON_COLUMNS else f"j.value ->> '$.{c}'" for c in _ALL_COLUMNS)
            + ", :build"
        )
        updates = ", ".join(f"{c} = excluded.{c}" for c in _ALL_COLUMNS if c != "uid")
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
        term_ids: dict[str, int] = {}
        if terms:
            payload = {"terms": json.dumps(terms)}
            conn.execute(text("INSERT OR IGNORE INTO search_term (term) SELECT value FROM json_each(:terms)"), payload)
            term_ids = {
                str(t): int(i)
                for t, i in conn.execute(
                    text("SELECT term, id FROM search_term WHERE term IN (SELECT value FROM json_each(:terms))"),
                    payload,
                ).all()
            }
        pks: dict[str, int] = {
            str(u): int(pk)
            for u, pk in conn.execute(
                text(
                    "SELECT uid, pk FROM search_doc WHERE uid IN (SELECT value FROM json_each(:uids)) AND build = :build"
                ),
                {"uids": uids, "build": build},
            ).all()
        }
        lex_rows = []
        for d, (title_t, kw_t, _b), words in zip(docs, toks, doc_terms, strict=True):
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
                "INSERT INTO search_doc_lex (pk, lex) VALUES (:pk, :lex) ON CONFLICT (pk) DO UPDATE SET lex = excluded.lex"
            ),
            lex_rows,
        )
        if gen is not None:
            conn.execute(
                text("INSERT OR IGNORE INTO search_change (gen, pk) VALUES (:g, :pk)"),
                [{"g": gen, "pk": pk} for pk in pks.values()],
            )

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
        conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
        conn.exec_driver_sql("ANALYZE")

    def probe_health(self, conn: Connection) -> None:
        conn.execute(text("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'x' LIMIT 1")).all()

    # -------------------------------------------------------- plan

    def probe_columns(self, lo: str) -> tuple[str, str]:
        return "NULL", "NULL"

    def term(self, word: str, stem: str | None, lexemes: list[str] | None) -> Term:
        return Term(term=word, prefix=len(word) >= PREFIX_MIN, exact=[word], stem=stem, lexemes=None)

    def corrections(self, conn: Connection, word: str, lo: int, hi: int) -> list[str]:
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
        return [str(r[0]) for r in rows]

    # -------------------------------------------------------- search in SQL

    @staticmethod
    def match(plan: Plan, any_word: bool = False) -> str:
        """The FTS5 MATCH expression of the plan."""
        parts = []
        for t in plan.terms:
            options = [f'"{e}"' for e in t.exact if e != t.term or not t.prefix]
            if t.prefix:
                options.append(f'"{t.term}"*')
            parts.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
        return (" OR " if any_word else " AND ").join(parts)

    def text_match(self, p: Params, plan: Plan, any_word: bool) -> tuple[str, str]:
        return "search_fts f JOIN search_doc d ON d.pk = f.rowid", f"search_fts MATCH {p(self.match(plan, any_word))}"

    def score_sql(self, p: Params, plan: Plan) -> str:
        """Per term: 3 for a word of the title, 2 for a title word starting with
        it, 1.5 / 1 the same in the keywords, 0.5 otherwise; summed, plus
        0.2 / (1 + words in the title)."""
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

    # -------------------------------------------------------- display

    def display_sql(self, p: Params, plan: Plan, highlight: bool, cols: str, pks: list[int]) -> str:
        # Highlighted in Python (highlight()): FTS5's highlight() and snippet() would
        # evaluate the whole MATCH again (~0.7 ms a row for a broad prefix).
        return f"SELECT {cols} FROM search_doc d WHERE d.pk IN ({p.many(pks)})"

    def highlight(self, row: RowMapping, plan: Plan) -> dict[str, str]:
        exact = {e for t in plan.terms for e in t.exact}
        prefixes = {t.term for t in plan.terms if t.prefix}
        return {
            "title": marked_html(highlight_terms(row["title"], exact, prefixes)),
            "body": marked_html(snippet_terms(row["body"], exact, prefixes, SNIPPET_WORDS)),
        }

    # -------------------------------------------------------- in process

    def term_specs(self, conn: Connection, index: MemoryIndex, plan: Plan) -> list[TermSpec]:
        """The plan's words are the lexemes themselves."""
        return [
            TermSpec(
                exact=sorted({index.id_of[e] for e in t.exact if e in index.id_of}),
                prefix=t.term if t.prefix else None,
            )
            for t in plan.terms
        ]
