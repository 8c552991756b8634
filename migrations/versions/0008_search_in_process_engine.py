"""search index: the in-process engine's tables (lexemes per document, change log)

The search tables hold derived data only: they are dropped and created again
with the schema of this revision, and `flask hub bootstrap` (run by `make run` and by
docker compose's `migrate` service) refills them when they are empty while the
database has content; `flask hub reindex` does it by hand.

The statements are a frozen copy of search.sql_drop_statements() and
search.sql_schema_statements() as of this revision (the search package may
change; this revision does not).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SQLITE_SCHEMA = [
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
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_term_tri USING fts5(padded, tokenize='trigram', detail='none')",
    """CREATE TRIGGER IF NOT EXISTS search_term_ai AFTER INSERT ON search_term BEGIN
        INSERT INTO search_term_tri (rowid, padded) VALUES (new.id, ' ' || new.term || ' ');
    END""",
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

SQLITE_DROP = [
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

POSTGRESQL_SCHEMA = [
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
    """CREATE TABLE IF NOT EXISTS search_doc (
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
        extra JSONB NOT NULL DEFAULT '{}',
        title_ntok INTEGER NOT NULL DEFAULT 0,
        tsv TSVECTOR GENERATED ALWAYS AS (strip(to_tsvector('hub_fr'::regconfig, title || ' ' || keywords || ' ' || body) || to_tsvector('hub_simple'::regconfig, title || ' ' || keywords || ' ' || body))) STORED,
        tsv_head TSVECTOR GENERATED ALWAYS AS (setweight(to_tsvector('hub_fr'::regconfig, title), 'A') || setweight(to_tsvector('hub_fr'::regconfig, keywords), 'B') || setweight(to_tsvector('hub_simple'::regconfig, title), 'A') || setweight(to_tsvector('hub_simple'::regconfig, keywords), 'B')) STORED
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
]

# The extensions (unaccent, pg_trgm) are left in place.
POSTGRESQL_DROP = [
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
    # Revision 0007's code reads and writes the same search_doc columns; the
    # extra tables are harmless to it. Nothing to undo.
    pass
