import json
import os

import numpy as np
import pytest

from rag.assistant import Assistant
from rag.retrieval.bm25 import Tokenizer, corpus_terms
from rag.config import Settings
from rag.ingest.corpus import chunk_documents, index_text, load_documents
from rag.retrieval.embedders.hash import HashEmbedder
from rag.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from rag.retrieval import lexical
from rag.retrieval.index import FORMAT_VERSION, HybridIndex, open_index


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting how many passages it was asked to embed."""

    def __init__(self, settings, key_suffix=""):
        super().__init__(settings)
        self.passages_embedded = 0
        self.key_suffix = key_suffix

    @property
    def key(self):
        return super().key + self.key_suffix

    def _encode_passages(self, texts):
        self.passages_embedded += len(texts)
        return super()._encode_passages(texts)


def test_faiss_matches_brute_force_numpy(shared_hash_assistant):
    index = shared_hash_assistant.index
    emb = index.embedder
    matrix = emb.embed_passages([index_text(c) for c in index.chunks])
    for q in ["数据需求满足率", "Who took the photo?", "平台经济 算法审计", "两江新区 智能网联汽车"]:
        qv = emb.embed_queries([q])[0]
        brute = np.argsort(-(matrix @ qv), kind="stable")[:8]
        got = index.dense_search(q, 8)
        assert [i for i, _ in got] == brute.tolist()
        np.testing.assert_allclose([s for _, s in got], (matrix @ qv)[brute], rtol=1e-5, atol=1e-6)


def test_bm25_keeps_corpus_terms_whole():
    tok = Tokenizer(corpus_terms(["深入推进“智改数转”"]))
    tokens = tok.tokens("两江新区推进人工智能+行动，落实东数西算和智改数转")
    for term in ("两江新区", "人工智能+", "东数西算", "智改数转"):
        assert term in tokens
    assert "的" not in tok.tokens("重庆的数据")  # stop words dropped


def test_bm25_ranks_the_exact_paragraph_first(shared_hash_assistant):
    hits = shared_hash_assistant.retrieve("数据编目16万类，数据需求满足率是多少", k=3, mode="bm25")
    assert "数据需求满足率95%" in hits[0].chunk.text
    assert hits[0].sources["bm25_rank"] == 1


def test_rrf_fusion_is_reciprocal_rank_fusion(shared_hash_assistant):
    shared = shared_hash_assistant.index
    index = HybridIndex(shared.chunks, shared.dense, shared.bm25, shared.embedder,
                        shared.settings.replace(fusion="rrf"), shared.manifest)
    q = "数据安全 隐私计算"
    dense, bm25 = index.dense_search(q, 30), index.bm25_search(q, 30)
    c = index.settings.rrf_k
    w = index.bm25_weight(q)
    expected: dict[int, float] = {}
    for ranked, weight in ((dense, 1.0), (bm25, w)):
        for r, (i, _) in enumerate(ranked, 1):
            expected[i] = expected.get(i, 0) + weight / (c + r)
    hits = index.search(q, k=5, mode="hybrid")
    top = sorted(expected, key=lambda i: (-expected[i], i))[:5]
    assert [index.chunks[i].id for i in top] == [h.chunk.id for h in hits]
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert hits[0].score == pytest.approx(expected[top[0]])


def test_bm25_weight_follows_query_language(shared_hash_assistant):
    index = shared_hash_assistant.index
    assert index.bm25_weight("重庆数据需求满足率是多少") == 1.0
    # an English question whose words are not translated matches stray tokens only
    plain = HybridIndex(index.chunks, index.dense, index.bm25, index.embedder,
                        index.settings.replace(translate_terms=False), index.manifest)
    assert plain.bm25_weight("What share of data requests is satisfied?") < 0.5


def test_modes_and_k(shared_hash_assistant):
    for mode in ("dense", "bm25", "hybrid"):
        hits = shared_hash_assistant.retrieve("平台经济", k=4, mode=mode)
        assert 1 <= len(hits) <= 4
        assert len({h.chunk.id for h in hits}) == len(hits)


def test_manifest_records_what_built_the_index(hash_assistant, hash_settings):
    m = json.loads((hash_settings.index_path / "manifest.json").read_text())
    assert m["embedder"] == "hash" and m["dim"] == HashEmbedder.DIM
    assert m["chunker_version"] and len(m["corpus_hash"]) == 64 and m["created"]
    assert m["chunks"] == len(hash_assistant.index.chunks)
    assert set(m["files"]) == {"chunks.jsonl", "dense.faiss", "lexical.json"}
    assert m["format"] == FORMAT_VERSION and m["analyzer"] == lexical.ANALYZER
    # atomic writes leave no temporary files behind
    assert not [p for p in os.listdir(hash_settings.index_path) if p.startswith(".")]


def test_reload_gives_identical_results(hash_assistant, hash_settings):
    again = Assistant.load(hash_settings)
    q = "算力券"
    assert [h.chunk.id for h in again.retrieve(q, 5)] == [h.chunk.id for h in hash_assistant.retrieve(q, 5)]
    assert [c.id for c in again.index.chunks] == [c.id for c in hash_assistant.index.chunks]


def test_missing_index_without_rebuild(hash_settings):
    with pytest.raises(IndexMissingError, match="rag index"):
        Assistant.load(hash_settings.replace(auto_rebuild=False))


def test_other_embedder_is_detected(hash_assistant, hash_settings):
    other = CountingEmbedder(hash_settings, key_suffix=":v2")
    with pytest.raises(IndexStaleError, match="built with embedder .*hash:char-1-2gram:256.*:v2"):
        open_index(hash_settings.replace(auto_rebuild=False), other)
    messages = []
    index = open_index(hash_settings, other, log=messages.append)
    assert any("Rebuilding" in m and "embedder" in m for m in messages)
    assert index.manifest["embedder_key"].endswith(":v2")
    assert other.passages_embedded == len(index.chunks)  # a new model re-embeds everything


def test_changed_corpus_is_detected_and_rebuild_reembeds_only_changes(hash_assistant, hash_settings, corpus_dir):
    n = len(hash_assistant.index.chunks)
    (corpus_dir / "extra.md").write_text("# 新增文件\n\n重庆新增的一段正文，讲述数据要素市场化配置改革的进展。\n", encoding="utf-8")
    with pytest.raises(IndexStaleError, match="corpus has changed"):
        open_index(hash_settings.replace(auto_rebuild=False), HashEmbedder(hash_settings))
    emb = CountingEmbedder(hash_settings)
    index = open_index(hash_settings, emb)
    assert len(index.chunks) == n + 1
    assert emb.passages_embedded == 1  # everything else came from the embedding cache
    assert index.build_stats.embedded == 1
    assert index.search("数据要素市场化配置改革", k=1, mode="bm25")[0].chunk.source == "extra.md"


def _second_file(corpus_dir):
    (corpus_dir / "extra.md").write_text(
        "# 新增文件\n\n重庆新增的一段正文，讲述数据要素市场化配置改革的进展。\n\n"
        "第二段正文，讲述算力调度平台已经接入多家数据中心。\n\n"
        "第三段正文，讲述工业互联网标识解析节点的注册量。\n", encoding="utf-8")


def test_changing_one_file_reembeds_only_its_changed_chunks(hash_settings, corpus_dir):
    _second_file(corpus_dir)
    first = open_index(hash_settings, CountingEmbedder(hash_settings))
    n = len(first.chunks)
    text = (corpus_dir / "extra.md").read_text(encoding="utf-8")
    (corpus_dir / "extra.md").write_text(text.replace("多家数据中心", "十二家数据中心"), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="corpus has changed"):
        open_index(hash_settings.replace(auto_rebuild=False), HashEmbedder(hash_settings))
    emb = CountingEmbedder(hash_settings)
    index = open_index(hash_settings, emb)
    assert len(index.chunks) == n
    assert emb.passages_embedded == 1 and index.build_stats.embedded == 1  # the one edited paragraph
    assert index.search("十二家数据中心", k=1, mode="bm25")[0].chunk.id == "extra#p02"


def test_deleting_one_file_reembeds_nothing(hash_settings, corpus_dir):
    _second_file(corpus_dir)
    n_with = len(open_index(hash_settings, CountingEmbedder(hash_settings)).chunks)
    (corpus_dir / "extra.md").unlink()
    emb = CountingEmbedder(hash_settings)
    index = open_index(hash_settings, emb)
    assert len(index.chunks) == n_with - 3
    assert emb.passages_embedded == 0 and index.build_stats.embedded == 0
    assert not [c for c in index.chunks if c.source == "extra.md"]
    assert "extra.md" not in index.manifest["corpus_files"]


def test_adding_a_file_beside_an_unreadable_one_embeds_only_the_new_file(hash_settings, corpus_dir):
    (corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 damaged")
    first = open_index(hash_settings, CountingEmbedder(hash_settings))
    assert first.manifest["skipped"][0]["file"] == "broken.pdf"
    _second_file(corpus_dir)
    emb = CountingEmbedder(hash_settings)
    index = open_index(hash_settings, emb)
    assert len(index.chunks) == len(first.chunks) + 3 and emb.passages_embedded == 3


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "manifest"])
def test_corruption_is_detected(hash_assistant, hash_settings, damage):
    d = hash_settings.index_path
    target = d / "dense.faiss"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "flip":
        data = bytearray((d / "chunks.jsonl").read_bytes())
        data[len(data) // 2] ^= 0x01
        (d / "chunks.jsonl").write_bytes(bytes(data))
    elif damage == "delete":
        (d / "lexical.json").unlink()
    else:
        (d / "manifest.json").write_text("{not json", encoding="utf-8")
    strict = hash_settings.replace(auto_rebuild=False)
    with pytest.raises(IndexCorruptError, match="rag index"):
        Assistant.load(strict)
    messages = []
    repaired = Assistant.load(hash_settings, log=messages.append)
    assert messages and len(repaired.index.chunks) == len(hash_assistant.index.chunks)
    Assistant.load(strict)  # the rebuilt index verifies


def test_build_from_chunks_of_another_corpus(tmp_path):
    """The eval runner builds indexes from its own chunks (e.g. CMRC paragraphs)."""
    settings = Settings(embedder="hash", index_dir=str(tmp_path / "idx"))
    chunks = chunk_documents(load_documents(__import__("conftest").SEEDS))[:5]
    index = HybridIndex.build(chunks, HashEmbedder(settings), tmp_path / "idx", settings, corpus_hash="custom")
    loaded = HybridIndex.load(tmp_path / "idx", HashEmbedder(settings), settings)
    assert [c.id for c in loaded.chunks] == [c.id for c in index.chunks]


def test_missing_index_and_missing_corpus_names_both(tmp_path):
    settings = Settings(embedder="hash", corpus_dir=str(tmp_path / "no-corpus"), index_dir=str(tmp_path / "idx"))
    with pytest.raises(IndexMissingError, match="no-corpus does not exist"):
        Assistant.load(settings)


def test_index_of_an_older_format_is_rebuilt(hash_assistant, hash_settings):
    """Format 1 held jieba-word postings in bm25.json; loading one rebuilds, reusing the vectors."""
    d = hash_settings.index_path
    m = json.loads((d / "manifest.json").read_text())
    m["format"] = 1
    (d / "manifest.json").write_text(json.dumps(m))
    (d / "bm25.json").write_text("{}")
    with pytest.raises(IndexStaleError, match="format 1"):
        open_index(hash_settings.replace(auto_rebuild=False), HashEmbedder(hash_settings))
    emb = CountingEmbedder(hash_settings)
    messages = []
    index = open_index(hash_settings, emb, log=messages.append)
    assert any("format 1" in msg for msg in messages)
    assert emb.passages_embedded == 0  # every vector came from the embedding cache
    assert index.manifest["format"] == FORMAT_VERSION and not (d / "bm25.json").exists()
    assert index.search("数据需求满足率", k=1, mode="bm25")[0].chunk.text.count("数据需求满足率") == 1


def test_index_cut_by_another_analyzer_is_stale(hash_assistant, hash_settings, monkeypatch):
    monkeypatch.setattr(lexical, "ANALYZER", "char-1-3gram-v9")
    with pytest.raises(IndexStaleError, match="char-1-2gram"):
        open_index(hash_settings.replace(auto_rebuild=False), HashEmbedder(hash_settings))
    with pytest.raises(IndexStaleError, match="cut into terms"):
        HybridIndex.load(hash_settings.index_path, HashEmbedder(hash_settings), hash_settings)
