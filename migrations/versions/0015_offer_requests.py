"""offers you can ask for: direct requests, and contacts shared once a mission is accepted

- `proposal.origin`: "engine" (a match run proposed it, staff arbitrate) or "request" (the
  organisation asked for the offer from its page: sent straight to the provider).
  `proposal.requested_by_id`: who asked; `proposal.request_key`: the key the request form
  carried, unique, so a double click makes one request.
- `mission.accepted_by_id`: the provider's member who accepted, the organisation's contact.
- `provider.contact_phone`: given, with the contact e-mail, only to the organisations whose
  mission the provider accepted.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(
            sa.Column(
                "origin",
                sa.Enum(
                    "engine",
                    "request",
                    name="proposalorigin",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                server_default="engine",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("requested_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("request_key", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            "fk_proposal_requested_by_id_user_account", "user_account", ["requested_by_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_unique_constraint("uq_proposal_request_key", ["request_key"])
    with op.batch_alter_table("mission") as batch:
        batch.add_column(sa.Column("accepted_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_mission_accepted_by_id_user_account", "user_account", ["accepted_by_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("provider") as batch:
        batch.add_column(sa.Column("contact_phone", sa.String(length=30), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("provider") as batch:
        batch.drop_column("contact_phone")
    with op.batch_alter_table("mission") as batch:
        batch.drop_constraint("fk_mission_accepted_by_id_user_account", type_="foreignkey")
        batch.drop_column("accepted_by_id")
    with op.batch_alter_table("proposal") as batch:
        batch.drop_constraint(op.f("ck_proposal_proposalorigin"), type_="check")
        batch.drop_constraint("uq_proposal_request_key", type_="unique")
        batch.drop_constraint("fk_proposal_requested_by_id_user_account", type_="foreignkey")
        batch.drop_column("request_key")
        batch.drop_column("requested_by_id")
        batch.drop_column("origin")
