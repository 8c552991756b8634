"""search index: shadow builds (a full rebuild written beside the live index and swapped in at the end)

`search_doc.build` names the build a row belongs to: unique (uid, build) instead of unique uid;
`search_build` the live build of each kind (and the one being written); `search_dirty` the
documents written by the site during a rebuild (search/sql/builds.py). Existing rows are build 0,
the live build of every kind until its next `flask hub reindex`.

On SQLite, a column constraint cannot be dropped: search_doc is rebuilt as its own CREATE TABLE
minus the uid's UNIQUE (rows, indexes and triggers kept). The statements are a frozen copy of
search.sql.builds.schema() as of this revision.

Revision ID: 0020
Revises: 0019
"""

import re

from alembic import op
from sqlalchemy import text

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _builds_schema(big: str) -> list[str]:
    return [
        "CREATE UNIQUE INDEX IF NOT EXISTS search_doc_uid_build ON search_doc (uid, build)",
        "CREATE INDEX IF NOT EXISTS search_doc_kind_build ON search_doc (kind, build)",
        f"""CREATE TABLE IF NOT EXISTS search_build (
        kind TEXT PRIMARY KEY, live {big} NOT NULL DEFAULT 0, shadow {big}, started_gen {big})""",
        f"""CREATE TABLE IF NOT EXISTS search_dirty (
        build {big} NOT NULL, uid TEXT NOT NULL, gen {big} NOT NULL, PRIMARY KEY (build, uid))""",
    ]


def _sqlite_rebuild_search_doc(bind, edit) -> None:
    """Re-create search_doc from its own CREATE TABLE changed by `edit`, with its rows, indexes and triggers."""
    create = bind.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'search_doc'")).scalar()
    changed = edit(create)
    if changed == create:
        return
    others = [
        sql
        for (sql,) in bind.execute(
            text(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'search_doc' AND type IN ('index', 'trigger') "
                "AND sql IS NOT NULL"
            )
        )
    ]
    old_columns = [r[1] for r in bind.execute(text("PRAGMA table_info(search_doc)"))]
    op.execute(
        re.sub(r'(?i)CREATE TABLE (IF NOT EXISTS )?"?search_doc\b"?', "CREATE TABLE search_doc__new", changed, count=1)
    )
    new_columns = [r[1] for r in bind.execute(text("PRAGMA table_info(search_doc__new)"))]
    common = ", ".join(c for c in old_columns if c in new_columns)
    op.execute(f"INSERT INTO search_doc__new ({common}) SELECT {common} FROM search_doc")
    op.execute("DROP TABLE search_doc")
    op.execute("ALTER TABLE search_doc__new RENAME TO search_doc")
    for sql in others:
        op.execute(sql)


def _without_unique_uid(create: str) -> str:
    if re.search(r"\bbuild\b", create):
        return create
    out, count = re.subn(
        r"(\buid TEXT NOT NULL) UNIQUE,", r"\1,\n        build INTEGER NOT NULL DEFAULT 0,", create, count=1
    )
    if count != 1:
        raise RuntimeError("0020: search_doc's uid column not found in its CREATE TABLE")
    return out


def _with_unique_uid(create: str) -> str:
    return re.sub(r"(\buid TEXT NOT NULL),\s*build INTEGER NOT NULL DEFAULT 0,", r"\1 UNIQUE,", create, count=1)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE search_doc ADD COLUMN IF NOT EXISTS build BIGINT NOT NULL DEFAULT 0")
        op.execute("ALTER TABLE search_doc DROP CONSTRAINT IF EXISTS search_doc_uid_key")
        statements = _builds_schema("BIGINT")
    else:
        _sqlite_rebuild_search_doc(bind, _without_unique_uid)
        statements = _builds_schema("INTEGER")
    for statement in statements:
        op.execute(statement)


def downgrade():
    bind = op.get_bind()
    # keep the live build of each kind only
    op.execute(
        "DELETE FROM search_doc WHERE build <> coalesce((SELECT b.live FROM search_build b "
        "WHERE b.kind = search_doc.kind), 0)"
    )
    if bind.dialect.name == "sqlite":
        op.execute("DELETE FROM search_doc_skill WHERE pk NOT IN (SELECT pk FROM search_doc)")
        op.execute("DELETE FROM search_doc_lex WHERE pk NOT IN (SELECT pk FROM search_doc)")
    for statement in (
        "DROP TABLE IF EXISTS search_dirty",
        "DROP TABLE IF EXISTS search_build",
        "DROP INDEX IF EXISTS search_doc_kind_build",
        "DROP INDEX IF EXISTS search_doc_uid_build",
    ):
        op.execute(statement)
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE search_doc DROP COLUMN build")
        op.execute("ALTER TABLE search_doc ADD CONSTRAINT search_doc_uid_key UNIQUE (uid)")
    else:
        _sqlite_rebuild_search_doc(bind, _with_unique_uid)
