"""The given-passages suite (rag.evaluation.cmrc_given): an answerable question is handed the
passage holding its answer among topical passages of its own article that do not answer and
noise from other articles; an unanswerable one is handed no passage with its answer. Checked
on a small CMRC-shaped fixture and on the real suites.toml."""
import json
from pathlib import Path

import pytest

from rag.config import Settings
from rag.evaluation import cmrc_given, cmrc_split
from rag.evaluation.suites import build_suite, load_suites

ROOT = Path(__file__).resolve().parent.parent

# Articles of several sentences each, so that each is cut into several pieces.
ARTICLES = [(f"DEV_{n}", f"标题{n}", "".join(f"第{n}篇第{k}句讲述事件{n}{k}的经过与结果。" for k in range(6)),
             [(f"事件{n}{k}讲述了什么？", f"事件{n}{k}的经过") for k in (1, 4)]) for n in range(1, 13)]


@pytest.fixture
def articles(tmp_path):
    data = [{"id": aid, "title": title, "paragraphs": [{"id": aid, "context": text, "qas": [
        {"id": f"{aid}_QUERY_{i}", "question": q, "answers": [{"text": a, "answer_start": text.index(a)}]}
        for i, (q, a) in enumerate(qas)]}]} for aid, title, text, qas in ARTICLES]
    path = tmp_path / "cmrc.json"
    path.write_text(json.dumps({"data": data}, ensure_ascii=False), encoding="utf-8")
    return cmrc_split.load_articles(path)


def build(articles, **kw):
    args = dict(n_answerable=4, n_unanswerable=4, seed=3, split_seed=2018, piece_chars=40) | kw
    return cmrc_given.build_given_suite(articles, **args)


def test_pieces_are_whole_sentences_within_the_limit(articles):
    cut = cmrc_given.pieces(articles[0], 40)
    assert len(cut) == 3 and "".join(p.text for p in cut) == articles[0].text
    assert all(len(p.text) <= 40 and p.text.endswith("。") for p in cut)


def test_an_answerable_question_gets_its_answer_among_topical_passages_and_noise(articles):
    answerable, _, passages = build(articles)
    assert len(answerable) == 4
    for item in answerable:
        given = passages[item.question]
        holding = [c for c in given if any(a in c.text for a in item.answers)]
        assert len(given) == cmrc_given.PASSAGES and len(holding) == 1
        assert item.evidence[0] in holding[0].text
        own = holding[0].source
        topical = [c for c in given if c.source == own and c is not holding[0]]
        assert 1 <= len(topical) <= cmrc_given.SAME_ARTICLE_ANSWERABLE
        assert any(c.source != own for c in given)  # noise from other articles


def test_an_unanswerable_question_gets_no_passage_holding_its_answer(articles):
    _, unanswerable, passages = build(articles)
    answers = {q.question: q.answers for a in articles for q in a.questions}
    assert len(unanswerable) == 4
    for item in unanswerable:
        given = passages[item.question]
        assert len(given) == cmrc_given.PASSAGES and not item.answers and not item.answerable
        assert not any(a in c.text for c in given for a in answers[item.question])
        own = item.id.removeprefix("given-").split("_QUERY_")[0]
        assert 1 <= sum(c.source == own for c in given) <= cmrc_given.SAME_ARTICLE_UNANSWERABLE


def test_questions_come_from_articles_not_indexed_and_never_from_the_excluded(articles):
    answerable, unanswerable, _ = build(articles)
    _, held_out = cmrc_split.split_ids([a.id for a in articles])
    ids = [i.id.removeprefix("given-") for i in answerable + unanswerable]
    assert len(set(ids)) == len(ids) and all(i.split("_QUERY_")[0] in held_out for i in ids)
    again = build(articles, exclude={ids[0]})
    assert ids[0] not in [i.id.removeprefix("given-") for i in again[0] + again[1]]
    assert build(articles) == build(articles)  # seeded


def test_the_real_suite_asks_nothing_the_split_asks_and_its_evidence_is_given():
    specs = load_suites(ROOT / "evals" / "suites.toml")
    given = next(s for s in specs if s.kind == "cmrc-given")
    split = next(s for s in specs if s.name == given.options["exclude_of"])
    built = build_suite(given, Settings(), specs)
    split_ids = {i.id for i in build_suite(split, Settings(), specs).items}
    assert sum(i.answerable for i in built.items) == 60 and sum(not i.answerable for i in built.items) == 60
    assert not {i.id.removeprefix("given-") for i in built.items} & split_ids
    for item in built.items:
        texts = [c.text for c in built.passages[item.question]]
        assert len(texts) == 5
        if item.answerable:
            assert any(item.evidence[0] in t for t in texts)
