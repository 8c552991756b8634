"""card intents: one row per (buyer, item) that card payments lock, with the attempt number

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "card_intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("buyer_ref", sa.String(length=120), nullable=False),
        sa.Column("item_ref", sa.String(length=120), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("payment_ref", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("attempt >= 0", name=op.f("ck_card_intent_attempt_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_intent")),
        sa.UniqueConstraint("buyer_ref", "item_ref", name="uq_card_intent_buyer_item"),
    )


def downgrade():
    op.drop_table("card_intent")
