"""REFI-QDA through the store: export validates, round trip keeps everything, samples import, refusals write nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
import xmlschema
from sqlalchemy import select
from typer.testing import CliRunner

from toolkit.analysis.exchange import SUGGESTION_USER, build_refi_project, export_qdc, export_qdpx
from toolkit.analysis.exchange_import import import_qdpx, load_qdc
from toolkit.cli.main import app
from toolkit.coding.codings import coding_rows
from toolkit.coding.review import add_memo, list_memos
from toolkit.corpus.attributes import import_attributes
from toolkit.errors import InputFileError
from toolkit.io.refi_qda import read_qdpx
from toolkit.store.engine import create_store
from toolkit.store.models import Code, Document, Segment, Suggestion

from ..conftest import FIXTURES, SAMPLE, file_digest, sample_study

REFI = FIXTURES / "refi_qda"
DOCS = ["S01", "S02", "S03"]


@pytest.fixture
def study(store, blank_nlp, tmp_path):
    sample_study(store, blank_nlp, tmp_path, DOCS, DOCS, coder="alice")
    lines = (SAMPLE / "cases.csv").read_text().splitlines()
    import_attributes(
        store, "\n".join([lines[0], *(r for r in lines[1:] if r.split(",")[0] in DOCS)]).encode(), "c.csv"
    )
    add_memo(store, "alice", "code", "root_cause.family", "Family pressure shows up early.")
    add_memo(store, "alice", "document", "S01", "Interview cut short.")
    first = coding_rows(store)[0]
    with store.read() as session:
        coding_id = session.execute(select(Document.id).where(Document.name == first["document"])).scalar()
    assert coding_id
    with store.transaction("model") as tx:
        segment = tx.session.scalars(select(Segment).where(Segment.role == "respondent")).first()
        tx.session.add(
            Suggestion(segment_id=segment.id, code_id="root_cause.economic", probability=0.61,
                       model_name="m", model_version="1", explanation={"words": ["money"]})
        )  # fmt: skip
    return store


def snapshot(store):
    """What must survive a round trip: codings, codes, users, attributes, memos, suggestions."""
    with store.read() as session:
        codes = {
            (c.id, c.name, c.definition, c.colour, c.parent_id, tuple(c.include), tuple(c.examples))
            for c in session.scalars(select(Code))
        }
        attributes = {d.name: d.attributes for d in session.scalars(select(Document))}
        segments = [(s.position, s.role, s.start, s.end) for s in session.scalars(select(Segment).order_by(Segment.id))]
        suggestions = {(s.code_id, round(s.probability, 6), s.status) for s in session.scalars(select(Suggestion))}
    codings = sorted(
        (r["document"], r["start"], r["end"], r["code"], r["coder"], r["origin"]) for r in coding_rows(store)
    )
    memos = sorted((m["target_type"], m["coder"], m["text"]) for m in list_memos(store) if m["target_type"] != "coding")
    return codes, attributes, segments, suggestions, codings, memos


def test_export_validates_and_round_trips(study, tmp_path):
    # Moving a whole project between stores, identifiers included, is a raw (audited) export.
    data, report = export_qdpx(study, tmp_path / "out.qdpx", raw=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {"project.qde", "survivor-qda.json"} <= set(zf.namelist())
        xmlschema.XMLSchema(str(REFI / "Project-mrt2019.xsd")).validate(zf.read("project.qde"))
    assert report.counts["codings"] == len(coding_rows(study)) and report.counts["suggestions"] == 1
    assert any("probabilities" in line for line in report.not_seen)
    users = {u.name for u in read_qdpx(data).users}
    assert users == {"alice", SUGGESTION_USER}

    fresh = create_store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    result = import_qdpx(fresh, tmp_path / "out.qdpx")
    assert result.skipped == []
    assert snapshot(fresh) == snapshot(study)
    again, _ = export_qdpx(fresh, raw=True)
    first, second = read_qdpx(data), read_qdpx(again)
    assert [(u.guid, u.name) for u in first.users] == [(u.guid, u.name) for u in second.users]
    assert first.codes == second.codes and first.cases == second.cases
    assert [s.selections for s in first.sources] == [s.selections for s in second.sources]
    fresh.close()


def test_without_the_sidecar_another_tools_view_still_imports(study, tmp_path, blank_nlp):
    data, _ = export_qdpx(study)
    stripped = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(stripped, "w") as dst:
        for item in src.infolist():
            if item.filename != "survivor-qda.json":
                dst.writestr(item, src.read(item))
    fresh = create_store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    report = import_qdpx(fresh, stripped.getvalue(), "other-tool.qdpx", nlp=blank_nlp)
    # suggestions come back as the pseudo-user's codings, code groups as parent codes; texts and spans intact
    coders = {r["coder"] for r in coding_rows(fresh)}
    assert coders == {"alice", SUGGESTION_USER}
    assert any("code folder" in w for w in report.warnings)
    # The archive carries the de-identified text, and the codings its words: the copy's own (raw) quotes
    # are the study's de-identified quotes.
    original = {(r["document"], r["quote"]) for r in coding_rows(study)}
    assert original <= {(r["document"], r["quote"]) for r in coding_rows(fresh, raw=True)}
    with fresh.read() as session:
        assert {d.name: d.attributes for d in session.scalars(select(Document))} == snapshot(study)[1]
    fresh.close()


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("ponte-blank-atlas-project.qdpx", {"users": 2, "codes": 0, "codings": 0}),
        ("ponte-target-atlas-project.qdpx", {"users": 2, "codes": 3, "codings": 0}),
        ("refi-spec-annexA2-atlasti-standard-project.qdpx", {"users": 3, "codes": 14, "codings": 0}),
    ],
)
def test_each_real_sample_imports_and_names_what_it_skipped(sample, expected, tmp_path, blank_nlp):
    store = create_store(f"sqlite:///{tmp_path / 'x.sqlite'}")
    report = import_qdpx(store, REFI / sample, nlp=blank_nlp)
    assert {k: report.counts[k] for k in expected} == expected
    if "annexA2" in sample:
        skipped = "\n".join(report.skipped)
        assert "3 selection(s) with 3 coding(s) on text source 'Simon.docx'" in skipped
        for named in ("picture source", "PDF source", "video source", "whose text the archive does not carry"):
            assert named in skipped
        assert "note 'Research Plan'" in skipped
        assert "set 'gender: male' (1 members): its documents are not imported" in skipped
        assert not any("read as the attribute" in w for w in report.warnings)
    with store.read() as session:
        codes = {c.id: c.parent_id for c in session.scalars(select(Code))}
    if "target" in sample:
        assert codes["commits.c_2022_05_10t02_05_59z_19e4dce"] == "commits"
    store.close()


def test_maxqda_case_variables_and_atlas_attribute_sets_become_attributes(tmp_path, blank_nlp):
    g = [f"{i}{i}{i}{i}{i}{i}{i}{i}-1111-4111-8111-111111111111" for i in range(1, 6)]
    body = (
        f'<Variables><Variable guid="{g[0]}" name="gender" typeOfVariable="Text"/></Variables>'
        f'<Cases><Case guid="{g[1]}" name="P1"><VariableValue><VariableRef targetGUID="{{{g[0].lower()}}}"/>'
        f'<TextValue>female</TextValue></VariableValue><SourceRef targetGUID="{g[2]}"/></Case></Cases>'
        f'<Sources><TextSource guid="{g[2]}" name="P1.txt"><PlainTextContent>Q: Hi?\nA: Hello.</PlainTextContent>'
        "</TextSource></Sources>"
        f'<Sets><Set guid="{g[3]}" name="age: 25"><MemberSource targetGUID="{g[2]}"/></Set></Sets>'
    )
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr("project.qde", f'<Project xmlns="urn:QDA-XML:project:1.0" name="m">{body}</Project>')
    store = create_store(f"sqlite:///{tmp_path / 'x.sqlite'}")
    import_qdpx(store, data.getvalue(), "maxqda.qdpx", nlp=blank_nlp)
    with store.read() as session:
        doc = session.scalars(select(Document)).one()
    assert (doc.name, doc.attributes) == ("P1", {"gender": "female", "age": "25"})
    store.close()


def test_refusals_leave_the_store_unchanged(study, tmp_path, db_url):
    path = tmp_path / "study.sqlite"
    study.close()
    before = file_digest(path)
    data, _ = export_qdpx(study)
    hostile = io.BytesIO()
    with zipfile.ZipFile(hostile, "w") as zf:
        zf.writestr("project.qde", '<!DOCTYPE x [<!ENTITY a "b">]><Project name="&a;"/>')
        zf.writestr("../escape.txt", "x")
    for payload in (data, hostile.getvalue(), b"garbage"):
        with pytest.raises(InputFileError):
            import_qdpx(study, payload, "in.qdpx")
    study.close()
    assert file_digest(path) == before


def test_codebook_qdc_round_trip_and_the_annex_codebook(study, tmp_path):
    data, report = export_qdc(study, tmp_path / "book.qdc")
    xmlschema.XMLSchema(str(REFI / "Codebook-mrt2019.xsd")).validate(data)
    assert report.counts["codes"] == 16
    assert load_qdc(study, tmp_path / "book.qdc").counts == {"codes": 16, "added": 0, "updated": 0}
    report = load_qdc(study, REFI / "refi-spec-annexA1-codebook.qdc")
    assert report.counts["added"] == 6 and "Topics" in report.warnings[0]
    with study.read() as session:
        economy = session.get(Code, "economy")
    assert (economy.colour, economy.definition) == ("#ffff00", "Anything about jobs or taxes or business")


def test_blind_mode_exports_one_coder_only(study):
    from toolkit.coding.review import set_blind
    from toolkit.errors import BlindModeError

    set_blind(study, True)
    with pytest.raises(BlindModeError):
        build_refi_project(study)
    project, _ = build_refi_project(study, ["alice"])
    assert [u.name for u in project.users] == ["alice"]


def test_cli_export_import_and_codebook_load(study, tmp_path, db_url):
    runner = CliRunner()
    out = tmp_path / "p.qdpx"
    result = runner.invoke(app, ["--db", db_url, "export", "--format", "qdpx", str(out)])
    assert result.exit_code == 0, result.output
    assert "other tools will not see" in result.output
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    assert runner.invoke(app, ["--db", fresh, "init"]).exit_code == 0
    result = runner.invoke(app, ["--db", fresh, "import-qdpx", str(out)])
    assert result.exit_code == 0, result.output
    assert "codings" in result.output
    result = runner.invoke(app, ["--db", fresh, "import-qdpx", str(out)])
    assert result.exit_code == 2 and "empty store" in result.output
    hostile = tmp_path / "hostile.qdpx"
    with zipfile.ZipFile(hostile, "w") as zf:
        zf.writestr("project.qde", '<!DOCTYPE P [<!ENTITY a "x">]><Project name="&a;"/>')
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert runner.invoke(app, ["--db", other, "init"]).exit_code == 0
    result = runner.invoke(app, ["--db", other, "import-qdpx", str(hostile)])
    assert result.exit_code == 2 and "DTD or entities" in result.output and len(result.output.splitlines()) == 1
    result = runner.invoke(app, ["--db", fresh, "codebook", "load", str(REFI / "refi-spec-annexA1-codebook.qdc")])
    assert result.exit_code == 0 and "6 added" in result.output
    result = runner.invoke(app, ["--db", fresh, "export", "--format", "qdc", str(tmp_path / "b.qdc")])
    assert result.exit_code == 0 and (tmp_path / "b.qdc").read_bytes().startswith(b"<?xml")


def test_xlsx_has_one_sheet_per_table_and_no_live_formulas(study, tmp_path):
    from openpyxl import load_workbook

    from toolkit.analysis.tables_export import export_tables

    import_attributes(study, b'document,region\nS01,=HYPERLINK("http://x")\nS02,north\n', "evil.csv")
    export_tables(study, tmp_path / "t.xlsx", "xlsx")
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["about", "codings", "code_x_case", "code_x_attribute", "agreement", "disagreements"]
    codings = list(book["codings"].values)
    assert codings[0] == ("document", "language", "segment", "start", "end", "quote", "code", "coder", "origin")
    assert len(codings) - 1 == len(coding_rows(study))
    cells = [c for row in book["code_x_attribute"].values for c in row if isinstance(c, str)]
    assert '\'=HYPERLINK("http://x")' in cells and not any(c.startswith("=") for c in cells)
    matrix = list(book["code_x_case"].values)
    assert matrix[0] == ("code", *DOCS)
    total = sum(sum(row[1:]) for row in matrix[1:])
    assert total == len([r for r in coding_rows(study) if r["coder"] == "alice"])
    assert "blind" not in " ".join(str(r[0]) for r in book["about"].values)


def test_csv_folder_and_agreement_with_two_coders(study, tmp_path):
    from toolkit.analysis.tables_export import export_tables
    from toolkit.coding.review import add_coding

    row = coding_rows(study)[0]
    add_coding(study, "bob", row["document"], row["start"], row["end"], row["code"], new_coder=True)
    report = export_tables(study, tmp_path / "tables", "csv")
    names = sorted(p.name for p in (tmp_path / "tables").iterdir())
    assert names == [
        "about.txt", "agreement.csv", "code_x_attribute.csv", "code_x_case.csv", "codings.csv", "disagreements.csv"
    ]  # fmt: skip
    assert report.counts["agreement"] > 0 and report.counts["disagreements"] > 0
    assert (tmp_path / "tables" / "agreement.csv").read_text().startswith("code,percent_agreement")


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s["documents"].__setitem__(next(iter(s["documents"])), {"name": "S01", "segments": [[0, "boss"]]}),
        lambda s: next(iter(s["documents"].values()))["segments"][0].__setitem__(1, "villain"),
        lambda s: next(iter(s["documents"].values()))["segments"][0].__setitem__(5, 10**9),
        lambda s: next(iter(s["codes"].values())).__setitem__("parent_id", "nowhere"),
        lambda s: next(iter(s["codes"].values())).__setitem__("include", [{"x": 1}]),
        lambda s: next(iter(s["suggestions"].values())).__setitem__("probability", "high"),
        lambda s: next(iter(s["codes"].values())).__setitem__("codebook_id", "ghost"),
    ],
    ids=[
        "short-row",
        "unknown-role",
        "offset-out-of-text",
        "unknown-parent",
        "not-texts",
        "probability-not-number",
        "unknown-codebook",
    ],
)
def test_a_damaged_sidecar_is_a_clear_error_and_writes_nothing(study, tmp_path, damage):
    import json

    data, _ = export_qdpx(study)
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        members = {item.filename: src.read(item) for item in src.infolist()}
    sidecar = json.loads(members["survivor-qda.json"])
    damage(sidecar)
    members["survivor-qda.json"] = json.dumps(sidecar).encode()
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as dst:
        for name, content in members.items():
            dst.writestr(name, content)
    path = tmp_path / "fresh.sqlite"
    fresh = create_store(f"sqlite:///{path}")
    fresh.close()
    before = file_digest(path)
    with pytest.raises(InputFileError, match="damaged"):
        import_qdpx(fresh, damaged.getvalue(), "damaged.qdpx")
    fresh.close()
    assert file_digest(path) == before


def test_another_tools_crlf_positions_land_on_the_quoted_text(tmp_path, blank_nlp):
    text = "Interviewer: Where?\r\nRespondent: In the city.\r\nInterviewer: When?\r\n"
    text += "Respondent: Last May, with my cousin.\r\n"
    quote = "Last May, with my cousin."
    lf = text.replace("\r\n", "\n").index(quote)  # how a tool that reads CRLF as one character counts
    g = ["AAAAAAAA-1111-4111-8111-11111111111" + str(i) for i in range(5)]
    body = (
        f'<Users><User guid="{g[4]}" name="ana"/><User guid="{g[1]}" name="model"/></Users>'
        f'<CodeBook><Codes><Code guid="{{{g[0]}}}" name="Family" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{g[1]}" name="P2.txt" plainTextPath="internal://{g[1]}.txt">'
        f'<PlainTextSelection guid="{g[2]}" startPosition="{lf}" endPosition="{lf + len(quote)}" name="{quote}">'
        f'<Coding guid="{g[3]}" creatingUser="{g[4]}"><CodeRef targetGUID="{g[0].lower()}"/></Coding>'
        "</PlainTextSelection></TextSource></Sources>"
    )
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr("Project.qde", f'<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="NVivo">{body}</Project>')
        zf.writestr(f"Sources/{g[1]}.txt", text.encode("utf-8"))
    store = create_store(f"sqlite:///{tmp_path / 'x.sqlite'}")
    report = import_qdpx(store, data.getvalue(), "nvivo.qdpx", nlp=blank_nlp)
    assert any("CRLF" in w for w in report.warnings)
    (row,) = coding_rows(store)
    assert (row["document"], row["quote"], row["code"], row["coder"]) == ("P2", quote, "family", "ana")
    assert row["segment"] is not None
    with store.read() as session:
        from toolkit.store.models import Coder

        assert set(session.scalars(select(Coder.name))) == {"ana", "model (imported)"}
    store.close()


@pytest.mark.postgres
def test_round_trip_into_postgres(study, pg_url):
    data, _ = export_qdpx(study, raw=True)  # the whole project, identifiers included (an audited export)
    target = create_store(pg_url)
    import_qdpx(target, data, "study.qdpx")
    assert snapshot(target) == snapshot(study)
    target.close()
