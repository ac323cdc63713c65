"""Users: who may sign in to the dashboard and the CLI, with a role and a salted password hash (issue 11).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

An upgraded store has no users, so it behaves as before (one researcher, no sign-in) until an admin is
added with ``qda users add NAME --role admin``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the empty ``users`` table."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name"),
        sa.CheckConstraint("role IN ('viewer', 'coder', 'reviewer', 'admin')", name="ck_users_role"),
    )


def downgrade() -> None:
    """Drop the table (everyone signs in no more)."""
    op.drop_table("users")
