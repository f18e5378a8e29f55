"""rag.evaluation.cmrc: CMRC 2018 SQuAD-format files become chunks and gold items."""
import json
from pathlib import Path

import pytest

from rag.evaluation.cmrc import SAMPLE_SEED, load_cmrc, sample_items
from rag.config import Settings
from rag.retrieval.embedders import make_embedder
from rag.errors import CorpusError
from rag.retrieval.index import HybridIndex

ROOT = Path(__file__).resolve().parent.parent
CMRC_DEV = ROOT / "evals" / "cmrc2018" / "cmrc2018_dev.json"

TINY = {
    "version": "v1.0",
    "data": [
        {"id": "DEV_0", "title": "战国无双3", "paragraphs": [{
            "id": "DEV_0",
            "context": "《战国无双3》是由光荣和ω-force开发的战国无双系列的正统第三续作。",
            "qas": [{"id": "DEV_0_QUERY_0", "question": "《战国无双3》是由哪两个公司合作开发的？",
                     "answers": [{"text": "光荣和ω-force", "answer_start": 11},
                                 {"text": "光荣和ω-force", "answer_start": 11},
                                 {"text": "光荣", "answer_start": 11}]}],
        }]},
        {"id": "DEV_1", "title": "重庆", "paragraphs": [{
            "id": "DEV_1",
            "context": "重庆是中国西南的直辖市，简称渝，以山城和火锅闻名。",
            "qas": [{"id": "DEV_1_QUERY_0", "question": "重庆的简称是什么？",
                     "answers": [{"text": "渝", "answer_start": 14}]}],
        }]},
    ],
}


@pytest.fixture
def tiny_file(tmp_path):
    p = tmp_path / "tiny.json"
    p.write_text(json.dumps(TINY, ensure_ascii=False), encoding="utf-8")
    return p


def test_paragraphs_become_chunks(tiny_file):
    s = load_cmrc(tiny_file)
    assert [c.id for c in s.chunks] == ["DEV_0", "DEV_1"]
    c = s.chunks[1]
    assert c.section == "重庆" and c.author == "" and c.paragraph == 2
    assert (c.char_start, c.char_end) == (0, len(c.text))
    assert c.source == "tiny.json"


def test_questions_become_gold_items_supported_by_their_paragraph(tiny_file):
    items = load_cmrc(tiny_file).items
    assert [i.id for i in items] == ["DEV_0_QUERY_0", "DEV_1_QUERY_0"]
    first = items[0]
    assert first.answers == ("光荣和ω-force", "光荣")  # duplicate annotator answers collapsed, order kept
    assert first.evidence_chunks == ("DEV_0",) and first.answerable and first.lang == "zh"
    # support means "the paragraph it was asked on", even though DEV_1 has no answer text either way
    assert first.supported_by("DEV_0", "whatever") and not first.supported_by("DEV_1", "光荣和ω-force")


def test_missing_and_malformed_files(tmp_path, tiny_file):
    with pytest.raises(CorpusError, match="does not exist"):
        load_cmrc(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match="SQuAD"):
        load_cmrc(bad)
    broken = json.loads(tiny_file.read_text(encoding="utf-8"))
    del broken["data"][0]["paragraphs"][0]["context"]
    bad.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(CorpusError, match="lacks a field"):
        load_cmrc(bad)


def test_sample_is_fixed_and_in_file_order(tiny_file):
    items = load_cmrc(CMRC_DEV).items
    a, b = sample_items(items, 200), sample_items(items, 200, seed=SAMPLE_SEED)
    assert [i.id for i in a] == [i.id for i in b]
    assert len(a) == 200 and len({i.id for i in a}) == 200
    order = {i.id: n for n, i in enumerate(items)}
    assert [order[i.id] for i in a] == sorted(order[i.id] for i in a)
    assert [i.id for i in sample_items(items, 200, seed=1)] != [i.id for i in a]
    assert len(sample_items(items[:5], 200)) == 5


def test_real_dev_set_counts_and_licence_beside_it():
    s = load_cmrc(CMRC_DEV)
    assert len(s.chunks) == 848
    assert len(s.items) == 3219
    assert all(i.answers and i.evidence_chunks for i in s.items)
    assert (CMRC_DEV.parent / "LICENCE").read_text(encoding="utf-8").startswith("Attribution-ShareAlike 4.0")


def test_cmrc_chunks_index_and_retrieve_their_paragraph(tiny_file, tmp_path):
    # the real index code over CMRC chunks, with the fast hash embedder
    s = load_cmrc(tiny_file)
    settings = Settings(embedder="hash", index_dir=str(tmp_path / "idx"), corpus_dir=str(tmp_path / "none"))
    index = HybridIndex.build(s.chunks, make_embedder("hash", settings), tmp_path / "idx", settings, "tiny")
    for item in s.items:
        for mode in ("dense", "bm25", "hybrid"):
            top = index.search(item.question, k=1, mode=mode)[0]
            assert item.supported_by(top.chunk.id, top.chunk.text), (item.id, mode)
