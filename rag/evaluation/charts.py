"""Charts of evaluation reports, as PNG files (matplotlib, drawn off-screen).

    write_charts([report], out_dir)              # what `rag eval` puts beside report.json
    write_charts([report_a, report_b], "docs/")  # several runs side by side (`rag eval --charts`)

Four charts, each from the report dicts alone (rag.evaluation.runner's report.json shape):

    hit_at_k.png            hit@1/3/5 and MRR for each retrieval mode (report["retrieval_modes"],
                            or the run's own mode for reports written before it existed)
    answer_metrics.png      contains / F1 / EM / right-and-cited / citation precision and recall,
                            one bar group per generator
    latency.png             the distribution of per-question answer time (total), per generator
    refusal_confusion.png   answerable / unanswerable x answered / refused counts, per generator

Labels are English so the charts render without a CJK font.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import DependencyError

CHARTS = ("hit_at_k", "answer_metrics", "latency", "refusal_confusion")
ANSWER_METRICS = ("contains", "f1", "em", "correct_cited", "citation_precision", "citation_recall")
RETRIEVAL_METRICS = ("hit@1", "hit@3", "hit@5", "mrr")
COLORS = ("#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6")


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:
        raise DependencyError("matplotlib", extra="charts", purpose="evaluation charts") from e
    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


def _label(report: dict[str, Any]) -> str:
    c = report.get("config", {})
    return str(c.get("generator") or "run")


def _bars(ax, groups: Sequence[str], series: dict[str, Sequence[float | None]]) -> None:
    """Grouped bars: one group per entry of `groups`, one bar per series inside it."""
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ys = [v if v is not None else 0.0 for v in values]
        bars = ax.bar(xs, ys, width, label=name, color=COLORS[i % len(COLORS)])
        for bar, v in zip(bars, values):
            ax.annotate("n/a" if v is None else f"{v:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.12)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")


def _retrieval_table(reports: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """mode -> metrics, from the first report that measured each mode."""
    table: dict[str, dict[str, float | None]] = {}
    for r in reports:
        for mode, metrics in (r.get("retrieval_modes") or {}).items():
            table.setdefault(mode, metrics)
        mode = r.get("config", {}).get("retrieval")
        if mode and mode not in table:
            table[mode] = {m: r["summary"].get(m) for m in RETRIEVAL_METRICS}
    return table


def _hit_at_k(plt, reports, k: Any):
    table = _retrieval_table(reports)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    _bars(ax, list(RETRIEVAL_METRICS), {mode: [m.get(x) for x in RETRIEVAL_METRICS] for mode, m in table.items()})
    ax.set_title(f"Retrieval by mode (k={k})")
    return fig


def _answer_metrics(plt, reports, k: Any):
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    _bars(ax, [m.replace("citation_", "cite ") for m in ANSWER_METRICS],
          {_label(r): [r["summary"].get(m) for m in ANSWER_METRICS] for r in reports})
    ax.set_title("Answer quality by generator (answerable questions)")
    return fig


def _latency(plt, reports, k: Any):
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    data, labels = [], []
    for r in reports:
        values = [row["timings"]["total"] for row in r.get("rows", [])
                  if not row.get("error") and "total" in row.get("timings", {})]
        if values:
            data.append(values)
            labels.append(f"{_label(r)} (n={len(values)})")
    if data:
        ax.boxplot(data, orientation="horizontal", showfliers=True)
        ax.set_yticks(range(1, len(labels) + 1), labels)
        for i, values in enumerate(data, 1):  # every question as a dot over its box
            ax.scatter(values, [i] * len(values), s=8, alpha=0.4, color=COLORS[(i - 1) % len(COLORS)], zorder=3)
    else:
        ax.text(0.5, 0.5, "no timings", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("seconds per answer (total)")
    ax.set_title("Answer latency per question")
    ax.grid(axis="x", alpha=0.3)
    return fig


def confusion(report: dict[str, Any]) -> list[list[int]]:
    """[[answerable answered, answerable refused], [unanswerable answered, unanswerable refused]]."""
    cells = [[0, 0], [0, 0]]
    for row in report.get("rows", []):
        cells[0 if row["answerable"] else 1][1 if row.get("refused") else 0] += 1
    return cells


def _refusal_confusion(plt, reports, k: Any):
    fig, axes = plt.subplots(1, len(reports), figsize=(3.4 * len(reports) + 0.6, 3.4), squeeze=False)
    for ax, r in zip(axes[0], reports):
        cells = confusion(r)
        ax.imshow(cells, cmap="Blues", vmin=0, vmax=1.8 * max(max(row) for row in cells) or 1)  # light cells: the counts stay legible
        for i in range(2):
            for j in range(2):
                good = (i == 0) == (j == 0)
                ax.text(j, i, str(cells[i][j]), ha="center", va="center", fontsize=13,
                        color="#065f46" if good else "#991b1b", fontweight="bold")
        ax.set_xticks([0, 1], ["answered", "refused"])
        ax.set_yticks([0, 1], ["answerable", "unanswerable"])
        ax.set_title(_label(r), fontsize=10)
    fig.suptitle("Answer or refuse (green = right call)", fontsize=11)
    return fig


_DRAW = {"hit_at_k": _hit_at_k, "answer_metrics": _answer_metrics, "latency": _latency,
         "refusal_confusion": _refusal_confusion}


def write_charts(reports: Sequence[dict[str, Any]], out_dir: str | os.PathLike, prefix: str = "") -> list[Path]:
    """Draw the four charts of one or more reports into out_dir; returns the PNG paths."""
    if not reports:
        raise ValueError("write_charts needs at least one report")
    plt = _pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    k = reports[0].get("config", {}).get("k", "?")
    paths = []
    for name in CHARTS:
        fig = _DRAW[name](plt, reports, k)
        fig.tight_layout()
        path = out / f"{prefix}{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
