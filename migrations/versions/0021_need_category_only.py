"""need.accepts_category_only: a need with skills is proposed an offer that covers none of them (a match on
its category alone) only when it says so (issue 15: such proposals served nothing)

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("need") as batch_op:
        batch_op.add_column(sa.Column("accepts_category_only", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("need") as batch_op:
        batch_op.drop_column("accepts_category_only")
