"""search index: the charter_level facet (the ethical charter's label level of offers, providers and
resources; declared in search.base.FIELDS)

The search tables hold derived data: the new column starts empty and fills as labels are granted or
ended (their signals reindex the subject) or with `flask hub reindex`.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE search_doc ADD COLUMN charter_level TEXT")


def downgrade():
    op.execute("ALTER TABLE search_doc DROP COLUMN charter_level")
