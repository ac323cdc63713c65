"""A ``version`` column on codings and suggestions, for optimistic versioning.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02

Every change to a coding or a suggestion now says which version it read (SQLAlchemy's
``version_id_col``); a change made meanwhile by someone else is refused instead of overwritten.
Existing rows start at version 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("codings", "suggestions")


def upgrade() -> None:
    """Add the column, 1 for every existing row."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    """Drop the column."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
