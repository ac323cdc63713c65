"""Alembic environment: always given an open connection by :mod:`toolkit.store.migrate`, never a URL of its own."""

from __future__ import annotations

from alembic import context

from toolkit.store.models import Base

connection = context.config.attributes["connection"]
# render_as_batch: SQLite cannot ALTER most things; Alembic's batch mode copies the table instead.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
