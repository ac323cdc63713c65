"""Embedding cache keys follow the model's content, not its path."""

from __future__ import annotations

import shutil

from toolkit.suggest.embed import model_content_hash


def test_model_content_hash_follows_bytes_not_path(tmp_path):
    first = tmp_path / "a" / "model"
    first.mkdir(parents=True)
    (first / "config.json").write_text('{"dim": 384}', encoding="utf-8")
    (first / "weights.bin").write_bytes(b"\x00\x01" * 1000)
    moved = tmp_path / "elsewhere" / "model"
    shutil.copytree(first, moved)
    assert model_content_hash(first) == model_content_hash(moved)
    changed = tmp_path / "changed" / "model"
    shutil.copytree(first, changed)
    (changed / "weights.bin").write_bytes(b"\x00\x02" * 1000)
    assert model_content_hash(changed) != model_content_hash(first)
