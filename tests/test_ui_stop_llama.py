"""Stopping an answer reaches the real model: with the embedded llama.cpp model behind the
chat handlers, pressing stop after the first pieces ends decoding there (the model's own
token count says so), at once, and the model is free for the next question."""
from __future__ import annotations

import shutil
import time

import pytest

pytest.importorskip("gradio")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: pip install '.[llama]'")

from rag import Assistant, Settings  # noqa: E402
from ui import app as ui  # noqa: E402

from conftest import SEEDS  # noqa: E402

pytestmark = pytest.mark.slow

QUESTION = "重庆如何打造具有国际竞争力的数字产业集群？"


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    root = tmp_path_factory.mktemp("stop")
    shutil.copytree(SEEDS, root / "seeds")
    # the embedded model: its own token count shows where decoding ended (stopping a
    # llama-server slot is tested against the real server in test_llama_server_real.py)
    settings = Settings(embedder="hash", corpus_dir=str(root / "seeds"), index_dir=str(root / "index"),
                        generator="llama-cpp", max_tokens=64, model_server="embedded")
    b = ui.Backend(Assistant.load(settings)).start()
    assert b.wait(300) and not b.generator_error, b.status()
    return b


def _answer(backend, conv, stop_after: int | None):
    """Run one question through the chat handler; with stop_after, press stop once the
    reply has that many pieces. Returns (pieces seen, seconds from stop to the handler's end)."""
    updates = ui.respond(backend, QUESTION, conv, "llama-cpp", 5, "hybrid")
    pieces, stopped_at = 0, None
    for _, _, conv, _, _ in updates:
        turn = conv.turns[-1]
        pieces = len(turn.partial)
        if stop_after is not None and stopped_at is None and turn.partial and pieces >= stop_after:
            ui.stop_answer(conv)
            stopped_at = time.perf_counter()
    return conv.turns[-1], (time.perf_counter() - stopped_at) if stopped_at else None


def test_stop_ends_llama_decoding_and_frees_the_model(backend):
    gen = backend.assistant.generator("llama-cpp")
    full, _ = _answer(backend, ui.Conversation(), None)
    assert full.answer is not None and full.partial
    full_tokens = gen.last_usage["completion_tokens"]
    assert full_tokens >= 10, full_tokens  # a reply long enough to stop in the middle

    stopped, latency = _answer(backend, ui.Conversation(), 2)
    assert stopped.stopped and stopped.answer is None
    tokens = gen.last_usage["completion_tokens"]
    assert tokens < full_tokens / 2, (tokens, full_tokens)  # decoding ended where we stopped
    assert latency < 1.0, latency  # one token's time, not the rest of the answer
    print(f"stopped after {tokens} of {full_tokens} tokens; handler ended {latency * 1000:.0f} ms after stop")

    again, _ = _answer(backend, ui.Conversation(), None)  # the model's lock was released
    assert again.answer is not None
