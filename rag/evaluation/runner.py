"""Batch evaluation: load a gold QA file, run every question through the Assistant,
score it, and write a report.

    items = load_gold("evals/gold.jsonl")
    report = run_eval(assistant, items, out_dir="evals/runs/x", generator="extractive")
    compare_reports("evals/runs/a/report.json", "evals/runs/b/report.json")

Files written in out_dir:
    rows.jsonl    first line {"config": ...}, then one row per finished question, appended as
                  it finishes; it is what lets an interrupted run resume
    report.json   {"config", "summary", "rows"}
    report.md     the summary table, then the failures with what was retrieved and answered

Metric definitions live in rag.evaluation.metrics; this module decides which questions each metric
is averaged over (see `summarize`).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import metrics as M
from ..ingest.corpus import reading_text
from .._files import write_text
from ..config import RETRIEVAL_MODES, check as check_options
from ..errors import ConfigError

Progress = Callable[[int, int, dict], None]
Log = Callable[[str], None]

HIT_KS = (1, 3, 5)
NDCG_K = 5
REPORT_VERSION = 1


class GoldFileError(ConfigError):
    """The gold file is missing or does not follow the documented format."""


# ---------------------------------------------------------------------- gold set
@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]  # verbatim corpus substrings; a passage containing one supports
    answerable: bool
    lang: str = "zh"
    # Optional extension of the format: chunk ids that count as support whatever their text
    # (CMRC: the paragraph the question was asked on). Empty for the project's own gold set.
    evidence_chunks: tuple[str, ...] = ()

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence or self.evidence_chunks)

    def supported_by(self, chunk_id: str, text: str) -> bool:
        return chunk_id in self.evidence_chunks or M.supports(text, self.evidence)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("answers", "evidence", "evidence_chunks"):
            d[key] = list(d[key])
        if not self.evidence_chunks:
            del d["evidence_chunks"]
        return d


def _str_list(obj: dict, key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GoldFileError(f"{where}: '{key}' must be a list of strings, got {value!r}.")
    return tuple(value)


def parse_gold_item(obj: Any, where: str = "gold item") -> GoldItem:
    """Validate one decoded gold object; `where` (file:line) goes into every error message."""
    if not isinstance(obj, dict):
        raise GoldFileError(f"{where}: expected a JSON object like {{\"id\": ..., \"question\": ...}}, got {type(obj).__name__}.")
    missing = [k for k in ("id", "question", "answerable") if k not in obj]
    if missing:
        raise GoldFileError(f"{where}: missing field(s) {', '.join(missing)}. Each line needs id, question, answers, evidence, answerable.")
    if obj.get("reviewed") is False:
        raise GoldFileError(f"{where}: this line is an unreviewed candidate (\"reviewed\": false, from "
                            "`rag feedback export`). Check it as its \"review\" note says, then remove the flag.")
    qid, question, answerable = obj["id"], obj["question"], obj["answerable"]
    if not isinstance(qid, (str, int)) or isinstance(qid, bool) or not str(qid).strip():
        raise GoldFileError(f"{where}: 'id' must be a non-empty string, got {qid!r}.")
    if not isinstance(question, str) or not question.strip():
        raise GoldFileError(f"{where}: 'question' must be a non-empty string.")
    if not isinstance(answerable, bool):
        raise GoldFileError(f"{where}: 'answerable' must be true or false, got {answerable!r}.")
    answers = _str_list(obj, "answers", where)
    evidence = _str_list(obj, "evidence", where)
    chunks = _str_list(obj, "evidence_chunks", where)
    if answerable and not answers:
        raise GoldFileError(f"{where}: an answerable question needs at least one entry in 'answers'.")
    if not answerable and (answers or evidence or chunks):
        raise GoldFileError(f"{where}: an unanswerable question ('answerable': false) must have empty 'answers' and 'evidence'.")
    lang = obj.get("lang") or M.text_lang(question)
    if not isinstance(lang, str):
        raise GoldFileError(f"{where}: 'lang' must be a string such as \"zh\" or \"en\".")
    return GoldItem(str(qid), question.strip(), answers, evidence, answerable, lang, chunks)


def load_gold(path: str | os.PathLike) -> list[GoldItem]:
    """Read a gold JSONL file (one object a line; blank lines skipped) and validate it."""
    p = Path(path)
    if not p.is_file():
        raise GoldFileError(f"Gold file {p} does not exist. Pass a JSONL file such as evals/gold.jsonl.")
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise GoldFileError(f"Gold file {p} is not UTF-8 text ({e}). Save it as UTF-8.") from e
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{p}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise GoldFileError(f"{where}: not valid JSON ({e.msg} at column {e.colno}). Each line must be one JSON object.") from e
        item = parse_gold_item(obj, where)
        if item.id in seen:
            raise GoldFileError(f"{where}: duplicate id {item.id!r} (first used on line {seen[item.id]}). Ids must be unique.")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise GoldFileError(f"Gold file {p} holds no questions.")
    return items


def gold_fingerprint(items: Sequence[GoldItem]) -> str:
    blob = json.dumps([i.to_dict() for i in items], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------- one question
def _support_counter(assistant) -> Callable[[GoldItem], int | None]:
    """How many corpus passages support an item (the ideal ranking for nDCG), when the
    index exposes its chunks; otherwise None and nDCG falls back to what was retrieved."""
    chunks = getattr(getattr(assistant, "index", None), "chunks", None)
    if not chunks:
        return lambda item: None
    return lambda item: sum(1 for c in chunks if item.supported_by(c.id, reading_text(c)))


def score_row(item: GoldItem, retrieved: list[dict], answer: str, refused: bool,
              citations: list[dict], n_relevant: int | None = None,
              shown_evidence: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-question scores; a metric that does not apply to the question (retrieval without
    evidence, answer scores for an unanswerable question) is left out."""
    rel = [r["supports"] for r in retrieved]
    scores: dict[str, Any] = {"refusal_correct": refused == (not item.answerable)}
    if item.answerable and item.has_evidence:
        for k in HIT_KS:
            scores[f"hit@{k}"] = M.hit_at_k(rel, k)
        scores["rr"] = M.reciprocal_rank(rel)
        scores[f"ndcg@{NDCG_K}"] = M.ndcg_at_k(rel, NDCG_K, n_relevant)
    if item.answerable:
        text = "" if refused else answer  # a refusal never earns answer credit
        scores["em"] = M.exact_match(text, item.answers)
        scores["f1"] = M.f1_score(text, item.answers)
        scores["contains"] = M.contains(text, item.answers)
        if item.has_evidence:
            scores["citations_supported"] = [c["supports"] for c in citations]
            # the promise in one number: the answer holds a gold answer and cites a passage
            # that supports it
            scores["correct_cited"] = bool(scores["contains"]) and any(c["supports"] for c in citations)
            if shown_evidence is not None and item.evidence:
                # is the gold evidence inside the sentences the generator was shown?
                scores["evidence_recall"] = M.supports("".join(shown_evidence), item.evidence) or any(
                    M.supports(s, item.evidence) for s in shown_evidence)
    return scores


def _retrieved_rows(item: GoldItem, hits) -> list[dict]:
    return [
        {"rank": h.rank, "chunk_id": h.chunk.id, "score": round(float(h.score), 6),
         "section": h.chunk.section, "supports": item.supported_by(h.chunk.id, reading_text(h.chunk))}
        for h in hits
    ]


def evaluate_one(assistant, item: GoldItem, *, generator: str | None, k: int | None,
                 retrieval: str | None, n_relevant: int | None = None) -> dict[str, Any]:
    """Ask one gold question; any exception becomes a failure row instead of ending the run."""
    row: dict[str, Any] = {
        "id": item.id, "question": item.question, "lang": item.lang, "answerable": item.answerable,
        "gold_answers": list(item.answers),
    }
    try:
        ans = assistant.ask(item.question, k=k, generator=generator, retrieval=retrieval)
    except Exception as e:  # noqa: BLE001 - recorded in the report; the run goes on
        row.update(retrieved=[], answer="", citations=[], refused=False, warnings=[], timings={},
                   error=f"{type(e).__name__}: {e}")
        row["scores"] = score_row(item, [], "", False, [], n_relevant)
        return row
    texts = {h.chunk.id: reading_text(h.chunk) for h in ans.hits}  # a byline paragraph with its name
    citations = [
        {"n": c.n, "chunk_id": c.chunk_id, "supported": c.supported,
         "supports": item.supported_by(c.chunk_id, texts.get(c.chunk_id, c.text))}
        for c in ans.citations
    ]
    retrieved = _retrieved_rows(item, ans.hits)
    row.update(
        retrieved=retrieved, answer=ans.text, citations=citations, refused=bool(ans.refused),
        warnings=list(ans.warnings), timings={k_: round(float(v), 4) for k_, v in ans.timings.items()},
        error=None,
    )
    shown = [e.text for e in sorted(getattr(ans, "evidence", ()), key=lambda e: e.n)]
    row["evidence"] = [{"n": e.n, "chunk_id": e.chunk_id, "text": e.text} for e in getattr(ans, "evidence", ())]
    row["refusal"] = ans.refusal.to_dict() if getattr(ans, "refusal", None) else None
    row["scores"] = score_row(item, retrieved, ans.text, bool(ans.refused), citations, n_relevant, shown)
    return row




def retrieval_by_mode(assistant, items: Sequence[GoldItem], k: int,
                      modes: Sequence[str] = RETRIEVAL_MODES) -> dict[str, dict[str, float | None]]:
    """hit@k and MRR of retrieval alone in each mode, over the answerable questions with
    evidence (what the hit@k-by-mode chart shows; retrieval costs milliseconds a question)."""
    scored = [i for i in items if i.answerable and i.has_evidence]
    out: dict[str, dict[str, float | None]] = {}
    for mode in modes:
        rels = []
        for item in scored:
            try:
                hits = assistant.retrieve(item.question, k=k, mode=mode)
            except Exception:  # noqa: BLE001 - a mode that cannot run (no embedder) counts as misses
                hits = []
            rels.append([item.supported_by(h.chunk.id, reading_text(h.chunk)) for h in hits])
        metrics = {f"hit@{n}": M.mean(M.hit_at_k(r, n) for r in rels) for n in HIT_KS}
        metrics["mrr"] = M.mean(M.reciprocal_rank(r) for r in rels)
        out[mode] = metrics
    return out


# ---------------------------------------------------------------------- summary
def summarize(rows: Sequence[dict]) -> dict[str, float | int | None]:
    """Flat metric name -> number (None when undefined, e.g. no citations at all).

    Retrieval and answer metrics average over answerable questions; a question that
    errored counts as a miss everywhere (nothing retrieved, no answer, not refused) so
    a crash never improves a score. Latencies use successful questions only."""
    ans = [r for r in rows if r["answerable"]]
    with_ev = [r for r in ans if "rr" in r["scores"]]
    out: dict[str, float | int | None] = {
        "n_questions": len(rows),
        "n_answerable": len(ans),
        "n_unanswerable": len(rows) - len(ans),
        "n_errors": sum(1 for r in rows if r.get("error")),
    }
    for k in HIT_KS:
        out[f"hit@{k}"] = M.mean(r["scores"][f"hit@{k}"] for r in with_ev)
    out["mrr"] = M.mean(r["scores"]["rr"] for r in with_ev)
    out[f"ndcg@{NDCG_K}"] = M.mean(r["scores"][f"ndcg@{NDCG_K}"] for r in with_ev)
    for name in ("em", "f1", "contains"):
        out[name] = M.mean(r["scores"][name] for r in ans)
    out["correct_cited"] = M.mean(r["scores"].get("correct_cited", False) for r in with_ev)
    shown = [r["scores"]["evidence_recall"] for r in with_ev if "evidence_recall" in r["scores"]]
    out["evidence_recall"] = M.mean(shown) if shown else None
    flags = [r["scores"]["citations_supported"] for r in with_ev]
    out["citation_precision"] = M.citation_precision(flags)
    out["citation_recall"] = M.citation_recall(flags)
    out.update(M.refusal_scores([bool(r["refused"]) for r in rows], [r["answerable"] for r in rows]))
    ok = [r for r in rows if not r.get("error")]
    for stage in _STAGES:
        values = [r["timings"][stage] for r in ok if stage in r["timings"]]
        if not values:
            continue
        out[f"latency.{stage}.p50"] = M.percentile(values, 50)
        out[f"latency.{stage}.p95"] = M.percentile(values, 95)
    tps = [r["timings"]["tokens_per_s"] for r in ok if r["timings"].get("tokens_per_s")]
    if tps:
        out["tokens_per_s.p50"] = M.percentile(tps, 50)
    return out


# Timing keys that are durations in seconds, in pipeline order. Answer.timings also holds
# counts (prompt_chars, answer_tokens) and a rate (tokens_per_s), which are not latencies.
_STAGES = ("condense", "embed", "retrieve", "first_visible", "first_token", "generate", "total")


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

    n_relevant = _support_counter(assistant)
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


# ---------------------------------------------------------------------- reports
def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def summary_table(summary: dict[str, Any]) -> str:
    lines = ["| metric | value |", "|---|---:|"]
    lines += [f"| {name} | {fmt(value)} |" for name, value in summary.items()]
    return "\n".join(lines)


def failure_reasons(row: dict) -> list[str]:
    """Why a row counts as a failure in report.md; [] for a success."""
    if row.get("error"):
        return [f"error: {row['error']}"]
    s, reasons = row["scores"], []
    if not row["answerable"]:
        if not row["refused"]:
            reasons.append("answered an unanswerable question")
        return reasons
    if row["refused"]:
        reasons.append("refused an answerable question")
    elif not s.get("contains"):
        reasons.append("answer does not contain a gold answer")
    if s.get("hit@5") == 0.0 or (s.get("hit@5") is None and s.get("rr") == 0.0):
        reasons.append("no supporting passage retrieved")
    if "citations_supported" in s and not row["refused"] and not any(s["citations_supported"]):
        reasons.append("no supporting citation")
    return reasons


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def render_markdown(report: dict) -> str:
    c, rows = report["config"], report["rows"]
    out = [
        "# Evaluation report", "",
        f"gold `{c['gold']}` · generator `{c['generator']}` · retrieval `{c['retrieval']}` · k={c['k']}"
        f" · embedder `{c['embedder']}` · {c.get('finished_at', '')}", "",
        summary_table(report["summary"]), "",
    ]
    failures = [(r, failure_reasons(r)) for r in rows]
    failures = [(r, why) for r, why in failures if why]
    out += [f"## Failures ({len(failures)} of {len(rows)})", ""]
    if not failures:
        out.append("None.")
    for r, why in failures:
        out += [f"### {r['id']} ({r['lang']}, {'answerable' if r['answerable'] else 'unanswerable'})", "",
                f"**Q:** {r['question']}", ""]
        if r["gold_answers"]:
            out.append(f"- **Gold:** {' / '.join(r['gold_answers'])}")
        out.append(f"- **Why:** {'; '.join(why)}")
        out.append(f"- **Answer{' (refused)' if r['refused'] else ''}:** {_clip(r['answer'], 300) or '(empty)'}")
        cited = ", ".join(f"[{x['n']}] `{x['chunk_id']}`{' ✓' if x['supports'] else ''}" for x in r["citations"])
        out.append(f"- **Cited:** {cited or 'none'}")
        out.append("- **Retrieved** (✓ = contains evidence):")
        out += [f"  {h['rank']}. `{h['chunk_id']}`{' ✓' if h['supports'] else ''} ({h['score']:.3f})"
                for h in r["retrieved"]] or ["  (nothing)"]
        out.append("")
    return "\n".join(out) + "\n"


def _load_report(report: str | os.PathLike | dict) -> tuple[str, dict]:
    if isinstance(report, dict):
        return "<in memory>", report
    p = Path(report)
    if p.is_dir():
        p = p / "report.json"
    if not p.is_file():
        raise ConfigError(f"Report {p} does not exist. Pass the report.json written by `rag eval --out DIR`.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"Report {p} is not valid JSON ({e}).") from e
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise ConfigError(f"Report {p} has no 'summary'; is it a report.json from `rag eval`?")
    return str(p), data


def load_report(report: str | os.PathLike | dict) -> dict:
    """A report.json (or the folder holding it), checked to be one."""
    return _load_report(report)[1]


def compare_reports(a: str | os.PathLike | dict, b: str | os.PathLike | dict) -> dict[str, Any]:
    """Metric deltas (b - a), the config settings that differ, and the questions whose
    outcome flipped (contains / refusal correctness) between the two runs."""
    name_a, ra = _load_report(a)
    name_b, rb = _load_report(b)
    sa, sb = ra["summary"], rb["summary"]
    metrics = []
    for key in list(sa) + [k for k in sb if k not in sa]:
        va, vb = sa.get(key), sb.get(key)
        delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        metrics.append({"metric": key, "a": va, "b": vb, "delta": delta})
    ca, cb = _flat(ra.get("config", {})), _flat(rb.get("config", {}))
    skip = {"finished_at", "seconds", "resumed_rows"}
    config_diff = {k: [ca.get(k), cb.get(k)] for k in sorted(set(ca) | set(cb)) if k not in skip and ca.get(k) != cb.get(k)}
    by_id = {r["id"]: r for r in ra.get("rows", [])}
    flips = []
    for r in rb.get("rows", []):
        old = by_id.get(r["id"])
        if old is None:
            continue
        before, after = _outcome(old), _outcome(r)
        if before != after:
            flips.append({"id": r["id"], "question": r["question"], "a": before, "b": after})
    return {"a": name_a, "b": name_b, "metrics": metrics, "config_diff": config_diff, "flips": flips}


def _flat(config: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _outcome(row: dict) -> str:
    if row.get("error"):
        return "error"
    if not row["answerable"]:
        return "refused" if row["refused"] else "answered"
    if row["refused"]:
        return "refused"
    return "correct" if row["scores"].get("contains") else "wrong"


def format_comparison(cmp: dict[str, Any]) -> str:
    lines = [f"A: {cmp['a']}", f"B: {cmp['b']}", "", "| metric | A | B | B - A |", "|---|---:|---:|---:|"]
    for m in cmp["metrics"]:
        d = m["delta"]
        delta = "n/a" if d is None else (f"{d:+d}" if isinstance(d, int) else f"{d:+.3f}")
        lines.append(f"| {m['metric']} | {fmt(m['a'])} | {fmt(m['b'])} | {delta} |")
    if cmp["config_diff"]:
        lines += ["", "Settings that differ:"]
        lines += [f"  {k}: {fmt(v[0])} -> {fmt(v[1])}" for k, v in cmp["config_diff"].items()]
    if cmp["flips"]:
        lines += ["", f"Questions whose outcome changed ({len(cmp['flips'])}):"]
        lines += [f"  {f['id']}: {f['a']} -> {f['b']}  {_clip(f['question'], 60)}" for f in cmp["flips"]]
    return "\n".join(lines)
