"""Readers and writers at the edges: transcripts, codebooks, codings and attribute tables."""

from __future__ import annotations

__all__: list[str] = []
