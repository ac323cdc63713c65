"""Vocabularies the database enforces, and codings that outlive their suggestion.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

* CHECK constraints on segment roles, coding origins, suggestion statuses, review decisions and memo
  targets, so no program (ours or a team's script) can store a value the toolkit does not know.
* ``codings.suggestion_id`` becomes ``ON DELETE SET NULL``: replacing a transcript may drop a stale
  suggestion while the coding it produced survives (with its model and versions); before, the
  foreign key made such a replace fail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The vocabularies as they were when this migration was written (a migration never follows later edits).
CHECKS = (
    ("segments", "ck_segments_role", "role", ("interviewer", "respondent", "other")),
    (
        "codings",
        "ck_codings_origin",
        "origin",
        ("human", "imported", "accepted-suggestion", "corrected-suggestion", "consensus"),
    ),
    ("suggestions", "ck_suggestions_status", "status", ("open", "accepted", "rejected", "changed")),
    ("reviews", "ck_reviews_decision", "decision", ("accept", "reject", "change", "adjust")),
    ("memos", "ck_memos_target_type", "target_type", ("code", "document", "coding")),
)
FK_NAME = "fk_codings_suggestion_id_suggestions"
# Lets SQLite's batch mode name (and so drop) the foreign keys that 0001 created without names.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _suggestion_fk_name(bind: sa.Connection) -> str | None:
    for fk in sa.inspect(bind).get_foreign_keys("codings"):
        if fk["constrained_columns"] == ["suggestion_id"]:
            return fk["name"]
    return None


def upgrade() -> None:
    """Add the CHECK constraints and make the coding-to-suggestion link SET NULL."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for table, name, column, values in CHECKS:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            batch.create_check_constraint(name, _condition(column, values))
            if table == "codings":
                batch.drop_constraint(FK_NAME if sqlite else _suggestion_fk_name(bind), type_="foreignkey")
                batch.create_foreign_key(FK_NAME, "suggestions", ["suggestion_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    """Drop the CHECK constraints and restore the plain foreign key."""
    for table, name, _column, _values in reversed(CHECKS):
        with op.batch_alter_table(table, naming_convention=NAMING) as batch:
            if table == "codings":
                batch.drop_constraint(FK_NAME, type_="foreignkey")
                batch.create_foreign_key(FK_NAME, "suggestions", ["suggestion_id"], ["id"])
            batch.drop_constraint(name, type_="check")
