"""Data protection: identifiers and pseudonyms, de-identification flags, the audit trail's hash chain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

* ``pseudonyms`` (one per identified entity of a project: type, normalised key, ``[PERSON_3]``) and
  ``identifiers`` (spans of a document: type, source, review status, pseudonym): the mapping is kept
  apart from the text (``toolkit.corpus.identifiers``).
* ``documents.deid_scanned_at`` and ``documents.deid_reviewed``.
* ``audit_events.seq``, ``prev_hash``, ``before_digest``, ``after_digest``, ``hash``: the events already
  there are chained in id order, and the head is recorded in ``schema_info`` (``toolkit.store.audit``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TYPES = "'person', 'place', 'organisation', 'phone', 'email', 'date_of_birth', 'id_number', 'address'"


def upgrade() -> None:
    """Create the tables and columns, then chain the existing audit events."""
    op.create_table(
        "pseudonyms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("project_id", "type", "key"),
        sa.UniqueConstraint("project_id", "label"),
        sa.CheckConstraint(f"type IN ({TYPES})", name="ck_pseudonyms_type"),
    )
    op.create_table(
        "identifiers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("pseudonym_id", sa.Integer(), sa.ForeignKey("pseudonyms.id"), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"type IN ({TYPES})", name="ck_identifiers_type"),
        sa.CheckConstraint("status IN ('proposed', 'confirmed', 'rejected')", name="ck_identifiers_status"),
        sa.CheckConstraint("source IN ('ner', 'pattern', 'propagated', 'reviewer')", name="ck_identifiers_source"),
    )
    op.create_index("ix_identifiers_document_id", "identifiers", ["document_id"])
    op.create_index("ix_identifiers_pseudonym_id", "identifiers", ["pseudonym_id"])
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("deid_scanned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deid_reviewed", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("before_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("after_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_audit_events_seq", ["seq"])
    from toolkit.store.audit import chain_all

    session = Session(bind=op.get_bind())
    chain_all(session)
    session.flush()


def downgrade() -> None:
    """Drop the chain, the flags and the two tables."""
    op.execute(sa.text("delete from schema_info where key = 'audit_head'"))
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint("uq_audit_events_seq", type_="unique")
        for column in ("hash", "after_digest", "before_digest", "prev_hash", "seq"):
            batch.drop_column(column)
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("deid_reviewed")
        batch.drop_column("deid_scanned_at")
    op.drop_index("ix_identifiers_pseudonym_id", table_name="identifiers")
    op.drop_index("ix_identifiers_document_id", table_name="identifiers")
    op.drop_table("identifiers")
    op.drop_table("pseudonyms")
