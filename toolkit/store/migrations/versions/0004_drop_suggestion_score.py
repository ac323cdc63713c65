"""Drop ``suggestions.score``: it only ever repeated ``probability`` and nothing read it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_column("score")


def downgrade() -> None:
    """Bring the column back, filled from the probability it always equalled."""
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("score", sa.Float(), nullable=False, server_default="0"))
    op.execute(sa.text("update suggestions set score = probability"))
