"""open data: a provider's public address (where it receives the public: a "lieu" of the national
schema) and its consent to publish its contact details in the open data (off by default); imported places
(records of national files brought in as invitations, never as providers) and the import batches with their
report (issue 16)

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("file_format", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_import_batch_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    op.create_table(
        "imported_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=300), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("presentation", sa.Text(), nullable=False),
        sa.Column("match_provider_id", sa.Integer(), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimant_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed_merge', 'merged', 'to_claim', 'invited', 'claim_pending', 'claimed')",
            name=op.f("ck_imported_place_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_imported_place_batch_id_import_batch"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["claimant_id"],
            ["user_account.id"],
            name=op.f("fk_imported_place_claimant_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"], ["commune.insee"], name=op.f("fk_imported_place_commune_insee_commune")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_imported_place_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_provider_id"],
            ["provider.id"],
            name=op.f("fk_imported_place_match_provider_id_provider"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_imported_place_provider_id_provider"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_place")),
        sa.UniqueConstraint("claim_token", name=op.f("uq_imported_place_claim_token")),
        sa.UniqueConstraint("source_key", name=op.f("uq_imported_place_source_key")),
    )
    with op.batch_alter_table("imported_place") as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_place_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_imported_place_commune_insee"), ["commune_insee"], unique=False)
        batch_op.create_index(batch_op.f("ix_imported_place_siret"), ["siret"], unique=False)
        batch_op.create_index(batch_op.f("ix_imported_place_status"), ["status"], unique=False)
    with op.batch_alter_table("provider") as batch_op:
        batch_op.add_column(sa.Column("public_address", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("opendata_contact", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    op.drop_table("imported_place")
    op.drop_table("import_batch")
    with op.batch_alter_table("provider") as batch_op:
        batch_op.drop_column("opendata_contact")
        batch_op.drop_column("public_address")
