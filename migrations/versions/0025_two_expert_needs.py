"""two complementary experts: need.two_experts, proposal.partner_id (issue 15)

A need may ask for two complementary experts from different providers; matching proposes them as
two proposals pointing at each other (`proposal.partner_id`), each answered by its provider and,
once accepted, a mission of its own. Rows before it: one expert, no partner.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("need") as batch_op:
        batch_op.add_column(sa.Column("two_experts", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("proposal") as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_proposal_partner_id_proposal", "proposal", ["partner_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("proposal") as batch_op:
        batch_op.drop_constraint("fk_proposal_partner_id_proposal", type_="foreignkey")
        batch_op.drop_column("partner_id")
    with op.batch_alter_table("need") as batch_op:
        batch_op.drop_column("two_experts")
