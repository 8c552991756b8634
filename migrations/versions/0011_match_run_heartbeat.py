"""match runs: heartbeat, execution number and failure code (runs whose worker died)

A running run whose job stops beating is marked failed ("worker_lost") by
`sweep_stale_runs()` and can be restarted from its page; the execution number
(`attempt`) keeps an execution given up for dead from writing over a newer one.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("match_run") as batch:
        batch.add_column(sa.Column("failure", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("attempt", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("match_run") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("attempt")
        batch.drop_column("failure")
