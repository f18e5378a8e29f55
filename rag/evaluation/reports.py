"""Reports: report.md from a report dict, reading report.json back, and comparing two runs."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..text.measures import clipped


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
    return clipped(" ".join(str(text).split()), n)


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
