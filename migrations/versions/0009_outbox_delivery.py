"""outbox delivery: status, attempts, backoff, claim lease, reader's language, HTML part

Every existing row keeps its meaning: a row with sent_at is "sent", one with an
error is retried ("pending"), the others are "pending". `error` becomes
`last_error`.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.alter_column("error", new_column_name="last_error", existing_type=sa.Text(), existing_nullable=True)
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=5), nullable=False, server_default="fr"))
        batch_op.add_column(sa.Column("status", sa.String(length=10), nullable=False, server_default="pending"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_email_status"), ["status"], unique=False)
    op.execute("UPDATE outbox_email SET status = 'sent' WHERE sent_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_email_status"))
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
        batch_op.drop_column("locale")
        batch_op.drop_column("html_body")
        batch_op.alter_column("last_error", new_column_name="error", existing_type=sa.Text(), existing_nullable=True)
