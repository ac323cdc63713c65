"""The blind-coding flag on the project, and code parents as foreign keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

* ``projects.blind``: blind mode was a ``schema_info`` row read together with the order of audit events
  (on, unless agreement was computed after it was turned on). It is now a column; computing agreement
  turns it off in the same transaction. The upgrade carries the state over by the old rule.
* ``codes.parent_id`` references ``codes.id`` (deferred, so a codebook may name a parent defined later in
  the same file). A parent id that names no code (possible before, never written by the toolkit) is
  cleared first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FK_NAME = "fk_codes_parent_id_codes"


def _was_blind(bind: sa.Connection) -> bool:
    """The old rule: the schema_info flag is on and no agreement was computed after it was turned on."""
    flag = bind.execute(sa.text("select value from schema_info where key = 'blind'")).scalar()
    if flag != "on":
        return False

    def last(action: str) -> int | None:
        return bind.execute(sa.text("select max(id) from audit_events where action = :a"), {"a": action}).scalar()

    turned_on, computed = last("project.blind"), last("agreement.compute")
    return computed is None or (turned_on is not None and computed < turned_on)


def upgrade() -> None:
    """Add the column (carrying the old state over) and the foreign key."""
    bind = op.get_bind()
    blind = _was_blind(bind)
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("blind", sa.Boolean(), server_default=sa.false(), nullable=False))
    if blind:
        op.execute(sa.text("update projects set blind = :on").bindparams(on=True))
    op.execute(sa.text("delete from schema_info where key = 'blind'"))
    op.execute(
        sa.text(
            "update codes set parent_id = null where parent_id is not null and parent_id not in (select id from codes)"
        )
    )
    with op.batch_alter_table("codes") as batch:
        batch.create_foreign_key(FK_NAME, "codes", ["parent_id"], ["id"], deferrable=True, initially="DEFERRED")


def downgrade() -> None:
    """Drop the foreign key and the column (the flag goes back to schema_info)."""
    bind = op.get_bind()
    blind = bind.execute(sa.text("select max(case when blind then 1 else 0 end) from projects")).scalar()
    with op.batch_alter_table("codes") as batch:
        batch.drop_constraint(FK_NAME, type_="foreignkey")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("blind")
    op.execute(
        sa.text("insert into schema_info (key, value) values ('blind', :v)").bindparams(v="on" if blind else "off")
    )
