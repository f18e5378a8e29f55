"""evals/suites/cmrc_polar.jsonl and cmrc_polar2.jsonl: yes/no questions over the CMRC split.
These checks keep the files what their README says: every question is a yes/no question the
code recognises, answerable ones sit on indexed articles with a verbatim evidence clause and a
verdict, unanswerable ones on articles the article cannot decide or that are not indexed, and
the second file shares no article with the first (it is the held-out set)."""
import json
from collections import Counter
from pathlib import Path

import pytest

from rag.evaluation import cmrc_split
from rag.evaluation.gold import load_gold
from rag.text.polar import is_polar

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "evals" / "suites"


def _lines(name: str) -> list[dict]:
    return [json.loads(x) for x in (SUITES / name).read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def split():
    arts = {a.id: a for a in cmrc_split.load_articles(ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json")}
    indexed, held_out = cmrc_split.split_ids(arts)
    corpus = cmrc_split.build_split_suite(list(arts.values()), n_answerable=0, n_unanswerable=0).corpus_files
    return indexed, held_out, corpus


@pytest.mark.parametrize("name, prefix, counts", [
    ("cmrc_polar.jsonl", "yn", {"yes": 30, "no": 30, "not-stated": 15, "not-indexed": 15}),
    ("cmrc_polar2.jsonl", "yp", {"yes": 20, "no": 20, "not-stated": 10, "not-indexed": 10}),
])
def test_the_yes_no_questions_sit_on_the_right_side_with_verbatim_evidence(split, name, prefix, counts):
    indexed, held_out, corpus = split
    items, raw = load_gold(SUITES / name), _lines(name)
    assert [o["id"] for o in raw] == [f"{prefix}-{n:03d}" for n in range(1, len(raw) + 1)]
    assert Counter(o["kind"] for o in raw) == counts
    assert len({i.question for i in items}) == len(items)
    for item, obj in zip(items, raw):
        assert is_polar(item.question), item.id
        article = obj["source_id"]
        if obj["kind"] in ("yes", "no"):
            assert item.answerable and item.verdict == obj["kind"] and article in indexed, item.id
            text = "".join(corpus[f"{article}.md"].split())
            assert len(item.evidence) == 1 and "".join(item.evidence[0].split()) in text, item.id
        else:
            assert not item.answerable and item.verdict is None, item.id
            assert article in (indexed if obj["kind"] == "not-stated" else held_out), item.id


def test_the_held_out_yes_no_set_shares_no_article_with_the_first():
    first = {o["source_id"] for o in _lines("cmrc_polar.jsonl")}
    assert not first & {o["source_id"] for o in _lines("cmrc_polar2.jsonl")}
