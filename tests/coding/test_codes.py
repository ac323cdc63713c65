"""The code tree and code edits: each an audited transaction; the codebook exports back to YAML and reloads."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.coding.codebook import load_codebook
from toolkit.coding.codes import (
    code_tree,
    create_code,
    edit_code,
    export_codebook,
    merge_codes,
    move_code,
    recolour_code,
    rename_code,
)
from toolkit.coding.review import add_memo, list_memos
from toolkit.errors import CodebookError, NotFoundError
from toolkit.io.codebook_yaml import parse_codebook
from toolkit.store.engine import create_store
from toolkit.store.models import AuditEvent, Code, Coding

from ..conftest import CODEBOOK, sample_study

ECON, FAMILY, EDU = "root_cause.economic", "root_cause.family", "root_cause.education"


@pytest.fixture
def study(store, blank_nlp, tmp_path):
    return sample_study(store, blank_nlp, tmp_path, ["S01", "S02"], ["S01", "S02"])


def audit_actions(store) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_tree_puts_children_under_their_parent(study):
    create_code(study, "alice", "root_cause.debt", "Debt", "Owing money.", parent=ECON, colour="#123456")
    move_code(study, "alice", FAMILY, ECON)
    rows = code_tree(study)
    ids = [r.id for r in rows]
    at = ids.index(ECON)
    assert ids[at + 1 : at + 3] == ["root_cause.debt", FAMILY]
    assert [r.depth for r in rows[at : at + 3]] == [0, 1, 1]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 17
    move_code(study, "alice", "root_cause.debt", FAMILY)
    assert {r.id: r.depth for r in code_tree(study)}["root_cause.debt"] == 2
    with pytest.raises(CodebookError, match="inside it"):
        move_code(study, "alice", ECON, "root_cause.debt")
    move_code(study, "alice", FAMILY, None)
    assert {r.id: r.depth for r in code_tree(study)}[FAMILY] == 0
    assert audit_actions(study)[-4:] == ["code.create", "code.move", "code.move", "code.move"]


def test_rename_recolour_edit_are_audited_and_validated(study):
    rename_code(study, "alice", ECON, "Money")
    recolour_code(study, "alice", ECON, "#ABCDEF")
    edit_code(study, "alice", ECON, definition="  Not  enough money. ", examples=["We had nothing.", " "])
    with study.read() as session:
        code = session.get(Code, ECON)
        assert (code.name, code.colour, code.definition, code.examples) == (
            "Money",
            "#abcdef",
            "Not enough money.",
            ["We had nothing."],
        )
    assert audit_actions(study)[-3:] == ["code.rename", "code.recolour", "code.edit"]
    for bad in (
        lambda: recolour_code(study, "alice", ECON, "red"),
        lambda: edit_code(study, "alice", ECON, definition=" "),
        lambda: edit_code(study, "alice", ECON, colour="#000000"),
        lambda: create_code(study, "alice", "Bad Id", "x", "y"),
        lambda: create_code(study, "alice", ECON, "x", "y"),
    ):
        with pytest.raises(CodebookError):
            bad()
    with pytest.raises(NotFoundError):
        rename_code(study, "alice", "root_cause.nope", "x")


def count(store, code: str) -> int:
    with store.read() as session:
        return len(list(session.scalars(select(Coding.id).where(Coding.code_id == code))))


def test_merge_moves_codings_memos_and_children_and_drops_duplicates(study):
    before_econ, before_family = count(study, ECON), count(study, FAMILY)
    with study.read() as session:
        both = {
            (c.document_id, c.coder_id, c.start, c.end)
            for c in session.scalars(select(Coding).where(Coding.code_id == ECON))
        } & {
            (c.document_id, c.coder_id, c.start, c.end)
            for c in session.scalars(select(Coding).where(Coding.code_id == FAMILY))
        }
    create_code(study, "alice", "root_cause.family.care", "Care", "Caring for a relative.", parent=FAMILY)
    add_memo(study, "alice", "code", FAMILY, "Overlaps a lot with economic.")
    counts = merge_codes(study, "alice", FAMILY, ECON)
    assert counts["codings"] + counts["duplicate_codings_dropped"] == before_family
    assert counts["duplicate_codings_dropped"] == len(both) > 0
    assert count(study, ECON) == before_econ + before_family - len(both)
    assert count(study, FAMILY) == 0
    with study.read() as session:
        assert session.get(Code, FAMILY) is None
        assert session.get(Code, "root_cause.family.care").parent_id == ECON
    assert [m["target"] for m in list_memos(study, "code")] == [ECON]
    assert audit_actions(study)[-1] == "code.merge"
    with pytest.raises(CodebookError):
        merge_codes(study, "alice", ECON, ECON)


def test_export_reads_back_as_the_same_codebook_and_tree(study, tmp_path):
    create_code(study, "alice", "root_cause.debt", "Debt: «долг»", "Owing money.", parent=ECON, examples=["I owed."])
    rename_code(study, "alice", EDU, "Schooling")
    text = export_codebook(study)
    spec = parse_codebook(text, "export.yaml")
    assert {c.id: c.parent for c in spec.codes}["root_cause.debt"] == ECON
    assert {c.id: c.name for c in spec.codes}[EDU] == "Schooling"
    original = parse_codebook(CODEBOOK)
    assert len(spec.codes) == len(original.codes) + 1
    assert {c.id: c.definition for c in spec.codes if c.id != "root_cause.debt"} == {
        c.id: c.definition for c in original.codes
    }
    fresh = create_store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    path = tmp_path / "exported.yaml"
    path.write_text(text, encoding="utf-8")
    load_codebook(fresh, path)
    assert [(r.id, r.depth, r.name) for r in code_tree(fresh)] == [(r.id, r.depth, r.name) for r in code_tree(study)]
    load_codebook(study, path)  # the store's own export loads back onto it
    fresh.close()


def test_cli_lists_the_tree_and_exports(study, tmp_path):
    url = str(study.engine.url)
    runner = CliRunner()
    result = runner.invoke(app, ["--db", url, "codebook", "move", FAMILY, "--parent", ECON, "--by", "alice"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(app, ["--db", url, "codebook", "list"]).stdout.splitlines()
    assert any(line.startswith(f"  {FAMILY} ") for line in listing)
    assert any(line.startswith(f"{ECON} ") for line in listing)
    out = tmp_path / "cb.yaml"
    assert runner.invoke(app, ["--db", url, "codebook", "export", "--out", str(out)]).exit_code == 0
    assert {c.id: c.parent for c in parse_codebook(out).codes}[FAMILY] == ECON
    bad = runner.invoke(app, ["--db", url, "codebook", "move", ECON, "--parent", FAMILY, "--by", "alice"])
    assert bad.exit_code == 2 and "inside it" in bad.stderr
