"""open data: a provider's public address (where it receives the public: a "lieu" of the national
schema) and its consent to publish its contact details in the open data (off by default) (issue 16)

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
    with op.batch_alter_table("provider") as batch_op:
        batch_op.add_column(sa.Column("public_address", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("opendata_contact", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("provider") as batch_op:
        batch_op.drop_column("opendata_contact")
        batch_op.drop_column("public_address")
