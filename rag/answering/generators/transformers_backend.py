"""Any Hugging Face causal-LM checkpoint, by hub name or local folder, via transformers.

For a GPU machine, or one with hub access. On this CPU the default GGUF model is
far faster through llama.cpp (transformers measured 0.1 token/s on the same
model), so this backend is not the default.

The tokenizer's chat template formats the messages; generation runs in a worker
thread that feeds a TextIteratorStreamer, which this generator yields from.
The device is chosen automatically: CUDA when torch sees a GPU, else CPU.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from ...errors import ConfigError, DependencyError, ModelError
from .base import Generator, Message


class TransformersGenerator(Generator):
    name = "transformers"

    def __init__(self, settings):
        super().__init__(settings)
        if not settings.transformers_model:
            raise ConfigError(
                "The transformers generator needs a model: set transformers_model (or RAG_TRANSFORMERS_MODEL) "
                "to a Hugging Face checkpoint name or a local folder holding one."
            )
        self.model_name = settings.transformers_model
        self._model = None
        self._tokenizer = None
        self.device = ""
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # one generate() per model object at a time

    @property
    def description(self) -> str:
        return f"transformers: {self.model_name}" + (f" on {self.device}" if self.device else "")

    def warm_up(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            try:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as e:
                raise DependencyError("transformers", extra="transformers", purpose="the transformers generator") from e
            local = Path(self.model_name).expanduser()
            source = str(local) if local.exists() else self.model_name
            try:
                tokenizer = AutoTokenizer.from_pretrained(source)
                model = AutoModelForCausalLM.from_pretrained(source)
            except (OSError, ValueError) as e:
                where = "folder" if local.exists() else "name (the Hugging Face hub may be out of reach here)"
                raise ModelError(
                    f"transformers could not load the model {self.model_name!r} by {where}: {e}. "
                    "Give transformers_model a local folder with config.json, the weights and the tokenizer."
                ) from e
            if not getattr(tokenizer, "chat_template", None):
                raise ModelError(
                    f"The tokenizer of {self.model_name!r} has no chat template; use an instruction-tuned "
                    "checkpoint (or set tokenizer.chat_template in its tokenizer_config.json)."
                )
            self.device = "cuda" if torch.cuda.is_available() else "cpu"
            self._model = model.to(self.device).eval()
            self._tokenizer = tokenizer

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
        probe=None,  # first-token probabilities are not reported by this backend
    ) -> Iterator[str]:
        self.warm_up()
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tok, model = self._tokenizer, self._model
        max_tokens, temperature = self.sampling(max_tokens, temperature)
        inputs = tok.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.device)
        streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True, timeout=self.settings.request_timeout)
        kwargs = dict(
            **inputs,
            streamer=streamer,
            max_new_tokens=max_tokens,
            do_sample=temperature > 0,
            pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        )
        if temperature > 0:
            kwargs["temperature"] = temperature
        halt = threading.Event()  # set when the caller has enough (stop string, or closed the stream)

        class _Halt(StoppingCriteria):
            def __call__(self, input_ids, scores, **kw):
                return torch.full((input_ids.shape[0],), halt.is_set(), dtype=torch.bool, device=input_ids.device)

        kwargs["stopping_criteria"] = StoppingCriteriaList([_Halt()])
        errors: list[BaseException] = []

        def run() -> None:
            try:
                model.generate(**kwargs)
            except BaseException as e:  # surfaced to the caller below, not lost in the thread
                errors.append(e)
                streamer.end()

        with self._run_lock:
            worker = threading.Thread(target=run, name="transformers-generate", daemon=True)
            worker.start()
            produced = ""
            drained = False
            try:
                for piece in streamer:
                    if not piece:
                        continue
                    start = len(produced)
                    produced += piece
                    hits = [produced.find(s) for s in stop or () if s in produced]
                    if hits:
                        if min(hits) > start:
                            yield produced[start : min(hits)]
                        break
                    yield piece
                else:
                    drained = True
            finally:
                halt.set()
                if not drained:  # stopped early: empty the queue so generate() can finish
                    for _ in streamer:
                        pass
                worker.join()
        if errors:
            raise ModelError(f"transformers generation failed: {errors[0]}") from errors[0]
