"""search index: French analysis in Python, queries answered in process only

Every row belongs to a build (`search_doc.build`, unique with `uid`; `search_build` names the
live build of each kind, `search_dirty` the documents written during a rebuild): a full rebuild
is written beside the live index and swapped in at the end (search/sql/builds.py).

The words of the documents are analysed by search/analysis.py (Snowball French
stems, elisions, compounds) the same way on SQLite and PostgreSQL, numbered in
search_lexeme and stored packed per document; the database's own full-text
machinery is no longer used (SQLite's FTS5 table search_fts and its triggers,
the trigram vocabulary search_term / search_term_tri, PostgreSQL's generated
tsvector columns, their GIN index, search_term and the hub_fr / hub_simple text
search configurations). The search tables hold derived data only: they are
dropped and created again, and `flask hub bootstrap` (run by `make run` and by
docker compose's `migrate` service) refills them; `flask hub reindex` does it
by hand.

The statements are a frozen copy of search.sql_drop_statements() and
search.sql_schema_statements() as of this revision.

Revision ID: 0019
Revises: 0018
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SQLITE_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS search_doc (
        pk INTEGER PRIMARY KEY,
        uid TEXT NOT NULL,
        build INTEGER NOT NULL DEFAULT 0,  -- shadow builds (search/sql/builds.py): unique (uid, build)
        kind TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        keywords TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        title_ntok INTEGER NOT NULL DEFAULT 0,
        dep_code TEXT,
        commune_insee TEXT,
        category TEXT,
        modality TEXT,
        price_mode TEXT,
        charter_level TEXT,
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
    "CREATE TABLE IF NOT EXISTS search_lexeme (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)",
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
    "CREATE UNIQUE INDEX IF NOT EXISTS search_doc_uid_build ON search_doc (uid, build)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_build ON search_doc (kind, build)",
    """CREATE TABLE IF NOT EXISTS search_build (
        kind TEXT PRIMARY KEY, live INTEGER NOT NULL DEFAULT 0, shadow INTEGER, started_gen INTEGER)""",
    """CREATE TABLE IF NOT EXISTS search_dirty (
        build INTEGER NOT NULL, uid TEXT NOT NULL, gen INTEGER NOT NULL, PRIMARY KEY (build, uid))""",
]

POSTGRESQL_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS search_doc (
        pk BIGSERIAL PRIMARY KEY,
        uid TEXT COLLATE "C" NOT NULL,
        build BIGINT NOT NULL DEFAULT 0,  -- shadow builds (search/sql/builds.py): unique (uid, build)
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
        charter_level TEXT,
        skills JSONB NOT NULL DEFAULT '[]',
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        pub_ts DOUBLE PRECISION NOT NULL DEFAULT 0,
        published_at TEXT,
        extra JSONB NOT NULL DEFAULT '{}',
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
    'CREATE TABLE IF NOT EXISTS search_lexeme (id SERIAL PRIMARY KEY, term TEXT COLLATE "C" NOT NULL UNIQUE)',
    """CREATE TABLE IF NOT EXISTS search_doc_lex (
        pk BIGINT PRIMARY KEY REFERENCES search_doc (pk) ON DELETE CASCADE, lex BYTEA NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS search_state (
        id INTEGER PRIMARY KEY CHECK (id = 1), gen BIGINT NOT NULL, nonce TEXT NOT NULL)""",
    "INSERT INTO search_state (id, gen, nonce) VALUES (1, 0, md5(random()::text || clock_timestamp()::text)) ON CONFLICT DO NOTHING",
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
    "CREATE UNIQUE INDEX IF NOT EXISTS search_doc_uid_build ON search_doc (uid, build)",
    "CREATE INDEX IF NOT EXISTS search_doc_kind_build ON search_doc (kind, build)",
    """CREATE TABLE IF NOT EXISTS search_build (
        kind TEXT PRIMARY KEY, live BIGINT NOT NULL DEFAULT 0, shadow BIGINT, started_gen BIGINT)""",
    """CREATE TABLE IF NOT EXISTS search_dirty (
        build BIGINT NOT NULL, uid TEXT NOT NULL, gen BIGINT NOT NULL, PRIMARY KEY (build, uid))""",
]

# Everything the previous revisions created (the PostgreSQL extensions are left in place).
SQLITE_DROP = [
    "DROP TABLE IF EXISTS search_dirty",
    "DROP TABLE IF EXISTS search_build",
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
    "DROP TABLE IF EXISTS search_lexeme",
]

POSTGRESQL_DROP = [
    "DROP TABLE IF EXISTS search_dirty",
    "DROP TABLE IF EXISTS search_build",
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

SCHEMA = {"sqlite": SQLITE_SCHEMA, "postgresql": POSTGRESQL_SCHEMA}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in DROP[dialect] + SCHEMA[dialect]:
        op.execute(statement)


def downgrade():
    # Back to the tables of revision 0008 (+ 0018's column), empty: `flask hub reindex` refills them.
    spec = importlib.util.spec_from_file_location(
        "rev0008", Path(__file__).with_name("0008_search_in_process_engine.py")
    )
    rev0008 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rev0008)
    dialect = op.get_bind().dialect.name
    for statement in DROP[dialect] + rev0008.SCHEMA[dialect]:
        op.execute(statement)
    op.execute("ALTER TABLE search_doc ADD COLUMN charter_level TEXT")
