"""right to erasure and retention (issue 18): when a person last logged in and when their account was
erased (an anonymised tombstone); scheduled erasures (a grace period the person can cancel) and the
inactivity warnings sent before an account unused for years is anonymised

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    # Logins were not recorded before: an existing account's idle time starts now, never earlier (no one
    # is anonymised for an inactivity nobody measured).
    op.execute("UPDATE user_account SET last_login_at = CURRENT_TIMESTAMP")
    op.create_table(
        "erasure_request",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_erasure_request_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_erasure_request")),
    )
    op.create_index(op.f("ix_erasure_request_due_at"), "erasure_request", ["due_at"])
    op.create_table(
        "inactivity_warning",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_inactivity_warning_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_inactivity_warning")),
    )


def downgrade():
    op.drop_table("inactivity_warning")
    op.drop_index(op.f("ix_erasure_request_due_at"), table_name="erasure_request")
    op.drop_table("erasure_request")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("last_login_at")
