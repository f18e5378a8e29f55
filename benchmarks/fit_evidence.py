"""Fit the evidence budget and the sentence ranking's dense weight and cue scale on the
development suites, leave one suite out.

    .venv/bin/python benchmarks/fit_evidence.py [--limit N] [--json FILE]

What the model is shown is chosen by rag.answering.selection: every sentence of the
retrieved passages ranked (lexical + W_DENSE * dense + cues), then the best ones within a
budget sized to the question's kind ("one" figure or name, "some", "many": a list, a
reason, a way). The settings context_chars, context_chars_one, context_sentences, context_sentences_one,
context_chars_wide, context_sentences_wide and the selection's min_ratio, the Chinese
dense weight, the title weight (W_TITLE: how much a question unit only the passage's title
holds counts) and the scale of the cue bonuses (FIGURE_BONUS, BYLINE_BONUS, NAME_BONUS) are
fitted here; nothing is fitted on the seed gold (test only).

For each development suite with gold evidence (evals/suites.toml: the CMRC split in both
scripts, the English questions) every answerable question is retrieved once and its
sentences ranked once per (dense weight, cue scale); every budget on the grid is then scored: evidence
recall (the gold evidence inside the shown sentences, as rag.evaluation scores it) and the
characters shown (each shown character costs prompt time before the first answer token).

Choice rule, on the training suites (suite-balanced means): the cheapest configuration
whose recall is within --slack of the best one (on equal characters, the higher recall); the
shipped cue scale 1.0 is kept unless another gains more than the slack in recall or saves more
than 1% of the characters: the bonuses change only for a reason. The title weight buys no
characters, so it is the one with the best recall, everything else as chosen. Each suite is reported with the
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
    number_context, numbered_passages, question_kind, rank_sentences, ranking_weights, select_sentences,
)
from rag.evaluation import GIVEN_PASSAGE_KINDS, build_suite, evidence_shown, load_suites  # noqa: E402
from rag.text import is_cjk  # noqa: E402

SUITES = ROOT / "evals" / "suites.toml"
DENSE_ZH = (0.3, 0.45, 0.7)  # Chinese questions; English ones keep W_DENSE_EN (only one English suite)
TITLE = (0.5, 0.75, 1.0)  # weight of question units only the passage's title holds (selection.W_TITLE)
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
BASELINE = {"dense": 0.45, "title": 0.5, "cue": 1.0, "min_ratio": 0.35, "one": (160, 1), "some": (160, 4), "many": (320, 6)}
# another cue scale than the shipped one must save more than this share of the characters
# shown, or gain more than the slack in recall: a fraction of a character is noise, not a
# reason to move the bonuses
CUE_MIN_SAVING = 0.01


def measure(assistant: Assistant, items) -> list[dict]:
    """Per question: its kind and, per (dense weight, title weight, cue scale, min ratio, option), (recall, chars)."""
    out = []
    for item in items:
        q = item.question
        hits = assistant.retrieve(q)
        passages = numbered_passages(number_context(hits))
        kind = question_kind(q)
        table = {}
        # a held value (--hold-shipped) is the only one measured
        dense = (HELD["dense"],) if "dense" in HELD else DENSE_ZH
        cues = (HELD["cue"],) if "cue" in HELD else CUE_SCALE
        ratios = (HELD["min_ratio"],) if "min_ratio" in HELD else MIN_RATIO
        sizes = (HELD[kind],) if kind in HELD else OPTIONS[kind]
        for w, title, cue in itertools.product(dense if is_cjk(q) else (None,), TITLE, cues):
            ranked = rank_sentences(q, passages, embedder=assistant.embedder, weights=assistant.unit_weights,
                                    dense_weight=w, cue_scale=cue, title_weight=title)
            for mr, (chars, n) in itertools.product(ratios, sizes):
                shown = [s.text for s in select_sentences(ranked, chars, question=q, max_sentences=n, min_ratio=mr)]
                table[(w, title, cue, mr, (chars, n))] = (evidence_shown(shown, item.evidence),
                                                          sum(len(s) for s in shown))
        out.append({"id": item.id, "kind": kind, "cjk": is_cjk(q), "table": table})
    return out


# with --hold-shipped, the values kept at what ships (everything but the title weight): set in main
HELD: dict = {}


def shipped_config() -> dict:
    """What ships now, as a configuration of this grid (the stage calls select() with its
    default min_ratio)."""
    import inspect

    s, weights = Settings.load(), ranking_weights()
    return {"dense": weights["dense"], "title": weights["title"], "cue": SHIPPED_CUE,
            "min_ratio": inspect.signature(select_sentences).parameters["min_ratio"].default,
            "one": (s.context_chars_one, s.context_sentences_one), "some": (s.context_chars, s.context_sentences),
            "many": (s.context_chars_wide, s.context_sentences_wide)}


def configs():
    for w, title, cue, mr, one, some, many in itertools.product(DENSE_ZH, TITLE, CUE_SCALE, MIN_RATIO, OPTIONS["one"],
                                                                OPTIONS["some"], OPTIONS["many"]):
        cfg = {"dense": w, "title": title, "cue": cue, "min_ratio": mr, "one": one, "some": some, "many": many}
        if all(cfg[k] == v for k, v in HELD.items()):
            yield cfg


def summarize(rows: list[dict]) -> dict:
    """A suite's questions summed per (dense weight, title weight, cue scale, min ratio, kind, option):
    [questions whose evidence is shown, characters shown, questions], so that a
    configuration's figures are three look-ups, not a pass over the questions."""
    sums: dict = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        for (w, title, cue, mr, option), (found, chars) in r["table"].items():
            # an English question was ranked once, at W_DENSE_EN (its key's weight is None)
            for dense in (DENSE_ZH if w is None else (w,)):
                s = sums[(dense, title, cue, mr, r["kind"], option)]
                s[0] += found
                s[1] += chars
                s[2] += 1
    return dict(sums)


def figures(summary: dict, cfg: dict) -> tuple[float, float]:
    """Evidence recall and mean characters shown, on a suite's questions (summarize), with this configuration."""
    found = chars = n = 0
    for kind in OPTIONS:
        f, c, k = summary.get((cfg["dense"], cfg["title"], cfg["cue"], cfg["min_ratio"], kind, cfg[kind]), (0, 0, 0))
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
    # the title's weight buys no characters (it only orders a passage's sentences): among
    # the configurations that differ from the chosen one only there, the best recall
    same = [s for s in scored if {**s[2], "title": None} == {**cfg, "title": None}]
    recall, chars, cfg = max(same, key=lambda s: (s[0], -s[1]))
    return cfg, recall, chars


def show(cfg: dict) -> str:
    return (f"dense {cfg['dense']}, title {cfg['title']}, cue {cfg['cue']}, min_ratio {cfg['min_ratio']}, one {cfg['one'][0]}ch/{cfg['one'][1]}s, "
            f"some {cfg['some'][0]}ch/{cfg['some'][1]}s, many {cfg['many'][0]}ch/{cfg['many'][1]}s")


def print_sweep(key: str, values, rows_by_suite: dict[str, dict], chosen: dict[str, dict], dev: dict[str, dict],
                final: dict) -> None:
    """Held-out evidence recall and characters shown per value of one setting (`key`),
    everything else as chosen on the other suites (`chosen`, per suite), and the development
    suites' mean with the configuration chosen on all of them (`final`): what it is worth."""
    print(f"\n| {key} | " + " | ".join(f"{s}: recall / chars" for s in rows_by_suite) + " | development mean (chosen on all) |")
    print("|---|" + "---:|" * (len(rows_by_suite) + 1))
    for value in values:
        cells = [figures(summary, {**chosen[suite], key: value}) for suite, summary in rows_by_suite.items()]
        per = [figures(summary, {**final, key: value}) for summary in dev.values()]
        cells.append((statistics.mean(p[0] for p in per), statistics.mean(p[1] for p in per)))
        print(f"| {value} | " + " | ".join(f"{recall:.3f} / {chars:.1f}" for recall, chars in cells) + " |")


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
    ap.add_argument("--hold-shipped", action="store_true",
                    help="fit the title weight alone, every other value kept at what ships: a new title "
                         "weight then changes only the rows whose ranking it changes")
    args = ap.parse_args()
    if args.hold_shipped:
        shipped = shipped_config()
        missing = [k for k, v in shipped.items() if k != "title" and not any(c[k] == v for c in configs())]
        if missing:
            ap.error(f"the shipped {', '.join(missing)} is not on the grid: {shipped}")
        HELD.update({k: v for k, v in shipped.items() if k != "title"})
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
    # held, the reference is what ships (BASELINE's sizes were not measured)
    reference, ref_name = (shipped_config(), "shipped") if HELD else (BASELINE, "ba6b5ff")
    print(f"\n| suite | chosen on | evidence recall ({ref_name}) | chars shown ({ref_name}) | evidence recall (fitted) "
          "| chars shown (fitted) | configuration |")
    print("|---|---|---:|---:|---:|---:|---|")
    for suite, rows in rows_by_suite.items():
        train = {s: r for s, r in dev.items() if s != suite}
        cfg, _, _ = choose(train, args.slack)
        cur = figures(rows, reference)
        fit = figures(rows, cfg)
        report[suite] = {"current": cur, "fitted": fit, "config": cfg, "chosen_on": sorted(train)}
        print(f"| {suite}{' (test only)' if suite in test_only else ''} | {', '.join(sorted(train))} | {cur[0]:.3f} | "
              f"{cur[1]:.0f} | {fit[0]:.3f} | {fit[1]:.0f} | {show(cfg)} |")
    final, recall, chars = choose(dev, args.slack)
    print_sweep("title", TITLE, rows_by_suite, {suite: r["config"] for suite, r in report.items()}, dev, final)
    if not HELD:  # held, only the shipped cue scale was measured
        print_sweep("cue", CUE_SCALE, rows_by_suite, {suite: r["config"] for suite, r in report.items()}, dev, final)
    if args.frontier and not HELD:
        print_frontier(rows_by_suite, dev, args.slack)
    print(f"\nchosen on all development suites: {show(final)} (recall {recall:.3f}, {chars:.0f} chars)")
    if args.json:
        Path(args.json).write_text(json.dumps({"suites": report, "final": final}, default=list, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
