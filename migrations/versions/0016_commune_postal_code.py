"""commune postal codes: an index beside the INSEE one

`commune_postal_code` (postal code, INSEE code): what a person types (a postal code) is
looked up there, never as an INSEE code. Filled from `commune.postal_codes` (the
reference file's space-separated list, which `flask hub load-communes` also refills).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "commune_postal_code",
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["insee"],
            ["commune.insee"],
            name=op.f("fk_commune_postal_code_insee_commune"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("postal_code", "insee", name=op.f("pk_commune_postal_code")),
    )
    with op.batch_alter_table("commune_postal_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commune_postal_code_insee"), ["insee"], unique=False)
    conn = op.get_bind()
    rows = [
        {"postal_code": code, "insee": insee}
        for insee, codes in conn.execute(sa.text("SELECT insee, postal_codes FROM commune"))
        for code in sorted(set((codes or "").split()))
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade():
    with op.batch_alter_table("commune_postal_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_postal_code_insee"))
    op.drop_table("commune_postal_code")
