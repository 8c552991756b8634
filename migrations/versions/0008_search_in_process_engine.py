"""search index: the in-process engine's tables (lexemes per document, change log)

The search tables hold derived data only: they are dropped and created again
with the current schema, and `flask hub bootstrap` (run by `make run` and by
docker compose's `migrate` service) refills them when they are empty while the
database has content; `flask hub reindex` does it by hand.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from search import sql_drop_statements, sql_schema_statements

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in sql_drop_statements(dialect) + sql_schema_statements(dialect):
        op.execute(statement)


def downgrade():
    # Revision 0007's code reads and writes the same search_doc columns; the
    # extra tables are harmless to it. Nothing to undo.
    pass
