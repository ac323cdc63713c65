"""REFI-QDA files: the real samples parse, the traps of other tools are handled, hostile archives are refused."""

from __future__ import annotations

import io
import zipfile

import pytest
import xmlschema

from toolkit.errors import InputFileError
from toolkit.io import refi_qda
from toolkit.io.refi_qda import (
    RefiCode,
    RefiCoding,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiUser,
    norm_guid,
    project_xml,
    read_qdc,
    read_qdpx,
    write_qdc,
    write_qdpx,
)

from ..conftest import FIXTURES

REFI = FIXTURES / "refi_qda"
G1 = "11111111-1111-4111-8111-111111111111"
G2 = "22222222-2222-4222-8222-222222222222"
G3 = "33333333-3333-4333-8333-333333333333"
G4 = "44444444-4444-4444-8444-444444444444"
G5 = "55555555-5555-4555-8555-555555555555"


def qde(body: str, name: str = "t") -> str:
    head = '<?xml version="1.0" encoding="utf-8"?>\n'
    return f'{head}<Project xmlns="urn:QDA-XML:project:1.0" name="{name}">{body}</Project>'


def archive(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def test_guids_braced_bare_and_lower_case_are_one():
    assert norm_guid("{5215cc69-b628-4e02-afb9-9beeaee55808}") == norm_guid("5215CC69-B628-4E02-AFB9-9BEEAEE55808")


def test_annex_codebook_reads_with_folders_colours_and_descriptions():
    codes = read_qdc((REFI / "refi-spec-annexA1-codebook.qdc").read_bytes(), "annex.qdc")
    assert [c.name for c in codes] == ["Topics", "Economy", "Health care", "Values", "Conservatives", "Liberals"]
    assert [c.name for c in codes if not c.codable] == ["Topics", "Values"]
    economy = codes[1]
    assert economy.color == "#ffff00" and economy.description.startswith("Anything about jobs")
    assert all("{" not in c.guid and c.guid == c.guid.upper() for c in codes)


def test_annex_project_reads_and_names_everything_it_skips():
    project = read_qdpx((REFI / "refi-spec-annexA2-atlasti-standard-project.qdpx").read_bytes(), "annex.qdpx")
    assert project.name == "ATLAS.ti standard project"
    assert len(project.users) == 3 and len(project.codes) == 14
    assert len(project.sources) == 6  # text sources; their text files are not in the archive
    assert all(s.text is None for s in project.sources)
    skipped = "\n".join(project.skipped)
    for expected in ("picture source", "PDF source", "PDFSelection", "audio source", "video source", "link", "graph"):
        assert expected in skipped, expected
    assert "its text (internal://" in skipped
    assert len(project.notes) == 2


@pytest.mark.parametrize("sample", ["ponte-blank-atlas-project.qdpx", "ponte-target-atlas-project.qdpx"])
def test_atlas_23_exports_read(sample):
    project = read_qdpx((REFI / sample).read_bytes(), sample)
    assert {u.name for u in project.users} >= {"ATLAS.ti"}
    if "target" in sample:
        parent, *children = project.codes
        assert parent.name == "Commits" and all(c.parent == parent.guid for c in children) and len(children) == 2


def test_capitalised_project_and_sources_members_are_found():
    body = f'<Sources><TextSource guid="{G1}" name="a.txt" plainTextPath="internal://{G1.lower()}.txt"/></Sources>'
    data = archive({"Project.qde": qde(body), f"Sources/{G1.lower()}.TXT": "hello world"})
    project = read_qdpx(data)
    assert project.sources[0].text == "hello world"


def crlf_project(start: int, end: int, quote: str) -> bytes:
    text = "Q: Where?\r\nA: In the city.\r\nQ: When?\r\nA: Last May, with my cousin.\r\n"
    body = (
        f'<CodeBook><Codes><Code guid="{G2}" name="c" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{G1}" name="a" plainTextPath="internal://{G1}.txt">'
        f'<PlainTextSelection guid="{G3}" startPosition="{start}" endPosition="{end}" name="{quote}">'
        f'<Coding guid="{G4}"><CodeRef targetGUID="{G2}"/></Coding></PlainTextSelection></TextSource></Sources>'
    )
    return archive({"project.qde": qde(body, "crlf"), f"sources/{G1}.txt": text.encode()})


def test_positions_counting_crlf_as_one_character_are_converted():
    text = "Q: Where?\r\nA: In the city.\r\nQ: When?\r\nA: Last May, with my cousin.\r\n"
    quote = "Last May, with my cousin."
    raw = text.index(quote)
    lf = text.replace("\r\n", "\n").index(quote)
    assert raw != lf
    project = read_qdpx(crlf_project(lf, lf + len(quote), quote))
    selection = project.sources[0].selections[0]
    assert text[selection.start : selection.end] == quote
    assert any("CRLF" in w for w in project.warnings)
    # positions already counted in the text as stored are left alone
    project = read_qdpx(crlf_project(raw, raw + len(quote), quote))
    assert (project.sources[0].selections[0].start, project.warnings) == (raw, [])


def test_written_project_and_codebook_validate_against_the_official_schemas():
    codes = [
        RefiCode(G1, "Folder", codable=False),
        RefiCode(G2, "Child & <more>", color="#112233", description="Def", parent=G1),
    ]
    project = RefiProject(
        name="p",
        users=[RefiUser(G5, "alice")],
        codes=codes,
        variables={"gender": "Text"},
        sources=[
            RefiSource(
                G3,
                "S01",
                text="A: hi\x01 there",
                selections=[RefiSelection(G4, 0, 5, "A: hi", codings=[RefiCoding(G5, G2, G5)])],
            )
        ],
    )
    xmlschema.XMLSchema(str(REFI / "Project-mrt2019.xsd")).validate(project_xml(project, "2026-01-01T00:00:00Z"))
    xmlschema.XMLSchema(str(REFI / "Codebook-mrt2019.xsd")).validate(write_qdc(codes))
    back = read_qdpx(write_qdpx(project, "2026-01-01T00:00:00Z"))
    assert back.sources[0].text == "A: hi\x01 there"  # the text file is bytes, not XML: kept exactly
    assert [(c.name, c.parent) for c in back.codes] == [("Folder", None), ("Child & <more>", G1)]


# ---------------------------------------------------------------------------------------------- hostile files

BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>'
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'
)


@pytest.mark.parametrize("xml", [BOMB, EXTERNAL], ids=["entity-expansion", "external-entity"])
def test_dtd_and_entities_are_refused(xml):
    with pytest.raises(InputFileError, match="DTD or entities"):
        read_qdpx(archive({"project.qde": xml}))
    with pytest.raises(InputFileError, match="DTD or entities"):
        read_qdc(xml.replace("Project", "CodeBook").encode())


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "sources/../../evil.txt", "C:/evil.txt"])
def test_members_outside_the_archive_are_refused(member):
    with pytest.raises(InputFileError, match="outside the archive"):
        read_qdpx(archive({"project.qde": qde(""), member: "x"}))


def test_decompressed_size_is_capped(monkeypatch):
    monkeypatch.setattr(refi_qda, "MAX_QDPX_UNCOMPRESSED", 10_000)
    with pytest.raises(InputFileError, match="decompress to more than"):
        read_qdpx(archive({"project.qde": qde(""), "sources/big.txt": b"0" * 50_000}))


def test_a_header_that_lies_about_its_size_is_still_counted(monkeypatch):
    data = archive({"project.qde": qde("x" * 20_000)})
    monkeypatch.setattr(refi_qda, "MAX_QDPX_UNCOMPRESSED", 10_000)
    # the central directory says the member is small; reading it must still stop at the cap
    original = zipfile.ZipFile.infolist

    def lying(self):
        infos = original(self)
        for info in infos:
            info.file_size = 10
        return infos

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying)
    with pytest.raises(InputFileError):
        read_qdpx(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "not a .qdpx"),
        (archive({"readme.txt": "x"}), "no project.qde"),
        (archive({"project.qde": "<Project"}), "not well-formed"),
        (archive({"project.qde": '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'}), "not <Project>"),
    ],
)
def test_not_a_project_is_a_clear_error(data, message):
    with pytest.raises(InputFileError, match=message):
        read_qdpx(data)


def test_fixtures_are_unchanged_copies_of_the_shared_reference_files():
    from ..conftest import ROOT, in_ci

    shared = ROOT.parent / "shared" / "refi-qda"
    if not shared.exists():
        if in_ci():
            pytest.fail("CI lays shared/ beside the checkout; the REFI-QDA fixtures cannot be checked without it")
        pytest.skip("shared/refi-qda is not beside this checkout")
    for fixture in REFI.iterdir():
        if fixture.suffix in (".xsd", ".qdc", ".qdpx"):
            original = shared / fixture.name if fixture.suffix == ".xsd" else shared / "samples" / fixture.name
            assert fixture.read_bytes() == original.read_bytes(), fixture.name


def test_a_code_tree_nested_without_end_is_refused():
    deep = "".join(f'<Code guid="{G1}" name="c{i}" isCodable="true">' for i in range(5000)) + "</Code>" * 5000
    with pytest.raises(InputFileError, match="nested more than"):
        read_qdc(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{deep}</Codes></CodeBook>'.encode())
