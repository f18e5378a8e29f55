"""Batch evaluation: run every gold question through the Assistant, score it, and write a
report; an interrupted run resumes where it stopped.

    items = load_gold("evals/gold.jsonl")
    report = run_eval(assistant, items, out_dir="evals/runs/x", generator="extractive")
    compare_reports("evals/runs/a/report.json", "evals/runs/b/report.json")

Files written in out_dir:
    rows.jsonl    first line {"config": ...}, then one row per finished question, appended as
                  it finishes; it is what lets an interrupted run resume
    report.json   {"config", "summary", "rows"}
    report.md     the summary table, then the failures with what was retrieved and answered

The pieces live in their own modules (gold format: .gold; scoring and the summary: .scoring;
report.md, reading and comparing reports: .reports); their public names are re-exported here,
where callers have always imported them from.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .._files import write_text
from ..config import check as check_options
from ..errors import ConfigError
from .gold import GoldFileError, GoldItem, gold_fingerprint, load_gold, parse_gold_item  # noqa: F401
from .reports import (  # noqa: F401
    compare_reports, failure_reasons, fmt, format_comparison, load_report, render_markdown, summary_table,
)
from .scoring import (  # noqa: F401
    HIT_KS, NDCG_K, RETRIEVAL_MODES, evaluate_one, retrieval_by_mode, score_row, summarize, support_counter,
)

Progress = Callable[[int, int, dict], None]
Log = Callable[[str], None]

REPORT_VERSION = 1


# ---------------------------------------------------------------------- the runner
# Settings that cannot change an answer (or must not be written to a report) stay out of the
# config a resumed run is checked against.
_NOT_CONFIG = {"openai_api_key", "cache_dir", "request_timeout", "auto_rebuild", "llama_threads",
               "embed_threads", "embed_batch_size", "server_host", "server_port",
               "generator", "retrieval", "k", "corpus_dir", "index_dir", "feedback_path"}


def run_config(assistant, items: Sequence[GoldItem], *, generator: str | None, k: int | None,
               retrieval: str | None, source: str) -> dict[str, Any]:
    """Everything that changes the answers. Resuming is only allowed when it all matches."""
    s = assistant.settings
    gen_name = generator or s.generator
    try:
        gen_desc = assistant.generator(gen_name).description
    except Exception:  # noqa: BLE001 - an unloadable generator fails per question, visibly
        gen_desc = gen_name
    return {
        "gold": source,
        "gold_fingerprint": gold_fingerprint(items),
        "generator": gen_name,
        "generator_description": gen_desc,
        "k": k or s.k,
        "retrieval": retrieval or s.retrieval,
        "embedder": getattr(assistant.embedder, "key", s.embedder),
        "corpus_hash": _corpus_hash(assistant),
        "code": code_fingerprint(),
        "settings": {f: v for f, v in sorted(asdict(s).items()) if f not in _NOT_CONFIG},
    }


def code_fingerprint() -> str:
    """A hash of the package's code and shipped data (the fitted refusal decisions, the
    term table): rows answered by other code are not resumed into a new report."""
    package = Path(__file__).resolve().parent.parent  # the whole rag package
    h = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json", ".tsv") and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(package)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _corpus_hash(assistant) -> str | None:
    index = getattr(assistant, "index", None)
    for obj in (index, getattr(index, "manifest", None)):
        value = obj.get("corpus_hash") if isinstance(obj, dict) else getattr(obj, "corpus_hash", None)
        if value:
            return str(value)
    return None


def _read_previous(path: Path, config: dict, log: Log) -> dict[str, dict] | None:
    """Finished rows of an earlier run with the same config, by id; None = start over."""
    if not path.is_file():
        return None
    rows: dict[str, dict] = {}
    with path.open(encoding="utf-8") as f:
        header = f.readline()
        try:
            old = json.loads(header)["config"]
        except (json.JSONDecodeError, KeyError, TypeError):
            log(f"{path} has no readable header; starting over.")
            return None
        if old != config:
            changed = sorted(k for k in set(old) | set(config) if old.get(k) != config.get(k))
            log(f"The configuration changed since the last run in {path.parent} ({', '.join(changed)}); starting over.")
            return None
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # the line being written when the run was killed
            if isinstance(row, dict) and "id" in row and not row.get("error"):
                rows[row["id"]] = row  # failed questions are asked again: errors may be transient
    return rows


def run_eval(
    assistant,
    gold: str | os.PathLike | Sequence[GoldItem],
    *,
    out_dir: str | os.PathLike,
    generator: str | None = None,
    k: int | None = None,
    retrieval: str | None = None,
    resume: bool = True,
    limit: int | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
) -> dict[str, Any]:
    """Evaluate every gold question (the first `limit` of them) and write the report files.

    progress(done, total, row) is called after each question, including ones taken from
    an earlier interrupted run. log(message) receives notes such as "starting over"."""
    log = log or (lambda msg: None)
    if isinstance(gold, (str, os.PathLike)):
        source, items = str(gold), load_gold(gold)
    else:
        source, items = "<in memory>", list(gold)
        if not all(isinstance(i, GoldItem) for i in items):
            raise ConfigError("gold must be a path or a list of GoldItem (see rag.evaluation.runner.load_gold).")
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"limit must be at least 1 (got {limit}).")
        items = items[:limit]
    check_options({"k": k} if k is not None else {})
    if not items:
        raise ConfigError("There are no gold questions to evaluate.")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = run_config(assistant, items, generator=generator, k=k, retrieval=retrieval, source=source)
    rows_path = out / "rows.jsonl"
    previous = (_read_previous(rows_path, config, log) if resume else None) or {}
    if previous:
        log(f"Resuming: {sum(1 for i in items if i.id in previous)} of {len(items)} questions already done.")
    # Rewrite the file with only the rows kept: drops a line cut off by a kill (which the next
    # append would otherwise run into) and failed rows that are about to be asked again.
    _write_atomic(rows_path, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in [{"config": config}, *previous.values()]))

    n_relevant = support_counter(assistant)
    started = time.time()
    rows: list[dict] = []
    with rows_path.open("a", encoding="utf-8") as sink:
        for done, item in enumerate(items, 1):
            row = previous.get(item.id)
            if row is None:
                row = evaluate_one(assistant, item, generator=config["generator"], k=config["k"],
                                   retrieval=config["retrieval"], n_relevant=n_relevant(item))
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                sink.flush()  # a killed run keeps every finished question
            rows.append(row)
            if progress:
                progress(done, len(items), row)

    report = {
        "version": REPORT_VERSION,
        "config": {**config, "limit": limit, "resumed_rows": sum(1 for i in items if i.id in previous),
                   "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "seconds": round(time.time() - started, 1)},
        "summary": summarize(rows),
        "retrieval_modes": retrieval_by_mode(assistant, items, config["k"]),
        "rows": rows,
    }
    _write_atomic(out / "report.json", json.dumps(report, ensure_ascii=False, indent=2))
    _write_atomic(out / "report.md", render_markdown(report))
    _write_charts(report, out, log)
    return report


def _write_charts(report: dict, out: Path, log: Log) -> None:
    from .charts import write_charts
    from ..errors import DependencyError

    try:
        write_charts([report], out)
    except DependencyError as e:
        log(f"No charts: {e}")


def _write_atomic(path: Path, text: str) -> None:
    write_text(path, text + ("" if text.endswith("\n") else "\n"))


