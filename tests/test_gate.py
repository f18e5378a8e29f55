"""The line for the model (rag.answering.model_line) and how the Assistant uses it: evidence for every
caller at once, one generation at a time for a local model, each waiting caller told its
place, more at once for a batching server."""
import threading
import time

import pytest

from fakes import FakeGenerator
from rag.assistant import Assistant
from rag.errors import ConfigError
from rag.answering.model_line import Gate
from rag.answering.generators.extractive import ExtractiveGenerator
from rag.answering.generators.openai_compat import OpenAICompatGenerator

Q = "重庆公共数据资源体系的数据需求满足率是多少？"
REPLY = "重庆公共数据资源体系的数据需求满足率为95%[1]。"


def test_gate_admits_in_order_and_reports_places():
    gate = Gate(1)
    a, b, c = gate.enter(), gate.enter(), gate.enter()
    assert [gate.position(t) for t in (a, b, c)] == [0, 1, 2]
    assert gate.wait(a, 0) and not gate.wait(b, 0.01)
    gate.leave(c)  # gave up waiting: nobody behind b, and c never runs
    assert gate.waiting == 1 and gate.position(c) == 0
    gate.leave(a)
    assert gate.wait(b, 0) and gate.running == 1 and gate.waiting == 0
    gate.leave(b)
    gate.leave(b)  # leaving twice is harmless
    assert gate.running == 0


def test_gate_with_several_slots_and_without_a_limit():
    two = Gate(2)
    tickets = [two.enter() for _ in range(3)]
    assert [two.position(t) for t in tickets] == [0, 0, 1]
    free = Gate(None)
    assert all(free.wait(free.enter(), 0) for _ in range(50))
    with pytest.raises(ValueError):
        Gate(0)


class BlockingGenerator(FakeGenerator):
    """The fake, holding each generation until the test releases it (one release, one
    generation); counts how many run at once."""

    def __init__(self, reply):
        super().__init__(reply)
        self.release = threading.Semaphore(0)
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def stream(self, messages, **kwargs):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            assert self.release.acquire(timeout=10), "the test never released the generator"
            yield from super().stream(messages, **kwargs)
        finally:
            with self._lock:
                self.running -= 1


def _asker(assistant, log, name):
    def run():
        for event in assistant.ask_stream(Q, generator="slow"):
            log.append((name, event.kind, event.position, time.monotonic()))
    return threading.Thread(target=run, daemon=True)


def _wait_until(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def _callers(hash_settings, slots, n=3):
    assistant = Assistant.load(hash_settings.replace(generation_slots=slots))
    gen = BlockingGenerator(REPLY)
    assistant.register_generator(gen, "slow")
    log: list = []
    threads = [_asker(assistant, log, f"u{i}") for i in range(n)]
    return assistant, gen, log, threads


def test_one_generation_at_a_time_with_places_shown_and_evidence_for_all(hash_settings):
    assistant, gen, log, threads = _callers(hash_settings, slots=1)
    threads[0].start()
    _wait_until(lambda: gen.running == 1)
    threads[1].start()
    _wait_until(lambda: ("u1", "queue", 1) in [e[:3] for e in log])
    threads[2].start()
    _wait_until(lambda: ("u2", "queue", 2) in [e[:3] for e in log])
    # while the model is busy, every caller already has its evidence, and retrieval answers
    assert {name for name, kind, *_ in log if kind == "evidence"} == {"u0", "u1", "u2"}
    t0 = time.monotonic()
    assert assistant.retrieve("平台经济", k=3) and time.monotonic() - t0 < 1.0
    gen.release.release()
    # the first answer is out: the second caller generates, the third moves up to first in line
    _wait_until(lambda: ("u2", "queue", 1) in [e[:3] for e in log])
    gen.release.release(2)
    for t in threads:
        t.join(10)
    assert gen.most == 1
    answers = [e for e in log if e[1] == "answer"]
    assert [e[0] for e in answers] == ["u0", "u1", "u2"]  # first come, first served
    assert [e[2] for e in log if e[0] == "u2" and e[1] == "queue"] == [2, 1]


def test_a_batching_backend_runs_several_at_once(hash_settings):
    assistant, gen, log, threads = _callers(hash_settings, slots=2)
    for t in threads:
        t.start()
    _wait_until(lambda: gen.running == 2 and any(kind == "queue" for _, kind, *_ in log))
    assert [e[2] for e in log if e[1] == "queue"] == [1]
    gen.release.release(3)
    for t in threads:
        t.join(10)
    assert gen.most == 2 and len([e for e in log if e[1] == "answer"]) == 3


def test_slots_default_from_the_backend(hash_settings):
    assistant = Assistant.load(hash_settings)
    assert assistant.gate("extractive").slots is None
    assert OpenAICompatGenerator.concurrency == 4 and ExtractiveGenerator.concurrency is None
    fake = FakeGenerator(REPLY)
    assistant.register_generator(fake, "fake")
    assert assistant.gate("fake").slots == 1  # a model in this process: one at a time
    with pytest.raises(ConfigError):
        hash_settings.replace(generation_slots=-1)


def test_a_caller_who_stops_reading_gives_its_place_back(hash_settings):
    assistant, gen, log, threads = _callers(hash_settings, slots=1, n=1)
    threads[0].start()
    _wait_until(lambda: gen.running == 1)
    waiting = assistant.ask_stream(Q, generator="slow")
    kinds = []
    for event in waiting:
        kinds.append(event.kind)
        if event.kind == "queue":
            break
    waiting.close()  # a closed browser tab
    gate = assistant.gate("slow")
    assert kinds[-1] == "queue" and gate.waiting == 0
    gen.release.release(2)
    threads[0].join(10)
    assert gate.running == 0
    answer = list(assistant.ask_stream(Q, generator="slow"))[-1].answer
    assert answer.timings["queue_wait"] < 1.0


def _second_caller_behind_an_answer(assistant, gen, question, history=None) -> list[tuple]:
    """Caller "first" asks Q and holds the one slot; caller "second" then asks `question`
    (with `history`). Checks that the second caller's model step waits in line (no prompt
    reaches the model, no status is shown, until it is admitted), then lets the three
    generations run (the first answer, the second caller's model step, its answer) and
    returns the second caller's events as (kind, position, text)."""
    log: list = []

    def ask(q, name, past=None):
        def run():
            for event in assistant.ask_stream(q, generator="slow", session=name, history=past):
                log.append((name, event.kind, event.position, event.text))
        return threading.Thread(target=run, daemon=True)

    first, second = ask(Q, "first"), ask(question, "second", history)
    first.start()
    _wait_until(lambda: gen.running == 1)
    second.start()
    _wait_until(lambda: ("second", "queue", 1) in [e[:3] for e in log])
    # in line: the model is not working for this caller behind the other caller's back
    assert gen.running == 1 and len(gen.prompts) == 0
    assert not [e for e in log if e[0] == "second" and e[1] == "status"]
    gen.release.release(3)
    for t in (first, second):
        t.join(10)
    assert gen.most == 1 and assistant.gate("slow").running == 0 and assistant.gate("slow").waiting == 0
    return [e[1:] for e in log if e[0] == "second"]


def _admitted_once_before(events: list[tuple], status: str) -> None:
    kinds = [kind for kind, _, _ in events]
    assert kinds.index("queue") < kinds.index("status") < kinds.index("answer")
    assert kinds.count("queue") == 1  # admitted once: no second wait before the answer
    assert [text for kind, _, text in events if kind == "status"] == [status]


def test_an_english_questions_rendering_waits_in_line_and_keeps_its_turn(hash_settings):
    """The Chinese rendering of an English question (rag.answering.translate) is a model
    call: it queues like an answer instead of slipping past the line, and the turn it
    gets is kept for the answer, so the caller waits once."""
    english = "What share of data requests does Chongqing's public data system meet?"
    rendering = "重庆公共数据资源体系的数据需求满足率是多少？"
    assistant = Assistant.load(hash_settings.replace(generation_slots=1))
    gen = BlockingGenerator([REPLY, rendering, "\"95%\" [1]."])
    assistant.register_generator(gen, "slow")
    _admitted_once_before(_second_caller_behind_an_answer(assistant, gen, english), rendering)


def test_a_follow_up_condensed_by_the_model_waits_in_line_and_keeps_its_turn(hash_settings):
    """With condense = "model" the rewrite of a follow-up is a model call: it queues like an
    answer (it used to run past the line, two generations at once on one slot), and the
    turn it gets is kept for the answer."""
    follow_up, rewrite = "那数据安全方面呢？", "重庆公共数据资源体系在数据安全方面有哪些措施？"
    assistant = Assistant.load(hash_settings.replace(generation_slots=1, condense="model"))
    gen = BlockingGenerator([REPLY, rewrite, "依托数据脱敏、隐私计算等技术保障数据安全[1]。"])
    assistant.register_generator(gen, "slow")
    events = _second_caller_behind_an_answer(assistant, gen, follow_up, history=[(Q, REPLY)])
    _admitted_once_before(events, rewrite)
