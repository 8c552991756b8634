"""account intent: what the person comes for, one of four known values

`user_account.intent` (what the person said they came for at sign-up, changed later in the account
settings: it decides what their space shows first) takes one of organisation, provider, funder,
producer; anything else stored before becomes organisation, and a CHECK constraint keeps it so.
The intent grants nothing (funders are attached by the hub staff).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INTENTS = ("organisation", "provider", "funder", "producer")


def upgrade():
    users = sa.table("user_account", sa.column("intent", sa.String))
    op.execute(users.update().where(users.c.intent.notin_(INTENTS)).values(intent="organisation"))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_user_account_intent_known"), "intent IN (" + ", ".join(f"'{value}'" for value in INTENTS) + ")"
        )


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_intent_known"), type_="check")
