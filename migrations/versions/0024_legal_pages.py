"""legal pages as versioned Markdown (legal notice, terms of use, privacy policy's introduction,
accessibility statement), their first versions in French and English; the terms version each person
accepted, and when (issue 18)

Revision ID: 0024
Revises: 0023
"""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SLUGS = ("mentions-legales", "conditions-utilisation", "confidentialite", "accessibilite")
# The first versions: the texts of app/legal/seed.yaml (the terms are the fixed page they replace, written on
# that date; the accessibility statement was dated that day too). Never edited there afterwards: staff publish
# new versions.
SEED = Path(__file__).resolve().parents[2] / "app" / "legal" / "seed.yaml"
FIRST_DATE = datetime(2026, 11, 29, tzinfo=UTC)


def upgrade():
    legal_version = op.create_table(
        "legal_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body_fr", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_legal_version_number_positive")),
        sa.CheckConstraint(
            "slug IN (" + ", ".join(f"'{s}'" for s in SLUGS) + ")", name=op.f("ck_legal_version_slug_known")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_legal_version_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_version")),
        sa.UniqueConstraint("slug", "number", name="uq_legal_version_slug_number"),
    )
    with op.batch_alter_table("legal_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_version_slug"), ["slug"], unique=False)
    op.create_table(
        "terms_acceptance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_terms_acceptance_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_acceptance")),
        sa.UniqueConstraint("user_id", "version_number", name="uq_terms_acceptance_user_version"),
    )
    with op.batch_alter_table("terms_acceptance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terms_acceptance_user_id"), ["user_id"], unique=False)
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    op.bulk_insert(
        legal_version,
        [
            {
                "slug": slug,
                "number": 1,
                "body_fr": seed[slug]["fr"],
                "body_en": seed[slug]["en"],
                "summary": seed[slug]["summary"],
                "author_id": None,
                "published_at": FIRST_DATE,
            }
            for slug in SLUGS
        ],
    )


def downgrade():
    with op.batch_alter_table("terms_acceptance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terms_acceptance_user_id"))
    op.drop_table("terms_acceptance")
    with op.batch_alter_table("legal_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_version_slug"))
    op.drop_table("legal_version")
