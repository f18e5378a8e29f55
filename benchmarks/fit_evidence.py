"""Fit the evidence budget and the sentence ranking's dense weight and cue scale on the
development suites, leave one suite out.

    .venv/bin/python benchmarks/fit_evidence.py [--limit N] [--json FILE]

What the model is shown is chosen by rag.answering.selection: every sentence of the
retrieved passages ranked (lexical + W_DENSE * dense + cues), then the best ones within a
budget sized to the question's kind ("one" figure or name, "some", "many": a list, a
reason, a way). The settings context_chars, context_chars_one, context_sentences, context_sentences_one,
context_chars_wide, context_sentences_wide and the selection's min_ratio, the Chinese
dense weight and the scale of the cue bonuses (FIGURE_BONUS, BYLINE_BONUS, NAME_BONUS) are
fitted here; nothing is fitted on the seed gold (test only).

For each development suite with gold evidence (evals/suites.toml: the CMRC split in both
scripts, the English questions) every answerable question is retrieved once and its
sentences ranked once per (dense weight, cue scale); every budget on the grid is then scored: evidence
recall (the gold evidence inside the shown sentences, as rag.evaluation scores it) and the
characters shown (each shown character costs prompt time before the first answer token).

Choice rule, on the training suites (suite-balanced means): the cheapest configuration
whose recall is within --slack of the best one (on equal characters, the higher recall); the
shipped cue scale 1.0 is kept unless another gains more than the slack in recall or saves more
than 1% of the characters: the bonuses change only for a reason. Each suite is reported with the
configuration chosen on the others; the seed gold with the one chosen on all.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

from rag import Assistant, Settings  # noqa: E402
from rag.answering import (  # noqa: E402
    number_context, numbered_passages, question_kind, rank_sentences, select_sentences,
)
from rag.evaluation import GIVEN_PASSAGE_KINDS, build_suite, load_suites, supports  # noqa: E402
from rag.text import is_cjk  # noqa: E402

SUITES = ROOT / "evals" / "suites.toml"
DENSE_ZH = (0.3, 0.45, 0.7)  # Chinese questions; English ones keep W_DENSE_EN (only one English suite)
CUE_SCALE = (0.0, 0.5, 1.0, 2.0)  # times the shipped cue bonuses (selection.py); English questions vary it too
SHIPPED_CUE = 1.0  # kept unless another scale saves characters (CUE_MIN_SAVING)
MIN_RATIO = (0.35, 0.2)
# (characters, sentences) per kind of question
OPTIONS = {
    "one": [(c, n) for c in (160, 240) for n in (1, 2, 3)],
    "some": [(c, n) for c in (160, 240, 320) for n in (4, 6)],
    "many": [(c, n) for c in (320, 480) for n in (6, 8)],
}
# the hand-set sizes, weight and cue bonuses before this fit (ba6b5ff), printed beside the fitted ones
BASELINE = {"dense": 0.45, "cue": 1.0, "min_ratio": 0.35, "one": (160, 1), "some": (160, 4), "many": (320, 6)}
# another cue scale than the shipped one must save more than this share of the characters
# shown, or gain more than the slack in recall: a fraction of a character is noise, not a
# reason to move the bonuses
CUE_MIN_SAVING = 0.01


def measure(assistant: Assistant, items) -> list[dict]:
    """Per question: its kind and, per (dense weight, cue scale, min ratio, option), (recall, chars)."""
    out = []
    for item in items:
        q = item.question
        hits = assistant.retrieve(q)
        passages = numbered_passages(number_context(hits))
        kind = question_kind(q)
        table = {}
        for w, cue in itertools.product(DENSE_ZH if is_cjk(q) else (None,), CUE_SCALE):
            ranked = rank_sentences(q, passages, embedder=assistant.embedder, weights=assistant.unit_weights,
                                    dense_weight=w, cue_scale=cue)
            for mr, (chars, n) in itertools.product(MIN_RATIO, OPTIONS[kind]):
                shown = [s.text for s in select_sentences(ranked, chars, question=q, max_sentences=n, min_ratio=mr)]
                found = supports("".join(shown), item.evidence) or any(supports(s, item.evidence) for s in shown)
                table[(w, cue, mr, (chars, n))] = (found, sum(len(s) for s in shown))
        out.append({"id": item.id, "kind": kind, "cjk": is_cjk(q), "table": table})
    return out


def configs():
    for w, cue, mr, one, some, many in itertools.product(DENSE_ZH, CUE_SCALE, MIN_RATIO, OPTIONS["one"],
                                                         OPTIONS["some"], OPTIONS["many"]):
        yield {"dense": w, "cue": cue, "min_ratio": mr, "one": one, "some": some, "many": many}


def summarize(rows: list[dict]) -> dict:
    """A suite's questions summed per (dense weight, cue scale, min ratio, kind, option):
    [questions whose evidence is shown, characters shown, questions], so that a
    configuration's figures are three look-ups, not a pass over the questions."""
    sums: dict = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        for (w, cue, mr, option), (found, chars) in r["table"].items():
            # an English question was ranked once, at W_DENSE_EN (its key's weight is None)
            for dense in (DENSE_ZH if w is None else (w,)):
                s = sums[(dense, cue, mr, r["kind"], option)]
                s[0] += found
                s[1] += chars
                s[2] += 1
    return dict(sums)


def figures(summary: dict, cfg: dict) -> tuple[float, float]:
    """Evidence recall and mean characters shown, on a suite's questions (summarize), with this configuration."""
    found = chars = n = 0
    for kind in OPTIONS:
        f, c, k = summary.get((cfg["dense"], cfg["cue"], cfg["min_ratio"], kind, cfg[kind]), (0, 0, 0))
        found, chars, n = found + f, chars + c, n + k
    return found / n, chars / n


def choose(by_suite: dict[str, dict], slack: float, max_chars_ratio: float | None = None) -> tuple[dict, float, float]:
    """The cheapest configuration within `slack` of the best recall; with max_chars_ratio,
    only among those showing at most that many times the characters ba6b5ff's sizes show
    on the same questions (each shown character delays the first answer token)."""
    scored = []
    for cfg in configs():
        per = [figures(summary, cfg) for summary in by_suite.values()]
        scored.append((statistics.mean(p[0] for p in per), statistics.mean(p[1] for p in per), cfg))
    if max_chars_ratio is not None:
        cap = max_chars_ratio * statistics.mean(figures(summary, BASELINE)[1] for summary in by_suite.values())
        # nothing that cheap on the grid: the cheapest there is
        scored = [s for s in scored if s[1] <= cap] or [min(scored, key=lambda s: s[1])]
    best = max(s[0] for s in scored)
    # on equal characters the higher recall
    recall, chars, cfg = min((s for s in scored if s[0] >= best - slack), key=lambda s: (s[1], -s[0]))
    if cfg["cue"] != SHIPPED_CUE:
        shipped = next((s for s in scored if s[2] == {**cfg, "cue": SHIPPED_CUE}), None)
        # the bonuses move only when that buys more than the slack in recall or more than
        # CUE_MIN_SAVING of the characters: the best recall's own edge is no reason
        if shipped and shipped[0] >= recall - slack and shipped[1] <= chars * (1 + CUE_MIN_SAVING):
            recall, chars, cfg = shipped
    return cfg, recall, chars


def show(cfg: dict) -> str:
    return (f"dense {cfg['dense']}, cue {cfg['cue']}, min_ratio {cfg['min_ratio']}, one {cfg['one'][0]}ch/{cfg['one'][1]}s, "
            f"some {cfg['some'][0]}ch/{cfg['some'][1]}s, many {cfg['many'][0]}ch/{cfg['many'][1]}s")


def print_cue_sweep(rows_by_suite: dict[str, dict], chosen: dict[str, dict], dev: dict[str, dict], final: dict) -> None:
    """Held-out evidence recall and characters shown per cue scale, everything else as chosen
    on the other suites (`chosen`, per suite), and the development suites' mean with the
    configuration chosen on all of them (`final`): what the cue bonuses are worth."""
    print("\n| cue scale | " + " | ".join(f"{s}: recall / chars" for s in rows_by_suite) + " | development mean (chosen on all) |")
    print("|---|" + "---:|" * (len(rows_by_suite) + 1))
    for cue in CUE_SCALE:
        cells = [figures(summary, {**chosen[suite], "cue": cue}) for suite, summary in rows_by_suite.items()]
        per = [figures(summary, {**final, "cue": cue}) for summary in dev.values()]
        cells.append((statistics.mean(p[0] for p in per), statistics.mean(p[1] for p in per)))
        print(f"| {cue} | " + " | ".join(f"{recall:.3f} / {chars:.1f}" for recall, chars in cells) + " |")


FRONTIER = (1.0, 1.15, 1.3, 1.5)


def print_frontier(rows_by_suite: dict[str, dict], dev: dict[str, dict], slack: float) -> None:
    """Held-out evidence recall and characters shown (as x ba6b5ff's on the same questions)
    when the fit may show at most so many times ba6b5ff's characters."""
    print("\n| characters shown at most (x ba6b5ff) | " + " | ".join(f"{s}: recall / chars x" for s in rows_by_suite) + " |")
    print("|---|" + "---:|" * len(rows_by_suite))
    for bound in FRONTIER + (None,):
        cells = []
        for suite, rows in rows_by_suite.items():
            cfg, _, _ = choose({s: r for s, r in dev.items() if s != suite}, slack, bound)
            (recall, chars), (_, base_chars) = figures(rows, cfg), figures(rows, BASELINE)
            cells.append(f"{recall:.3f} / {chars / base_chars:.2f}")
        print(f"| {'no bound' if bound is None else bound} | " + " | ".join(cells) + " |")
    for bound in FRONTIER:
        print(f"at most {bound}x, chosen on all development suites: {show(choose(dev, slack, bound)[0])}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suites", default=str(SUITES))
    ap.add_argument("--limit", type=int, default=None, help="answerable questions per suite")
    ap.add_argument("--slack", type=float, default=0.01, help="recall given up for fewer characters")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--frontier", action="store_true",
                    help="also print, per bound on characters shown (x ba6b5ff's), the held-out recall: "
                         "the price of a first token no slower than before")
    args = ap.parse_args()
    specs = load_suites(args.suites)
    base = Settings.load()
    print(f"CPU: {cpu_model()}", flush=True)
    rows_by_suite: dict[str, dict] = {}  # per suite, its questions' figures summed (summarize)
    test_only: set[str] = set()
    opened: dict[str, Assistant] = {}
    for spec in specs:
        if spec.kind in GIVEN_PASSAGE_KINDS:
            continue  # no index (and NoMIRACL has no gold evidence strings)
        built = build_suite(spec, base, specs)
        items = [i for i in built.items if i.answerable and i.evidence][: args.limit]
        if not items:
            continue  # nothing to recall (cmrc-premise: every question is unanswerable)
        key = str(built.settings.index_path)
        if key not in opened:
            opened[key] = Assistant.load(built.settings, progress=True)
            opened[key].warm_up(embed_missing=True)
        t0 = time.perf_counter()
        rows_by_suite[spec.name] = summarize(measure(opened[key], items))
        if spec.test_only:
            test_only.add(spec.name)
        print(f"{spec.name}: {len(items)} answerable questions measured in {time.perf_counter() - t0:.0f} s", flush=True)
    dev = {s: r for s, r in rows_by_suite.items() if s not in test_only}
    report = {}
    print("\n| suite | chosen on | evidence recall (ba6b5ff) | chars shown (ba6b5ff) | evidence recall (fitted) | chars shown (fitted) | configuration |")
    print("|---|---|---:|---:|---:|---:|---|")
    for suite, rows in rows_by_suite.items():
        train = {s: r for s, r in dev.items() if s != suite}
        cfg, _, _ = choose(train, args.slack)
        cur = figures(rows, BASELINE)
        fit = figures(rows, cfg)
        report[suite] = {"current": cur, "fitted": fit, "config": cfg, "chosen_on": sorted(train)}
        print(f"| {suite}{' (test only)' if suite in test_only else ''} | {', '.join(sorted(train))} | {cur[0]:.3f} | "
              f"{cur[1]:.0f} | {fit[0]:.3f} | {fit[1]:.0f} | {show(cfg)} |")
    final, recall, chars = choose(dev, args.slack)
    print_cue_sweep(rows_by_suite, {suite: r["config"] for suite, r in report.items()}, dev, final)
    if args.frontier:
        print_frontier(rows_by_suite, dev, args.slack)
    print(f"\nchosen on all development suites: {show(final)} (recall {recall:.3f}, {chars:.0f} chars)")
    if args.json:
        Path(args.json).write_text(json.dumps({"suites": report, "final": final}, default=list, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
