"""Alembic migrations of the store's schema (see :mod:`toolkit.store.migrate`); one file per schema change."""
