"""evals/suites/cmrc_para.jsonl and cmrc_para2.jsonl: Chinese questions over the CMRC split worded
the way a reader asks, not the way the article puts it. The suites exist because CMRC's own
questions copy their sentence's words, so a decision fitted on them learned "few shared words =
refuse"; two of them, so that a fold holding one out still trains on reworded questions. These
checks keep the files what their README says they are."""
import functools
import json
import re
from pathlib import Path

import pytest

from rag.evaluation import cmrc_split
from rag.evaluation.cmrc_given import build_given_suite
from rag.evaluation.gold import load_gold

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "evals" / "suites"
# file, id prefix, at least this many answerable / not-indexed questions
PARAPHRASE_FILES = [("cmrc_para.jsonl", "para", 90, 30), ("cmrc_para2.jsonl", "para2", 45, 20)]


def _lines(name: str) -> list[dict]:
    return [json.loads(x) for x in (SUITES / name).read_text(encoding="utf-8").splitlines() if x.strip()]


def _bigrams(text: str) -> set[str]:
    cut = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "|", text)
    return {cut[i:i + 2] for i in range(len(cut) - 1) if "|" not in cut[i:i + 2]}


def _shared(question: str, sentence: str) -> float:
    """Share of the question's character bigrams that occur in the sentence."""
    grams = _bigrams(question)
    return sum(g in sentence for g in grams) / max(1, len(grams))


@pytest.mark.parametrize("name,prefix,n_answerable,n_not_indexed", PARAPHRASE_FILES)
def test_the_paraphrased_questions_sit_on_the_right_side_and_keep_their_answers(name, prefix, n_answerable, n_not_indexed):
    items = load_gold(SUITES / name)
    raw = _lines(name)
    arts = {a.id: a for a in cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")}
    indexed, held_out = cmrc_split.split_ids(arts)
    corpus = cmrc_split.build_split_suite(list(arts.values()), n_answerable=0, n_unanswerable=0).corpus_files
    assert [o["id"] for o in raw] == [f"{prefix}-{n:03d}" for n in range(1, len(raw) + 1)]
    assert sum(i.answerable for i in items) >= n_answerable and sum(not i.answerable for i in items) >= n_not_indexed
    assert {o["kind"] for o in raw[:5]} == {"answerable", "not-indexed"}  # any prefix holds both kinds
    assert len({i.question for i in items}) == len(items)
    for item, obj in zip(items, raw):
        article = arts[obj["source_id"].split("_QUERY_")[0]]
        source = next(q for q in article.questions if q.id == obj["source_id"])
        assert item.lang == "zh" and item.question != source.question, item.id
        assert item.answerable == (obj["kind"] == "answerable") == (article.id in indexed), item.id
        if item.answerable:
            assert set(item.answers) == set(source.answers), item.id
            assert len(item.evidence) == 1 and item.evidence[0] in corpus[f"{article.id}.md"], item.id
            assert any(a in item.evidence[0] for a in item.answers), item.id
        else:
            assert article.id in held_out and not item.answers and not item.evidence, item.id


@pytest.mark.parametrize("name", [f[0] for f in PARAPHRASE_FILES])
def test_the_paraphrases_share_far_fewer_words_with_their_sentence_than_cmrc_questions_do(name):
    arts = {a.id: a for a in cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")}
    ours, theirs = [], []
    for obj in _lines(name):
        if obj["kind"] != "answerable":
            continue
        article = arts[obj["source_id"].split("_QUERY_")[0]]
        source = next(q for q in article.questions if q.id == obj["source_id"])
        ours.append(_shared(obj["question"], obj["evidence"][0]))
        theirs.append(_shared(source.question, obj["evidence"][0]))
    assert sum(ours) / len(ours) <= 0.30 and sum(theirs) / len(theirs) >= 0.40
    assert sum(ours) / len(ours) <= 0.65 * sum(theirs) / len(theirs)


@functools.lru_cache(maxsize=1)
def _asked_by_built_suites() -> tuple[frozenset[str], frozenset[str]]:
    """The CMRC question ids the suites built at run time ask: the cmrc-split sample and
    cmrc-given (evals/suites.toml's sizes and seeds). Built once for every file checked."""
    arts = cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")
    split = cmrc_split.build_split_suite(arts, n_answerable=150, n_unanswerable=60)
    asked = frozenset(q.id for q in split.answerable + split.unanswerable)
    given = build_given_suite(arts, n_answerable=60, n_unanswerable=60, seed=cmrc_split.SPLIT_SEED,
                              split_seed=cmrc_split.SPLIT_SEED, exclude=asked)
    return asked, frozenset(g.id.removeprefix("given-") for g in given[0] + given[1])


@pytest.mark.parametrize("name", [f[0] for f in PARAPHRASE_FILES])
def test_the_paraphrased_questions_reuse_no_question_of_another_suite(name):
    """Disjoint from the other question files, from the cmrc-split sample and from cmrc-given's
    questions, so a fold that holds one of them out never trains on the same CMRC question in
    other words."""
    mine = [o["source_id"] for o in _lines(name)]
    assert len(set(mine)) == len(mine)
    others = ["cmrc_en.jsonl", "cmrc_en2.jsonl", "cmrc_premise.jsonl"] + [f[0] for f in PARAPHRASE_FILES if f[0] != name]
    for other in others:
        assert not set(mine) & {o["source_id"] for o in _lines(other)}, other
    split_asked, given_asked = _asked_by_built_suites()
    assert not set(mine) & split_asked
    shared = set(mine) & given_asked
    # cmrc_para.jsonl and cmrc-given were built without checking each other: one question (para-098,
    # DEV_136_QUERY_0, not indexed there, answerable with its passage in cmrc-given) is in both
    assert len(shared) <= (1 if name == "cmrc_para.jsonl" else 0), shared
