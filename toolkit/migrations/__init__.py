"""Alembic migrations of the store's schema (see :mod:`toolkit.migrate`); one file per schema change."""
