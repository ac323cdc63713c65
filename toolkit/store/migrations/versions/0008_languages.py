"""Add ``projects.embedding_model``: the embedding model a project chose (None: chosen by its languages).

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable column; existing projects keep choosing by their documents' languages."""
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("embedding_model", sa.String(length=300), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("embedding_model")
