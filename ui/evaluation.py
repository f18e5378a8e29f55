"""The evaluation tab: run a gold file through rag.evaluation.runner.run_eval (the same runner as
`rag eval`) with the page's settings, and show progress, the summary and the failures."""
from __future__ import annotations

import base64
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rag import RagError, evaluation as evaluate, project_root

from .backend import Backend, wait_for
from .render import esc, notice

log = logging.getLogger(__name__)

DEFAULT_GOLD = "evals/gold.jsonl"


def gold_choices() -> list[str]:
    root = project_root()
    found = sorted(str(p.relative_to(root)) for p in (root / "evals").glob("*.jsonl")) if (root / "evals").is_dir() else []
    return found or [DEFAULT_GOLD]


def _resolve_gold(choice: str | None, upload: str | None) -> Path:
    if upload:
        return Path(upload)
    p = Path((choice or DEFAULT_GOLD).strip()).expanduser()
    return p if p.is_absolute() else project_root() / p


def _progress_html(done: int, total: int, last: dict | None = None, note: str = "") -> str:
    pct = 100.0 * done / total if total else 0.0
    tail = ""
    if last is not None:
        ok = not evaluate.failure_reasons(last)
        tail = f" · {esc(str(last.get('id')))} {'✓' if ok else '✗'}"
    return (
        f'<div class="eval-progress"><progress value="{done}" max="{total or 1}"></progress>'
        f'<span class="eval-count">{done} / {total} ({pct:.0f}%){tail}</span>'
        f'{f"<div>{esc(note)}</div>" if note else ""}</div>'
    )


_SUMMARY_GROUPS = (
    ("检索 · Retrieval", ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5")),
    ("回答 · Answers", ("em", "f1", "contains")),
    ("引用 · Citations", ("citation_precision", "citation_recall")),
)


def render_summary(report: dict) -> str:
    s, c = report["summary"], report.get("config", {})
    head = (
        f'<div class="eval-config">{esc(str(c.get("gold", "")))} · generator <b>{esc(str(c.get("generator", "")))}</b>'
        f' · retrieval {esc(str(c.get("retrieval", "")))} · k={esc(str(c.get("k", "")))}'
        f' · {s.get("n_questions", 0)} questions ({s.get("n_unanswerable", 0)} unanswerable,'
        f' {s.get("n_errors", 0)} errors) · {c.get("seconds", "?")} s</div>'
    )
    shown = {"n_questions", "n_answerable", "n_unanswerable", "n_errors"}
    rows = []
    for group, names in _SUMMARY_GROUPS:
        for name in names:
            if name in s:
                shown.add(name)
                rows.append((group, name, s[name]))
    for name, value in s.items():  # refusal and latency metrics, whatever the runner reports
        if name not in shown:
            group = "延迟 · Latency (s)" if name.startswith(("latency.", "tokens_per_s")) else "拒答 · Refusal"
            rows.append((group, name, value))
    body = "".join(
        f"<tr><td>{esc(g)}</td><td><code>{esc(n)}</code></td><td class='num'>{esc(evaluate.fmt(v))}</td></tr>"
        for g, n, v in rows
    )
    return f'{head}<table class="eval-summary"><thead><tr><th></th><th>metric</th><th>value</th></tr></thead><tbody>{body}</tbody></table>'


def render_failures(report: dict) -> str:
    failures = [(r, evaluate.failure_reasons(r)) for r in report["rows"]]
    failures = [(r, why) for r, why in failures if why]
    title = f'<div class="eval-fail-title">未通过的问题 · Failing questions: {len(failures)} of {len(report["rows"])}</div>'
    if not failures:
        return title
    cards = []
    for r, why in failures:
        gold = " / ".join(r.get("gold_answers") or []) or "（不可回答 · unanswerable）"
        retrieved = "".join(
            f"<li><code>{esc(h['chunk_id'])}</code> {esc(h.get('section', ''))}"
            f"{' <b>✓</b>' if h.get('supports') else ''}</li>"
            for h in r.get("retrieved", [])
        ) or "<li>（无 · nothing）</li>"
        cited = ", ".join(
            f"[{c['n']}] {esc(c['chunk_id'])}{' ✓' if c.get('supports') else ''}" for c in r.get("citations", [])
        ) or "none"
        cards.append(
            f'<details class="eval-fail"><summary><b>{esc(r["id"])}</b> {esc(r["question"])} — '
            f'<span class="why">{esc("; ".join(why))}</span></summary>'
            f"<div><b>Gold:</b> {esc(gold)}</div>"
            f"<div><b>Answer{' (refused)' if r.get('refused') else ''}:</b> {esc(r.get('answer') or '(empty)')}</div>"
            f"<div><b>Cited:</b> {cited}</div>"
            f"<div><b>Retrieved:</b><ol>{retrieved}</ol></div></details>"
        )
    return title + "".join(cards)


def render_charts(out_dir: Path) -> str:
    """The charts `rag eval` drew beside the report, inlined as images (the page serves no
    files from the run folder)."""
    imgs = []
    for name in evaluate.CHARTS:
        png = out_dir / f"{name}.png"
        if png.is_file():
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            imgs.append(f'<img class="eval-chart" id="chart-{name}" alt="{name}" src="data:image/png;base64,{data}">')
    if not imgs:
        return notice("没有图表 · No charts: install matplotlib (pip install '.[charts]').", "info")
    return f'<div class="eval-charts">{"".join(imgs)}</div>'


def run_evaluation(
    backend: Backend,
    gold: str | None,
    upload: str | None,
    generator: str | None = None,
    k: int | float | None = None,
    retrieval: str | None = None,
    limit: int | float | None = None,
    out_root: str | os.PathLike | None = None,
) -> Iterator[tuple[str, str, str]]:
    """Run the gold set with the page's settings through rag.evaluation.runner.run_eval (the same
    runner as `rag eval`). Yields (progress, summary, failures, charts) as questions finish."""
    from rag import InputError
    from rag import RETRIEVAL_MODES

    from . import inputs

    try:
        gold = inputs.text_field("gold file", gold, max_chars=1024)
        upload = inputs.text_field("uploaded gold file", upload, max_chars=4096) if not hasattr(upload, "name") else upload
        generator = inputs.text_field("generator", generator, max_chars=64) or None
        k = None if k in (None, "", 0) else inputs.whole_number("k", k, 1, inputs.MAX_K)
        retrieval = inputs.choice("retrieval", retrieval, RETRIEVAL_MODES)
        limit = None if limit in (None, "", 0) else inputs.whole_number("first N", limit, 0, 1_000_000)
    except InputError as e:
        yield notice(str(e), "error"), "", "", ""
        return
    for status in wait_for(backend):
        yield notice(status, "info"), "", "", ""
    if backend.assistant is None:
        yield notice(backend.status(), "error"), "", "", ""
        return
    path = _resolve_gold(gold, upload)
    try:
        items = evaluate.load_gold(path)
    except RagError as e:
        yield notice(str(e), "error"), "", "", ""
        return
    n = int(limit) if limit else None
    total = min(len(items), n) if n else len(items)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    # RAG_UI_RUNS_DIR lets a test server write its reports outside the checkout
    out_root = out_root or os.environ.get("RAG_UI_RUNS_DIR")
    out_dir = Path(out_root) if out_root else project_root() / "evals" / "runs"
    out_dir = out_dir / f"ui-{stamp}-{generator or backend.settings.generator}"

    events: queue.Queue = queue.Queue()

    def work():
        try:
            report = evaluate.run_eval(  # the path, not the items: the report records which file
                backend.assistant, path, out_dir=out_dir, generator=generator or None,
                k=int(k) if k else None, retrieval=retrieval or None, resume=False, limit=n,
                progress=lambda done, tot, row: events.put(("row", (done, tot, row))),
            )
            events.put(("done", report))
        except RagError as e:
            events.put(("error", str(e)))
        except Exception as e:  # noqa: BLE001 - shown on the page
            log.exception("evaluation failed")
            events.put(("error", f"{type(e).__name__}: {e}"))

    threading.Thread(target=work, name="rag-ui-eval", daemon=True).start()
    yield _progress_html(0, total, note=f"{path.name} → {out_dir}"), "", "", ""
    while True:
        kind, payload = events.get()
        if kind == "row":
            done, tot, row = payload
            yield _progress_html(done, tot, row), "", "", ""
        elif kind == "error":
            yield notice(payload, "error"), "", "", ""
            return
        else:
            report = payload
            yield (
                _progress_html(total, total, note=f"报告 · report: {out_dir / 'report.md'}"),
                render_summary(report),
                render_failures(report),
                render_charts(out_dir),
            )
            return
