"""The default generator: a GGUF model run in-process by llama-cpp-python.

With no `model_path` it uses the embedded Qwen2.5-Coder-1.5B-Instruct Q4_K_M,
assembled from PyPI part packages by rag.answering.generators.model_store. Any other GGUF file with
a chat template works through `settings.model_path`.

One llama.cpp context can run one generation at a time: a second caller would
corrupt the first one's KV cache. A per-model lock makes concurrent callers
(UI sessions, server threads) queue instead. The lock is held for the whole
stream, and released when the stream ends or its consumer closes it.

The context keeps the previous prompt's tokens, and llama-cpp-python re-evaluates
only the part of a new prompt after the longest shared prefix: every answering
prompt starts with the same fixed prefix (rag.answering.prompts.prefix_messages), so that
prefix is paid for once. (llama-cpp-python's state cache was measured here and
dropped: each saved state copies ~300 MB of logits and takes longer to save than
the prefix takes to evaluate. Prompts of another shape, such as condensing with
the model, cost one re-evaluation of the prefix afterwards.)

`stream(..., probe=[...])` records the probability that the reply starts with
each probe string (the softmax of the first sampled step, read by a logits
processor at no extra cost); rag.answering.refusal uses it for "the model would decline".
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ...errors import ConfigError, DependencyError, ModelError
from .base import Generator, Message


# prompt-lookup decoding in this process (llama_cpp.llama_speculative.LlamaPromptLookupDecoding):
# prompt_lookup = "auto" leaves it off. Measured (benchmarks/load.py --compare --embedded-lookup
# on, README): one user's answers in half the time, but 3 of 8 failed inside llama-cpp-python
# 0.3.36 (ValueError: could not broadcast input array ... in Llama.eval)
LOOKUP_DEFAULT = False
LOOKUP_TOKENS = 10


def lookup_on(settings) -> bool:
    return {"on": True, "off": False}.get(settings.prompt_lookup, LOOKUP_DEFAULT)


class LlamaCppGenerator(Generator):
    name = "llama-cpp"
    supports_probe = True

    def __init__(self, settings):
        super().__init__(settings)
        if settings.llama_threads < 1 or settings.llama_ctx < 256:
            raise ConfigError("llama_threads must be >= 1 and llama_ctx >= 256.")
        if settings.model_path and not Path(settings.model_path).expanduser().is_file():
            raise ConfigError(
                f"model_path {settings.model_path!r} is not a file. Point it at a .gguf model, "
                "or leave it empty to use the embedded Qwen2.5-Coder-1.5B-Instruct."
            )
        self._llm = None
        self._path: Path | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one generation at a time per loaded model
        self._usage = threading.local()  # per calling thread: concurrent callers each see their own
        self._checker: LlamaCppGenerator | None = None

    @property
    def last_usage(self) -> dict[str, int]:
        """Token counts of this thread's last generation (completion_tokens, context_tokens)."""
        return getattr(self._usage, "value", {})

    @property
    def model_file(self) -> Path:
        if self._path is None:
            if self.settings.model_path:
                self._path = Path(self.settings.model_path).expanduser()
            else:
                from .model_store import ensure_model

                self._path = ensure_model(self.settings)
        return self._path

    @property
    def description(self) -> str:
        return f"llama-cpp: {self._path.name if self._path else (self.settings.model_path or 'Qwen2.5-Coder-1.5B-Instruct Q4_K_M (embedded)')}"

    def warm_up(self) -> None:
        with self._load_lock:
            if self._llm is not None:
                return
            try:
                from llama_cpp import Llama
            except ImportError as e:
                raise DependencyError("llama-cpp-python", extra="llama", purpose="the llama-cpp generator") from e
            path = self.model_file
            draft = None
            if lookup_on(self.settings):
                # prompt-lookup decoding: draft tokens copied from the prompt, checked in one batch
                from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

                draft = LlamaPromptLookupDecoding(num_pred_tokens=LOOKUP_TOKENS)
            try:
                self._llm = Llama(
                    model_path=str(path),
                    n_ctx=self.settings.llama_ctx,
                    n_threads=self.settings.llama_threads,
                    n_batch=512,
                    flash_attn=True,  # measured: prompt evaluation ~5% faster on the 2-core AMD EPYC here
                    draft_model=draft,
                    verbose=bool(os.environ.get("RAG_LLAMA_VERBOSE")),
                )
            except (ValueError, RuntimeError, OSError) as e:
                raise ModelError(f"llama.cpp could not load {path}: {e}. Is it a valid GGUF file?") from e

    def checker(self) -> "LlamaCppGenerator":
        """A second Llama on the same model file for the answer check: its prompt shares
        nothing with the answering prompt, and in this context it would push the answering
        prefix out of the cache (the next question would evaluate the prefix again, seconds on
        a CPU). It is not free: llama.cpp repacks the weights for the CPU into memory of each
        Llama's own, so the process's proportional set size grows from 1.87 to 2.64 GB
        with the embedded model (benchmarks/check_memory.py; the file's mapped pages are shared)."""
        with self._load_lock:
            if self._checker is None:
                self._checker = LlamaCppGenerator(self.settings)
                self._checker._path = self.model_file
            return self._checker

    def _first_token_ids(self, probe: Sequence[str]) -> list[int]:
        ids = []
        for text in probe:
            toks = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            ids.append(toks[0] if toks else -1)
        return ids

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        probe: Sequence[str] | None = None,
    ) -> Iterator[str]:
        self.warm_up()
        max_tokens, temperature = self.sampling(max_tokens, temperature)
        with self._run_lock:
            llm = self._llm
            seen: dict[str, float] = {}
            processors = None
            if probe:
                from llama_cpp import LogitsProcessorList

                ids = self._first_token_ids(probe)

                def record_first_step(input_ids, scores):
                    if not seen:  # the first sampled step only
                        z = scores.astype(np.float64)
                        p = np.exp(z - z.max())
                        p /= p.sum()
                        for text, i in zip(probe, ids):
                            seen[text] = float(p[i]) if i >= 0 else 0.0
                    return scores

                processors = LogitsProcessorList([record_first_step])
            chunks = llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=stop,
                stream=True,
                logits_processor=processors,
            )
            produced: list[str] = []
            try:
                for chunk in chunks:
                    piece = chunk["choices"][0].get("delta", {}).get("content")
                    if piece:
                        produced.append(piece)
                        yield piece
            finally:
                chunks.close()  # a consumer that stops early must not leave llama.cpp mid-generation
                completion = len(llm.tokenize("".join(produced).encode("utf-8"), add_bos=False, special=True)) if produced else 0
                usage = {"completion_tokens": completion, "context_tokens": int(llm.n_tokens)}
                if probe:
                    usage["probe"] = dict(seen)
                self._usage.value = usage


def build_features() -> list[str]:
    """The CPU features the installed llama.cpp library was compiled for ("AVX2",
    "AVX512_VNNI", ...), from its system-info line: what benchmarks print beside their
    timings and what the set-up test compares with scripts/setup.sh's probe."""
    try:
        import llama_cpp
    except ImportError as e:
        raise DependencyError("llama-cpp-python", extra="llama", purpose="reading the llama.cpp build") from e
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    # "CPU : SSE3 = 1 | AVX2 = 1 | ... | REPACK = 1 |"
    return [part.split("=")[0].replace("CPU :", "").strip() for part in info.split("|") if part.strip().endswith("= 1")]
