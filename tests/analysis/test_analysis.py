"""Analysis functions on small hand-made frames, and the report of the sample corpus against its files.

Expected values are counted by hand from the frames below (or from sample_data/ in the model test);
no figure of the source report is typed here.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict

import pandas as pd
import pytest

from toolkit.analysis.findings import (
    CODING_COLUMNS,
    MISSING_VALUE,
    QUOTE_COLUMNS,
    code_by_attribute,
    code_prevalence,
    cooccurrence,
    filter_cases,
    filter_codings,
    quotes_for,
    recruitment_counts,
)
from toolkit.analysis.frames import (
    ALL_CODERS_LABEL,
    DEFAULT_CODER,
    coder_label,
    load_colours,
    load_frames,
    resolve_coder,
)
from toolkit.errors import NotFoundError
from toolkit.studies.snapshot import awareness, contract_funnel, report

from ..conftest import FIXED_CODE_IDS, SAMPLE

CASE_ROWS = [
    # document, gender, age_group, exploitation_type, heard_of_tip, signed, received, checked
    ("D1", "female", "18-29", "sexual", "yes", "no", "n.a.", "no"),
    ("D2", "female", "30-44", "labour", "yes", "yes", "yes", "no"),
    ("D3", "male", "30-44", "labour", "no", "yes", "no", "no"),
    ("D4", "male", "45+", "labour", "yes", "yes", "no", "yes"),
    ("D5", "male", "18-29", "labour", "yes", "yes", "yes", "no"),
    ("D6", "female", "45+", "sexual", "no", "no", "n.a.", "no"),
]
CASE_COLUMNS = [
    "document",
    "gender",
    "age_group",
    "exploitation_type",
    "heard_of_tip",
    "signed_documents",
    "received_documents",
    "checked_employer",
]
CODING_ROWS = [
    # document, segment, code
    ("D1", 1, "root_cause.education"),
    ("D1", 1, "root_cause.family"),
    ("D1", 3, "recruitment.online"),
    ("D1", 4, "root_cause.awareness"),
    ("D2", 2, "root_cause.education"),
    ("D2", 5, "root_cause.education"),
    ("D2", 6, "recruitment.in_person"),
    ("D2", 8, "contract.received"),
    ("D3", 1, "recruitment.in_person"),
    ("D3", 2, "contract.substituted"),
    ("D3", 3, "root_cause.awareness"),
    ("D4", 1, "recruitment.in_person"),
    ("D4", 2, "contract.promised"),
    ("D4", 3, "root_cause.family"),
    ("D5", 1, "recruitment.agency"),
    ("D5", 2, "contract.received"),
    ("D5", 3, "root_cause.education"),
    ("X9", 1, "root_cause.education"),  # a document outside the cases: never counted
]


@pytest.fixture
def cases() -> pd.DataFrame:
    return pd.DataFrame(CASE_ROWS, columns=CASE_COLUMNS)


@pytest.fixture
def codings() -> pd.DataFrame:
    rows = [
        {
            "document": doc,
            "segment": segment,
            "start": segment * 100,
            "end": segment * 100 + 50,
            "quote": f"{doc} turn {segment} ({code})",
            "code": code,
            "coder": "gold",
            "origin": "imported",
        }
        for doc, segment, code in CODING_ROWS
    ]
    return pd.DataFrame(rows, columns=list(CODING_COLUMNS))


def _empty_codings() -> pd.DataFrame:
    return pd.DataFrame(columns=list(CODING_COLUMNS))


def _prevalence(frame: pd.DataFrame) -> dict[str, tuple[int, float]]:
    return {row.code: (row.interviews, row.share) for row in frame.itertuples(index=False)}


# ----------------------------------------------------------------------------------------------- filters


def test_analysis_filter_cases_by_listed_values(cases):
    women = filter_cases(cases, gender=["female"])
    assert women["document"].tolist() == ["D1", "D2", "D6"]
    young_or_old_women = filter_cases(cases, gender=["female"], age_group=["18-29", "45+"])
    assert young_or_old_women["document"].tolist() == ["D1", "D6"]


def test_analysis_filter_cases_empty_or_none_is_no_filter(cases):
    assert len(filter_cases(cases)) == len(cases)
    assert len(filter_cases(cases, gender=None, age_group=[])) == len(cases)


def test_analysis_filter_cases_scalar_and_number_values(cases):
    numbered = cases.assign(year_assisted=["2020", "2021", "2021", "2020", "2021", "2021"])
    assert filter_cases(numbered, gender="male")["document"].tolist() == ["D3", "D4", "D5"]
    assert len(filter_cases(numbered, year_assisted=[2020])) == 2


def test_analysis_filter_cases_unknown_attribute_names_the_known_ones(cases):
    with pytest.raises(NotFoundError, match=r"no case attribute 'colour'.*gender"):
        filter_cases(cases, colour=["red"])


def test_analysis_filter_codings_by_names_or_cases_frame(codings, cases):
    assert set(filter_codings(codings, ["D1", "D3"])["document"]) == {"D1", "D3"}
    women = filter_cases(cases, gender=["female"])
    assert set(filter_codings(codings, women)["document"]) == {"D1", "D2"}
    assert filter_codings(codings, None) is codings
    assert filter_codings(codings, []).empty


# ----------------------------------------------------------------------------------------------- prevalence


def test_analysis_code_prevalence_counts_interviews_not_codings(codings, cases):
    frame = code_prevalence(codings, cases)
    assert list(frame.columns) == ["code", "interviews", "share"]
    counts = _prevalence(frame)
    # D2 has two education codings and X9 is not a case: three interviews of six
    assert counts["root_cause.education"] == (3, 3 / 6)
    assert counts["root_cause.family"] == (2, 2 / 6)
    assert frame["share"].between(0, 1).all()
    assert frame["code"].tolist() == sorted(frame["code"])


def test_analysis_code_prevalence_keeps_requested_codes_with_zeros(codings, cases):
    frame = code_prevalence(codings, cases, codes=["root_cause.disability", "root_cause.education"])
    assert frame["code"].tolist() == ["root_cause.disability", "root_cause.education"]
    assert frame["interviews"].tolist() == [0, 3]


def test_analysis_code_prevalence_follows_the_case_filter(codings, cases):
    everyone = _prevalence(code_prevalence(codings, cases))
    women = _prevalence(code_prevalence(codings, filter_cases(cases, gender=["female"])))
    men = _prevalence(code_prevalence(codings, filter_cases(cases, gender=["male"])))
    assert women["root_cause.education"] == (2, 2 / 3)
    assert men["root_cause.education"] == (1, 1 / 3)
    assert women["root_cause.education"][0] + men["root_cause.education"][0] == everyone["root_cause.education"][0]


def test_analysis_code_prevalence_of_no_cases_is_empty_of_counts(codings, cases):
    frame = code_prevalence(codings, cases.iloc[0:0], codes=["root_cause.education"])
    assert frame["interviews"].tolist() == [0]
    assert frame["share"].isna().all()


def test_analysis_code_by_attribute_shares_within_each_group(codings, cases):
    frame = code_by_attribute(codings, cases, "gender", codes=["root_cause.education", "root_cause.family"])
    assert list(frame.columns) == ["code", "value", "interviews", "n", "share"]
    rows = {(r.code, r.value): (r.interviews, r.n, r.share) for r in frame.itertuples(index=False)}
    assert rows[("root_cause.education", "female")] == (2, 3, 2 / 3)
    assert rows[("root_cause.education", "male")] == (1, 3, 1 / 3)
    assert rows[("root_cause.family", "male")] == (1, 3, 1 / 3)
    assert frame["share"].between(0, 1).all()


def test_analysis_code_by_attribute_missing_values_form_their_own_group(codings, cases):
    gappy = cases.assign(gender=["female", "female", None, "male", "male", "female"])
    frame = code_by_attribute(codings, gappy, "gender", codes=["recruitment.in_person"])
    assert frame["value"].tolist() == ["female", "male", MISSING_VALUE]
    assert frame["n"].sum() == len(cases)
    assert frame.set_index("value").loc[MISSING_VALUE, "interviews"] == 1  # D3


def test_analysis_code_by_attribute_unknown_attribute(codings, cases):
    with pytest.raises(NotFoundError):
        code_by_attribute(codings, cases, "religion")


def test_analysis_cooccurrence_is_symmetric_at_document_level(codings):
    codes = ["root_cause.education", "root_cause.family", "recruitment.in_person", "root_cause.disability"]
    matrix = cooccurrence(codings, codes)
    assert matrix.index.tolist() == codes and matrix.columns.tolist() == codes
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    # education in D1, D2, D5, X9; family in D1, D4; in person in D2, D3, D4
    assert matrix.loc["root_cause.education", "root_cause.education"] == 4
    assert matrix.loc["root_cause.education", "root_cause.family"] == 1
    assert matrix.loc["root_cause.education", "recruitment.in_person"] == 1
    assert matrix.loc["root_cause.family", "recruitment.in_person"] == 1
    assert matrix.loc["root_cause.disability"].sum() == 0


def test_analysis_cooccurrence_follows_filtered_codings(codings, cases):
    men = filter_codings(codings, filter_cases(cases, gender=["male"]))
    matrix = cooccurrence(men, ["root_cause.education", "root_cause.family"])
    assert matrix.loc["root_cause.education", "root_cause.education"] == 1
    assert matrix.loc["root_cause.education", "root_cause.family"] == 0


# ----------------------------------------------------------------------------------------------- findings


def test_analysis_contract_funnel_counts_among_those_who_signed(codings, cases):
    funnel = contract_funnel(cases, codings)
    assert funnel["n"] == 6
    assert funnel["signed"] == 4  # D2-D5
    assert funnel["signed_share"] == 4 / 6
    assert funnel["received"] == 2  # D2, D5
    assert funnel["received_share_of_signed"] == 2 / 4
    assert funnel["checked_employer"] == 1  # D4
    assert funnel["checked_employer_share"] == 1 / 4
    assert (funnel["substituted"], funnel["promised"]) == (1, 1)


def test_analysis_contract_funnel_shares_none_without_denominator(codings, cases):
    unsigned = filter_cases(cases, signed_documents=["no"])
    funnel = contract_funnel(unsigned, codings)
    assert funnel["signed"] == 0
    assert funnel["received_share_of_signed"] is None
    assert funnel["checked_employer_share"] is None
    bare = contract_funnel(cases[["document"]], codings)
    assert bare["signed"] is None and bare["received"] is None and bare["signed_share"] is None


def test_analysis_contract_funnel_follows_the_case_filter(codings, cases):
    men = contract_funnel(filter_cases(cases, gender=["male"]), codings)
    assert (men["signed"], men["received"], men["checked_employer"]) == (3, 1, 1)
    assert men["substituted"] == 1 and men["promised"] == 1
    women = contract_funnel(filter_cases(cases, gender=["female"]), codings)
    assert (women["substituted"], women["promised"]) == (0, 0)


def test_analysis_awareness_share_and_quotes(codings, cases):
    result = awareness(cases, codings)
    assert (result["heard"], result["not_heard"], result["n"]) == (4, 2, 6)
    assert result["share"] == 4 / 6
    assert list(result["quotes"].columns) == list(QUOTE_COLUMNS)
    assert result["quotes"]["document"].tolist() == ["D1", "D3"]
    assert set(result["quotes"]["code"]) == {"root_cause.awareness"}


def test_analysis_awareness_counts_only_answers(codings, cases):
    gappy = cases.assign(heard_of_tip=["yes", "yes", None, "YES", "", "no"])
    result = awareness(gappy, codings)
    assert (result["heard"], result["n"]) == (3, 4)
    assert result["share"] == 3 / 4
    missing = awareness(cases[["document"]], codings)
    assert missing["share"] is None and missing["heard"] is None


def test_analysis_recruitment_counts_sorted_descending(codings, cases):
    frame = recruitment_counts(codings, cases)
    assert frame["code"].tolist() == ["recruitment.in_person", "recruitment.agency", "recruitment.online"]
    assert frame["interviews"].tolist() == [3, 1, 1]
    assert frame["interviews"].is_monotonic_decreasing
    women = recruitment_counts(codings, filter_cases(cases, gender=["female"]))
    assert dict(zip(women["code"], women["interviews"], strict=True)) == {
        "recruitment.in_person": 1,
        "recruitment.online": 1,
        "recruitment.agency": 0,
    }


def test_analysis_quotes_for_code_documents_and_groups(codings, cases):
    education = quotes_for(codings, "root_cause.education")
    assert list(education.columns) == list(QUOTE_COLUMNS)
    assert education["document"].tolist() == ["D1", "D2", "D2", "D5", "X9"]
    assert quotes_for(codings, "root_cause.education", documents=["D2"])["segment"].tolist() == [2, 5]
    contract = quotes_for(codings, "contract", documents=cases)
    assert set(contract["code"]) == {"contract.received", "contract.substituted", "contract.promised"}
    several = quotes_for(codings, ["recruitment.online", "recruitment.agency"])
    assert several["document"].tolist() == ["D1", "D5"]
    assert len(quotes_for(codings)) == len(codings)
    assert quotes_for(codings, "root_cause.educ").empty  # a prefix of a word is not a parent code


def test_analysis_quotes_for_on_empty_codings():
    assert list(quotes_for(_empty_codings(), "root_cause.education").columns) == list(QUOTE_COLUMNS)


def test_analysis_empty_codings_give_zeros(cases):
    empty = _empty_codings()
    assert code_prevalence(empty, cases).empty
    assert code_prevalence(empty, cases, codes=["root_cause.family"])["interviews"].tolist() == [0]
    assert code_by_attribute(empty, cases, "gender", codes=["root_cause.family"])["interviews"].sum() == 0
    assert cooccurrence(empty, ["a", "b"]).to_numpy().sum() == 0
    assert recruitment_counts(empty, cases).empty
    assert contract_funnel(cases, empty)["substituted"] == 0


def test_analysis_report_is_json_and_consistent(codings, cases):
    result = report(codings, cases, coder_label="gold", min_cell=0)
    json.dumps(result, allow_nan=False)
    assert result["coder"] == "gold"
    assert result["n_interviews"] == len(cases)
    assert result["by_gender"] == {"female": 3, "male": 3}
    assert result["code_prevalence"]["root_cause.education"] == {"interviews": 3, "share": 3 / 6}
    assert result["heard_of_tip_share"] == result["heard_of_tip"] / result["heard_of_tip_n"]
    assert result["signed_documents"] == 4
    assert result["received_share_of_signed"] == 2 / 4
    assert result["checked_employer_share"] == 1 / 4
    assert list(result["recruitment_counts"]) == ["recruitment.in_person", "recruitment.agency", "recruitment.online"]
    assert result["predominant_recruitment"] == "recruitment.in_person"
    assert set(result["code_by_attribute"]) == {"gender", "age_group", "exploitation_type"}
    assert result["code_by_attribute"]["gender"]["root_cause.education"]["female"] == {"interviews": 2, "share": 2 / 3}
    for code, value in result["code_prevalence"].items():  # each share is its count over all interviews
        assert value["share"] == value["interviews"] / result["n_interviews"], code


def test_analysis_report_of_a_subgroup_and_of_nothing(codings, cases):
    men = report(codings, filter_cases(cases, gender=["male"]), coder_label="gold")
    assert men["n_interviews"] == 3 and men["by_gender"] == {"male": 3}
    assert men["code_prevalence"]["root_cause.education"] == {"interviews": 1, "share": 1 / 3}
    nothing = report(_empty_codings(), cases.iloc[0:0], coder_label=ALL_CODERS_LABEL)
    json.dumps(nothing, allow_nan=False)
    assert nothing["n_interviews"] == 0
    assert nothing["heard_of_tip_share"] is None and nothing["received_share_of_signed"] is None
    assert nothing["predominant_recruitment"] is None


# ----------------------------------------------------------------------------------------------- loading


def test_frames_empty_store(store):
    codings, cases = load_frames(store)
    assert list(codings.columns) == list(CODING_COLUMNS) and codings.empty
    assert list(cases.columns) == ["document"] and cases.empty
    assert codings.attrs["coder"] == ALL_CODERS_LABEL
    assert resolve_coder(store, DEFAULT_CODER) is None
    assert coder_label("gold") == "gold"
    with pytest.raises(NotFoundError, match="unknown coder 'nobody'"):
        load_frames(store, "nobody")


@pytest.mark.model
def test_analysis_report_of_sample_corpus_matches_its_files(sample_store):
    with open(SAMPLE / "cases.csv", encoding="utf-8") as handle:
        rows = {row["document"]: row for row in csv.DictReader(handle)}
    gold: dict[str, set[str]] = defaultdict(set)
    for line in (SAMPLE / "gold_codings.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        for code in entry["codes"]:
            gold[code].add(entry["document"])

    codings, cases = load_frames(sample_store)
    assert codings.attrs["coder"] == "gold"
    assert set(codings["coder"]) == {"gold"}
    assert sorted(cases["document"]) == sorted(rows)
    result = report(codings, cases, codings.attrs["coder"], min_cell=0)  # every cell, to compare with the files
    json.dumps(result, allow_nan=False)

    n = len(rows)
    heard = sum(r["heard_of_tip"] == "yes" for r in rows.values())
    signed = [d for d, r in rows.items() if r["signed_documents"] == "yes"]
    received = sum(rows[d]["received_documents"] == "yes" for d in signed)
    checked = sum(rows[d]["checked_employer"] == "yes" for d in signed)
    assert result["coder"] == "gold"
    assert result["n_interviews"] == n
    assert result["by_gender"] == dict(Counter(r["gender"] for r in rows.values()))
    assert result["heard_of_tip"] == heard
    assert result["heard_of_tip_share"] == pytest.approx(heard / n)
    assert result["signed_documents"] == len(signed)
    assert result["received_share_of_signed"] == pytest.approx(received / len(signed))
    assert result["checked_employer_share"] == pytest.approx(checked / len(signed))
    assert set(result["code_prevalence"]) == FIXED_CODE_IDS
    for code, documents in gold.items():
        assert result["code_prevalence"][code]["interviews"] == len(documents), code
        assert result["code_prevalence"][code]["share"] == pytest.approx(len(documents) / n), code
    recruitment = {code: len(docs) for code, docs in gold.items() if code.startswith("recruitment.")}
    assert result["recruitment_counts"] == dict(sorted(recruitment.items(), key=lambda kv: (-kv[1], kv[0])))
    assert result["predominant_recruitment"] == max(recruitment, key=recruitment.get)
    assert result["contract_substituted"] == len(gold["contract.substituted"])
    assert result["contract_promised"] == len(gold["contract.promised"])
    for attribute in ("gender", "age_group", "exploitation_type"):
        for code, documents in gold.items():
            for value, cell in result["code_by_attribute"][attribute][code].items():
                group = {d for d, r in rows.items() if r[attribute] == value}
                assert cell["interviews"] == len(documents & group), (attribute, code, value)
                assert cell["share"] == pytest.approx(len(documents & group) / len(group))

    protected = report(codings, cases, codings.attrs["coder"])  # the default: no cell of 1 or 2 people
    cells = [c for a in protected["code_by_attribute"].values() for v in a.values() for c in v.values()]
    assert cells and all(c["interviews"] is None or c["interviews"] == 0 or c["interviews"] >= 3 for c in cells)
    assert protected["case_counts"]["exploitation_type"]["other (groups under 3)"] is None  # one man: begging
    assert "merged" in protected["suppression"]["notes"]["exploitation_type"]

    everyone, _ = load_frames(sample_store, coder=None)
    assert len(everyone) == len(codings)  # the demo has one coder
    colours = load_colours(sample_store)
    assert set(colours) == FIXED_CODE_IDS and all(c.startswith("#") and len(c) == 7 for c in colours.values())


def test_frames_whose_codings_count_never_switches_silently(store, blank_nlp, tmp_path):
    """Importing a coder named 'gold' used to switch every report to it without a word (issue 9, item 5)."""
    from typer.testing import CliRunner

    from toolkit.analysis.frames import choose_coder, set_reference_coder
    from toolkit.cli.main import app
    from toolkit.coding.codings import import_codings

    from ..conftest import sample_study

    sample_study(store, blank_nlp, tmp_path, ["S01", "S02"], ["S01"], coder="alice")
    assert choose_coder(store).coder == "alice" and "only coder" in choose_coder(store).reason
    gold = tmp_path / "alice.jsonl"  # written by sample_study: S01's gold codings
    import_codings(store, gold, coder="gold", new_coder=True)
    pooled = choose_coder(store)
    assert pooled.coder is None and "no reference coder" in pooled.reason
    codings, _ = load_frames(store)
    assert set(codings["coder"]) == {"alice", "gold"} and codings.attrs["coder_reason"] == pooled.reason

    set_reference_coder(store, "gold", actor="alice")
    chosen = choose_coder(store)
    assert chosen.coder == "gold" and "reference coder" in chosen.reason
    url = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--db", url, "report"])
    assert result.exit_code == 0 and "counting gold (the project's reference coder" in result.output
    with pytest.raises(NotFoundError):
        set_reference_coder(store, "nobody")


def test_analysis_drill_quotes_of_a_bar_and_a_heatmap_cell(codings, cases):
    """Issue 9 item 13: the quotes behind a clicked bar (code within an attribute value) or heatmap cell."""
    from toolkit.analysis.findings import drill_quotes

    value = str(cases["gender"].dropna().iloc[0])
    documents = set(cases.loc[cases["gender"].astype(str) == value, "document"])
    code = str(codings["code"].iloc[0])
    got = drill_quotes(codings, cases, [code], "gender", value)
    want = codings[(codings["code"] == code) & codings["document"].isin(documents)]
    assert sorted(got["quote"]) == sorted(want["quote"])
    a, b = sorted(set(codings["code"]))[:2]
    both = set(codings.loc[codings["code"] == a, "document"]) & set(codings.loc[codings["code"] == b, "document"])
    together = drill_quotes(codings, cases, [a, b], together=True)
    assert set(together["document"]) == both
    assert set(together["code"]) <= {a, b}
    assert drill_quotes(codings, cases, [code], "no_such_attribute", "x").empty
