"""Users' e-mail and OIDC subject: sign-in through the organisation's identity provider (issue 11).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Both columns are empty on upgrade, so every user keeps signing in with their password until an admin
gives them an e-mail (``qda users add NAME --role ROLE --email ADDRESS``). Unique indexes, not
constraints, so that SQLite adds them without rebuilding the table; several empty values are allowed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two nullable columns and their unique indexes."""
    op.add_column("users", sa.Column("email", sa.String(320), nullable=True))
    op.add_column("users", sa.Column("oidc_subject", sa.String(255), nullable=True))
    op.create_index("ix_users_email", "users", ["email"], unique=True)
    op.create_index("ix_users_oidc_subject", "users", ["oidc_subject"], unique=True)


def downgrade() -> None:
    """Drop them again (OIDC users then have no way to sign in)."""
    op.drop_index("ix_users_oidc_subject", table_name="users")
    op.drop_index("ix_users_email", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("oidc_subject")
        batch.drop_column("email")
