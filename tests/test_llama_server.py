"""rag serve's model server (rag.answering.generators.llama_server) against a fake llama-server
(tests/fake_llama_server.py): start and health check, a clear error when the program is
missing or will not start, restart after a kill, an answer cut by the restart told apart,
a stop that hangs up at once (also while the server is still reading the prompt), the
refusal probe read from log-probabilities, and one model slot per browser session."""
from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from rag import Settings
from rag.answering.generators.llama_server import (LlamaServer, LlamaServerGenerator, ServerRestartedError,
                                                   find_binary, lookup_on)
from rag.answering.model_line import Gate
from rag.errors import BackendUnavailableError, ConfigError, ModelError

FAKE = Path(__file__).resolve().parent / "fake_llama_server.py"
MESSAGES = [{"role": "user", "content": "问题"}]


def fake(tmp_path, *extra: str, **kw) -> LlamaServer:
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    return LlamaServer(settings, command=[sys.executable, str(FAKE), "--port", "{port}", *extra],
                       startup_timeout=kw.pop("startup_timeout", 20), check_every=0.1, **kw)


def stats(server: LlamaServer) -> dict:
    return httpx.get(f"{server.base_url}/stats", timeout=5).json()


def wait_until(check, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_settings_check_model_server_and_prompt_lookup():
    assert Settings().model_server == "auto"  # rag serve: llama-server when built, else embedded
    assert Settings(model_server="llama-server").model_server == "llama-server"
    with pytest.raises(ConfigError, match="model_server must be auto, embedded or llama-server"):
        Settings(model_server="vllm")
    with pytest.raises(ConfigError, match="prompt_lookup"):
        Settings(prompt_lookup="maybe")
    assert lookup_on(Settings(prompt_lookup="on")) and not lookup_on(Settings(prompt_lookup="off"))


def test_a_missing_program_names_the_setup_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no llama-server on PATH either
    with pytest.raises(ModelError, match="scripts/setup.sh llama-server"):
        find_binary(Settings(cache_dir=str(tmp_path)))
    with pytest.raises(ModelError, match="scripts/setup.sh llama-server"):
        find_binary(Settings(cache_dir=str(tmp_path), llama_server_path=str(tmp_path / "nope")))
    built = tmp_path / "bin" / "llama-server"
    built.parent.mkdir()
    built.write_text("#!/bin/sh\n")
    built.chmod(0o755)
    assert find_binary(Settings(cache_dir=str(tmp_path))) == built


def test_the_real_command_has_slots_batching_and_cache_reuse(tmp_path):
    built = tmp_path / "bin" / "llama-server"
    built.parent.mkdir()
    built.write_text("#!/bin/sh\n")
    built.chmod(0o755)
    s = Settings(cache_dir=str(tmp_path), generation_slots=3, llama_ctx=2048)
    cmd = LlamaServer(s, tmp_path / "m.gguf").command()
    joined = " ".join(cmd)
    # three answering slots and one for the answer check, each with the embedded path's context
    assert cmd[0] == str(built) and "--parallel 4" in joined and "--cont-batching" in joined
    assert "--ctx-size 8192" in joined and "--cache-reuse" in joined and "--host 127.0.0.1" in joined
    assert "--spec-type" not in joined
    unchecked = " ".join(LlamaServer(s.replace(check_answers=False), tmp_path / "m.gguf").command())
    assert "--parallel 3" in unchecked and "--ctx-size 6144" in unchecked  # no slot kept for a check
    assert "--spec-type ngram-simple" in " ".join(LlamaServer(s, tmp_path / "m.gguf", lookup=True).command())
    assert LlamaServer(Settings(cache_dir=str(tmp_path)), tmp_path / "m.gguf").slots == 4  # 0 = the default


def test_answers_keep_to_their_own_slots_and_the_answer_check_to_the_extra_one(tmp_path):
    # the check's prompt shares nothing with the answering prompt: in an answering slot it
    # pushed the fixed prefix out of that slot's cache (the next answer there read it again)
    with fake(tmp_path, "--delay", "0.2", slots=2) as server:
        gen = LlamaServerGenerator(server.settings, server)
        checker = gen.checker()
        assert checker is gen.checker() and checker.concurrency == 1 and gen.concurrency == 2
        assert server.check_slot == 2
        # two answers at once take the two answering slots, one each
        both = [threading.Thread(target=gen.complete, args=(MESSAGES,), kwargs={"max_tokens": 3}) for _ in range(2)]
        for t in both:
            t.start()
        assert wait_until(lambda: stats(server)["active"] == 2)
        for t in both:
            t.join(10)
        assert sorted(r["id_slot"] for r in stats(server)["requests"]) == [0, 1]
        checker.complete(MESSAGES, max_tokens=1, probe=["是", "否"])
        gen.complete(MESSAGES, max_tokens=1)
        slots = [r["id_slot"] for r in stats(server)["requests"]]
        assert slots[2] == 2 and slots[3] in (0, 1)  # the check on its slot; the next answer on one of theirs


def test_starts_waits_for_health_and_stops(tmp_path):
    server = fake(tmp_path, "--load-seconds", "0.5")
    t0 = time.monotonic()
    server.start()
    assert time.monotonic() - t0 >= 0.4  # waited for the model to "load"
    assert server.alive() and server.healthy()
    pid = server.pid
    server.stop()
    assert not server.alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_server_that_will_not_start_gives_its_log(tmp_path):
    server = fake(tmp_path, "--exit-at-once", startup_timeout=10)
    with pytest.raises(BackendUnavailableError, match="failed to load model"):
        server.start()
    assert not server.alive()


def test_killed_server_is_restarted_and_answers_again(tmp_path):
    with fake(tmp_path) as server:
        gen = LlamaServerGenerator(server.settings, server)
        assert gen.complete(MESSAGES, max_tokens=3) == "第0段第1段第2段"
        first = server.pid
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: server.pid != first and server.healthy())
        assert server.restarts == 1 and server.generation == 2
        assert gen.complete(MESSAGES, max_tokens=2) == "第0段第1段"


def test_an_answer_cut_by_a_restart_says_so_and_the_next_one_works(tmp_path):
    with fake(tmp_path, "--delay", "0.1") as server:
        gen = LlamaServerGenerator(server.settings, server)
        stream = gen.stream(MESSAGES, max_tokens=20)
        assert next(stream) == "第0段"
        os.kill(server.pid, signal.SIGKILL)
        with pytest.raises(ServerRestartedError, match="ask again"):
            list(stream)
        assert gen.complete(MESSAGES, max_tokens=2) == "第0段第1段"  # waits for the new server


def test_stop_hangs_up_at_once_while_the_server_reads_the_prompt(tmp_path):
    with fake(tmp_path, "--think", "5") as server:
        gen = LlamaServerGenerator(server.settings, server)
        cancel = threading.Event()
        got: list[str] = []
        done = threading.Event()

        def consume():
            got.extend(gen.stream(MESSAGES, max_tokens=20, cancel=cancel))
            done.set()

        threading.Thread(target=consume, daemon=True).start()
        assert wait_until(lambda: stats(server)["active"] == 1)
        t0 = time.monotonic()
        cancel.set()
        assert done.wait(2.0)
        assert time.monotonic() - t0 < 1.5 and got == []  # not the 5 s the server "thinks"
        assert wait_until(lambda: stats(server)["hung_up"] == 1, 2.0)  # the server saw the client leave
        assert stats(server)["active"] == 0


def test_stop_during_decoding_frees_the_slot(tmp_path):
    with fake(tmp_path, "--delay", "0.2") as server:
        gen = LlamaServerGenerator(server.settings, server)
        cancel = threading.Event()
        stream = gen.stream(MESSAGES, max_tokens=20, cancel=cancel)
        assert next(stream) == "第0段"
        cancel.set()
        assert list(stream) in ([], ["第1段"])  # at most a piece already on its way
        assert wait_until(lambda: stats(server)["hung_up"] == 1, 2.0)


def test_the_refusal_probe_comes_from_the_first_tokens_logprobs(tmp_path):
    with fake(tmp_path) as server:
        gen = LlamaServerGenerator(server.settings, server)
        assert gen.supports_probe and gen.concurrency == server.slots
        text = "".join(gen.stream(MESSAGES, max_tokens=4, probe=["资料未提及"]))
        assert text.startswith("第0段")
        usage = gen.last_usage
        assert usage["probe"]["资料未提及"] == pytest.approx(0.25)
        assert usage["completion_tokens"] == 4 and usage["context_tokens"] == 49
        sent = stats(server)["requests"][-1]
        assert sent["logprobs"] is True and sent["top_logprobs"] == LlamaServerGenerator.TOP_LOGPROBS


def test_one_session_holds_one_slot_and_others_go_ahead():
    gate = Gate(slots=2)
    a1 = gate.enter(owner="alice")
    a2 = gate.enter(owner="alice")  # the same browser, in parallel
    b1 = gate.enter(owner="bob")
    assert a1.admitted and not a2.admitted and b1.admitted  # bob passed alice's second request
    assert gate.position(a2) == 1
    gate.leave(b1)
    assert not a2.admitted  # a free slot, but alice still holds one
    gate.leave(a1)
    assert a2.admitted
    gate.leave(a2)
    assert gate.running == 0 and gate.waiting == 0
    anonymous = [gate.enter(), gate.enter()]  # no owner: as before
    assert all(t.admitted for t in anonymous)


def test_page_falls_back_to_extractive_when_the_server_will_not_start(tmp_path, corpus_dir, monkeypatch):
    pytest.importorskip("gradio")
    from rag import Assistant
    from ui import app as ui

    monkeypatch.setenv("PATH", str(tmp_path))
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    settings = Settings(embedder="hash", corpus_dir=str(corpus_dir), index_dir=str(tmp_path / "index"),
                        cache_dir=str(tmp_path / "cache"), model_server="llama-server", model_path=str(model))
    backend = ui.Backend(Assistant.load(settings)).start()
    assert backend.wait(60)
    assert backend.fallback and "scripts/setup.sh llama-server" in backend.status()
    assert "extractive" in backend.status()
    *_, (_, _, conv, _, _) = ui.respond(backend, "重庆公共数据资源体系的数据需求满足率是多少？", None, "llama-cpp", 5, "hybrid")
    turn = conv.turns[-1]
    assert turn.evidence and turn.answer is not None and not turn.error
    assert turn.answer.generator == "extractive"


def test_the_page_stop_button_reaches_the_running_answer(tmp_path):
    pytest.importorskip("gradio")
    from ui import app as ui

    backend = ui.Backend(Settings(cache_dir=str(tmp_path)))
    event = backend.running("s1")
    other = backend.running("s2")
    ui.stop_answer(ui.Conversation(), backend, "s1")
    assert event.is_set() and not other.is_set()
    backend.finished("s1", event)
    assert backend.cancel("s1") == 0


def test_after_the_server_keeps_dying_the_page_answers_extractively_and_says_so(tmp_path, corpus_dir, monkeypatch):
    pytest.importorskip("gradio")
    from rag import Assistant
    from rag.answering.generators import llama_server
    from ui import app as ui

    started: list[LlamaServer] = []

    def start_fake(settings):
        server = fake(tmp_path)
        started.append(server.start())
        return LlamaServerGenerator(settings, server)

    monkeypatch.setattr(llama_server, "start_llama_server", start_fake)
    settings = Settings(embedder="hash", corpus_dir=str(corpus_dir), index_dir=str(tmp_path / "index"),
                        cache_dir=str(tmp_path / "cache"), model_server="llama-server")
    backend = ui.Backend(Assistant.load(settings)).start()
    try:
        assert backend.wait(60) and not backend.fallback
        server = started[0]
        assert backend.assistant.generator("llama-cpp").name == "llama-cpp"  # the fake server's generator
        for _ in range(6):  # six exits within a minute: the watchdog stops restarting it
            assert wait_until(lambda: server.alive() and server.healthy(), 20)
            pid = server.pid
            os.kill(pid, signal.SIGKILL)
            assert wait_until(lambda: server.pid != pid, 20)
        assert wait_until(lambda: backend.fallback, 20)
        assert "6 times within a minute" in server.error and not server.alive()
        assert "unavailable" in backend.status() and "extractive" in backend.status()
        *_, (_, _, conv, _, note) = ui.respond(backend, "重庆公共数据资源体系的数据需求满足率是多少？", None, "llama-cpp", 5,
                                               "hybrid")
        turn = conv.turns[-1]
        assert turn.evidence and turn.answer is not None and not turn.error
        assert turn.answer.generator == "extractive" and turn.answer.text
        assert "model server is unavailable" in note
    finally:
        backend.stop()


def test_auto_uses_llama_server_when_built_and_the_embedded_model_otherwise(tmp_path, corpus_dir, monkeypatch):
    pytest.importorskip("gradio")
    from rag import Assistant
    from rag.answering.generators import llama_server
    from ui import app as ui

    monkeypatch.setenv("PATH", str(tmp_path))  # no llama-server on PATH
    started: list[LlamaServer] = []

    def start_fake(settings, *extra):
        server = fake(tmp_path, *extra)
        started.append(server)
        server.start()
        return LlamaServerGenerator(settings, server)

    base = dict(embedder="hash", corpus_dir=str(corpus_dir), index_dir=str(tmp_path / "index"),
                cache_dir=str(tmp_path / "cache"))
    assistant = Assistant.load(Settings(**base))
    # not built: the model stays in this process, no fallback, no error, nothing started
    monkeypatch.setattr(llama_server, "start_llama_server", start_fake)
    backend = ui.Backend(assistant.__class__(Settings(**base), assistant.index, assistant.embedder))
    backend._start_model_server(required=False)
    assert not started and backend.model_server is None and not backend.fallback and not backend.generator_error
    assert type(backend.assistant.generator("llama-cpp")).__name__ == "LlamaCppGenerator"
    # built (llama_server_path names an executable): llama-server answers "llama-cpp"
    built = Settings(**base, llama_server_path=sys.executable)
    backend = ui.Backend(assistant.__class__(built, assistant.index, assistant.embedder))
    backend._start_model_server(required=False)
    try:
        assert len(started) == 1 and backend.model_server is started[0]
        assert isinstance(backend.assistant.generator("llama-cpp"), LlamaServerGenerator)
    finally:
        backend.stop()
    # built but it will not start: still the model in this process, not the extractive answer
    monkeypatch.setattr(llama_server, "start_llama_server", lambda s: start_fake(s, "--exit-at-once"))
    backend = ui.Backend(assistant.__class__(built, assistant.index, assistant.embedder))
    backend._start_model_server(required=False)
    assert len(started) == 2 and not started[1].alive()
    assert backend.model_server is None and not backend.fallback
    assert type(backend.assistant.generator("llama-cpp")).__name__ == "LlamaCppGenerator"


def test_a_stream_waiting_for_a_busy_slot_can_be_stopped_and_gives_up_with_a_clear_error(tmp_path):
    # a Python API caller streaming more answers at once than the generator has slots: the extra
    # one waits for a slot, and neither waits past a stop nor for ever
    with fake(tmp_path, "--think", "3", slots=1) as server:
        gen = LlamaServerGenerator(server.settings.replace(request_timeout=1.0), server)
        stop_busy = threading.Event()
        busy = threading.Thread(target=lambda: list(gen.stream(MESSAGES, max_tokens=2, cancel=stop_busy)), daemon=True)
        busy.start()
        assert wait_until(lambda: stats(server)["active"] == 1)

        def waited(**kw) -> tuple[list | Exception, float]:
            # run in a thread joined with a bound: a wait that never ends fails here, not hangs
            out: list = []
            t0 = time.monotonic()

            def run():
                try:
                    out.append(list(gen.stream(MESSAGES, max_tokens=2, **kw)))
                except Exception as e:  # noqa: BLE001 - the error is what is checked
                    out.append(e)
            t = threading.Thread(target=run, daemon=True)
            t.start()
            t.join(5)
            assert out, "the stream kept waiting for a slot"
            return out[0], time.monotonic() - t0

        cancel = threading.Event()
        threading.Timer(0.2, cancel.set).start()
        got, took = waited(cancel=cancel)
        assert got == [] and took < 0.8  # stopped while waiting: nothing asked, nothing said
        got, took = waited()
        assert isinstance(got, BackendUnavailableError) and 0.9 < took < 2.5
        assert re.search(r"1 slot\(s\).*busy for 1 s.*generation_slots", str(got))
        assert stats(server)["active"] == 1 and len(stats(server)["requests"]) == 1  # neither was sent
        stop_busy.set()
        busy.join(5)
        assert not busy.is_alive()
