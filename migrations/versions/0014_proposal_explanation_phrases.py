"""proposals: the explanation as codes and parameters, worded in the reader's language

`proposal.explanation_phrases` ([{code, params, text}]) is what `app.matches.explanations` words
in each reader's language. Rows stored before it keep NULL: their French sentence
(`proposal.explanation`, and each alternative's "explanation") is shown as it is, marked as
French in pages of another language. Nothing to convert.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("explanation_phrases", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("explanation_phrases")
