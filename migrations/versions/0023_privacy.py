"""privacy: the access log (staff reads of a person's data, for that person to see) and the exports of a
person's data (right of access and portability) (issue 18)

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "privacy_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("subject_user_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_privacy_access_log_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"],
            ["user_account.id"],
            name=op.f("fk_privacy_access_log_subject_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_access_log")),
    )
    with op.batch_alter_table("privacy_access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_access_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_access_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_access_log_subject_user_id"), ["subject_user_id"], unique=False)

    op.create_table(
        "privacy_data_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "ready",
                "failed",
                "expired",
                name="exportstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_privacy_data_export_requested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_privacy_data_export_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_data_export")),
        sa.UniqueConstraint("token", name=op.f("uq_privacy_data_export_token")),
    )
    with op.batch_alter_table("privacy_data_export", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_data_export_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_data_export_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_data_export_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_privacy_data_export_pending",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade():
    op.drop_table("privacy_data_export")
    op.drop_table("privacy_access_log")
