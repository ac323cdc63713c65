"""``codes.excludes``: codes that may not share a respondent turn (codebook ``excludes:``, issue 13).

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column; existing codes exclude nothing until their codebook is loaded again."""
    with op.batch_alter_table("codes") as batch:
        batch.add_column(sa.Column("excludes", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("codes") as batch:
        batch.drop_column("excludes")
