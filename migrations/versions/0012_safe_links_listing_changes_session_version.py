"""safe links, moderation log of owners' edits, session version

- Every stored outside link (organisation and provider websites, knowledge-base producer
  websites and resource source addresses) that is not an http(s) address by the app's one rule
  (`app.core.urls.web_url`: javascript:, data:, hidden controls...) is emptied.
- `listing_change`: the moderation log of owners' edits to published listings.
- `user_account.session_version`: part of every session's user id; bumped when the password
  changes or the account is disabled, it ends the sessions opened before.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: (table, column) of every stored outside link
LINK_COLUMNS = (
    ("organisation", "website"),
    ("provider", "website"),
    ("producer", "website"),
    ("resource", "source_url"),
)


def neutralise_links(bind) -> int:
    """Empty every stored link the app's rule refuses; return how many. Plain SQL: SQLite and PostgreSQL."""
    from app.core.urls import web_url

    emptied = 0
    for table, column in LINK_COLUMNS:
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.String))
        rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].isnot(None), t.c[column] != "")).all()
        bad = [ident for ident, value in rows if web_url(value) is None]
        for start in range(0, len(bad), 500):
            bind.execute(t.update().where(t.c.id.in_(bad[start : start + 500])).values({column: ""}))
        emptied += len(bad)
    return emptied


def upgrade():
    op.create_table(
        "listing_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_kind", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'applied', 'approved', 'refused', 'replaced')",
            name=op.f("ck_listing_change_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_listing_change_actor_id_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_listing_change_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_change")),
    )
    with op.batch_alter_table("listing_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_change_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_listing_change_status"), ["status"], unique=False)
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    neutralise_links(op.get_bind())


def downgrade():
    # The emptied links are not restored (they were hostile or broken).
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("listing_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listing_change_status"))
        batch_op.drop_index(batch_op.f("ix_listing_change_entity_id"))
    op.drop_table("listing_change")
