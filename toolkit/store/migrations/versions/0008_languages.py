"""Languages: ``projects.embedding_model`` (None: chosen by the documents' languages) and ``codes.translations``.

``codes.translations`` holds a code's examples and keywords in languages other than English.

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add nullable columns: existing projects choose by their documents' languages, codes have no translations."""
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("embedding_model", sa.String(length=300), nullable=True))
    with op.batch_alter_table("codes") as batch:
        batch.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("codes") as batch:
        batch.drop_column("translations")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("embedding_model")
