"""search index: the SQL full-text backend's tables (SQLite FTS5 / PostgreSQL tsvector)

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from search import sql_drop_statements, sql_schema_statements

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in sql_schema_statements(dialect):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in sql_drop_statements(dialect):
        op.execute(statement)
