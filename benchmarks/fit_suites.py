"""Fit the answer-or-refuse decision on the development suites, leave one suite out.

    .venv/bin/python benchmarks/fit_suites.py --generator llama-cpp collect   # every suite, never refusing
    .venv/bin/python benchmarks/fit_suites.py --generator llama-cpp fit [--write]
    .venv/bin/python benchmarks/fit_suites.py --generator llama-cpp rank      # ranking apart from the threshold

`collect` runs every suite of evals/suites.toml (rag.evaluation.suites) through the real
pipeline with a decision that never refuses, so every signal is recorded (the model's
too), into evals/.cache/fit/<generator>/ (the runner's reports: one row per question with
its signals and scores).

`fit`, for each development suite in turn: fits the logistic decision on the OTHER
development suites and scores it on the one left out (right and cited = answerable, not
refused, and the never-refusing run's answer was right and cited). The seed gold is
test-only: it is scored by the decision fitted on all development suites and never fitted
on. A feature that fires (is non-zero) on fewer than 5% of the training rows is dropped
from that fit, and `--without FEATURE` leaves a signal out of it (the extractive decision does
not read lead_missing: README). With --write the decision fitted on all development suites is
written into rag/answering/refusal_model.json for that kind of generator, with the held-out
figures. Signals the pipeline reads off what a row stores (lead_missing, subject_missing)
are measured again on every row by the pipeline's own rule (stored_lead_missing).

`export` writes a collection's rows to evals/fit_rows/<generator>.jsonl.gz (suites collected
apart add up there), and `--rows evals/fit_rows` runs fit, score, rank, fallback and
best-sentence on them
without collecting: a fresh machine need not spend 90-180 minutes of the model first
(evals/fit_rows/README.md says which collection the files hold).
"""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

from rag import ConfigError, Settings  # noqa: E402
from rag.answering import DECISIONS_FILE, PRIOR_DECISION, REFUSAL_FEATURES, Decision, cite_rule_refusal, decision_key, figures_missing, fit_decision, lead_missing_in_shown, load_decision, save_decisions  # noqa: E402
from rag.evaluation import fit_rows, load_report, load_suites, run_suites, suite_dirs  # noqa: E402

SUITES = ROOT / "evals" / "suites.toml"
OUT = ROOT / "evals" / ".cache" / "fit"
MIN_FIRING = 0.05  # a feature non-zero on fewer training rows than this is dropped from the fit


def never_refuse() -> Decision:
    """A decision whose threshold no probability reaches: every signal gets recorded (the
    answer check too, which the pipeline otherwise skips when it could not change the outcome)."""
    return Decision(dict(PRIOR_DECISION.weights), PRIOR_DECISION.bias, threshold=2.0, meta={"record_all": True})


def collect(args) -> int:
    specs = load_suites(args.suites)
    out = Path(args.out) / args.generator
    print(f"CPU: {cpu_model()}   generator: {args.generator}   -> {out}", flush=True)
    t0 = time.perf_counter()
    never = never_refuse()
    run_suites(specs, Settings.load(), generators=[args.generator], out_dir=out, limit=args.limit,
               decisions={"language_model": never, "no_model": never}, only=args.only, log=lambda m: print(m, flush=True),
               ids=set(args.ids) if args.ids else None)
    print(f"collected in {time.perf_counter() - t0:.0f} s")
    return 0


def _firing(rows: list[dict], features: list[str]) -> list[str]:
    n = len(rows)
    return [f for f in features if sum(abs(float(r["signals"].get(f, 0.0))) > 1e-9 for r in rows) >= MIN_FIRING * n]


def _scales(args) -> dict[str, str]:
    return dict(item.split("=", 1) for item in args.scales.split(",") if item) if args.scales else {}


def _fit(train: list[dict], args, level: float | None = None) -> tuple[Decision, list[str]]:
    """The decision fitted on `train`, its threshold refusing at most `level` (default
    args.max_false_refusal) of the answerable training rows. Rows refused in the
    never-refusing run (refused_in_run) are left out: the answer check never ran on them.
    Rows a Cite rule refuses (cite_rule) are fitted on as if the rule did not exist
    (rag.answering.cite_rules): they are much of what teaches the decision its weights."""
    level = args.max_false_refusal if level is None else level
    train = [r for r in train if not refused_in_run(r)]
    kept = set(_firing(train, list(REFUSAL_FEATURES))) - set(getattr(args, "without", None) or ())
    # a dropped feature is zero on every training row: its weight stays exactly 0 in the fit
    rows = [{f: (v if f in kept else 0.0) for f, v in r["signals"].items()} for r in train]
    weights = None
    if args.balance:  # every training suite weighs the same, however many rows it has
        sizes = {}
        for r in train:
            sizes[r["suite"]] = sizes.get(r["suite"], 0) + 1
        weights = [1.0 / sizes[r["suite"]] for r in train]
    d = fit_decision(rows, [not r["answerable"] for r in train], l2=args.l2, max_false_refusal=level,
                     scales=_scales(args), sample_weights=weights)
    return d, [f for f in REFUSAL_FEATURES if f not in kept]


def rc(row: dict) -> bool:
    """Was the never-refusing run's answer right and cited?"""
    return bool((row.get("scores") or {}).get("correct_cited"))


def refused_in_run(row: dict) -> bool:
    """Refused in the never-refusing run, so by a rule that stops the answer before its
    signals are all measured (no passage retrieved; at stage Cite, an answer no passage
    supports). Rows collected before that Cite rule (session 14) hold such an answer as text
    that cites nothing. Such rows are not fitted on."""
    return bool(row.get("refused")) or (bool((row.get("answer") or "").strip()) and not row.get("citations"))


def cite_rule(row: dict) -> str | None:
    """The refusal code of the rag.answering.cite_rules rule that refuses this stored answer,
    read off what the row holds (the shown sentences, the retrieved titles, the citations),
    or None. The pipeline reads the retrieved passages whole where a row holds their shown
    sentences and titles, so here the subject rule can reach a row the pipeline would not;
    on the rows it reaches in session 28, the pipeline refused every one live."""
    if refused_in_run(row):
        return None
    shown, titles = row_check_inputs(row)
    sections = {h["chunk_id"]: h.get("section") or "" for h in row.get("retrieved") or []}
    cited = dict.fromkeys(sections[c["chunk_id"]] for c in row.get("citations") or [] if c.get("chunk_id") in sections)
    retrieved = [text for _, text in shown] + list(sections.values())
    ruled = cite_rule_refusal(row["question"], row.get("answer") or "", shown, titles, retrieved, cited)
    return ruled.code if ruled else None


def refused_by_rule(row: dict) -> bool:
    """Refused whatever the decision: in the never-refusing run (refused_in_run), or by a rule
    of stage Cite that the run notes and goes past (cite_rule, measured on every read)."""
    return refused_in_run(row) or bool(row.get("cite_rule"))


def score(decision: Decision, rows: list[dict]) -> dict:
    """The suite's figures had the pipeline used this decision."""
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    refused = {id(r): refused_by_rule(r) or decision.probability(r["signals"]) >= decision.threshold for r in rows}
    first = [r["timings"]["first_token"] for r in rows if r.get("timings", {}).get("first_token") is not None]
    ev = [bool((r.get("scores") or {}).get("evidence_recall")) for r in ans if r.get("gold_answers")]
    return {
        "n_answerable": len(ans), "n_unanswerable": len(una),
        # NoMIRACL has no gold answer strings: right-and-cited is undefined there
        "right_and_cited": (round(sum(rc(r) and not refused[id(r)] for r in ans) / len(ans), 3)
                            if ans and any(r.get("gold_answers") for r in ans) else None),
        "answerable_refused": round(sum(refused[id(r)] for r in ans) / len(ans), 3) if ans else None,
        "unanswerable_refused": round(sum(refused[id(r)] for r in una) / len(una), 3) if una else None,
        "evidence_recall": round(sum(ev) / len(ev), 3) if ev else None,
        "first_token_p50": round(statistics.median(first), 3) if first else None,
    }


# --calibrate: the training share of answerable rows the threshold may refuse, chosen on this grid
LEVELS = (0.01, 0.02, 0.03, 0.04, 0.05)


def calibrated_level(rows_by_suite: dict[str, list[dict]], suites: list[str], args) -> float:
    """The threshold's training level chosen by leaving suites out within `suites` only:
    the largest level on LEVELS whose decision, fitted on all but one of them, refuses at
    most args.target_refused of the left-out suite's answerable questions, on average over
    the suites that have some (their mean, or their median with args.calibrate_by). A
    threshold set on its own training rows refuses more on a corpus it has not seen (the
    training rows are the easy case), so it must be set lower than the target for the
    target to hold on new documents."""
    held = [s for s in suites if any(r["answerable"] for r in rows_by_suite[s])]
    chosen = LEVELS[0]
    for level in LEVELS:
        refused = []
        for out in held:
            d, _ = _fit([r for s in suites if s != out for r in rows_by_suite[s]], args, level)
            refused.append(score(d, rows_by_suite[out])["answerable_refused"])
        typical = statistics.median(refused) if args.calibrate_by == "median" else statistics.mean(refused)
        if typical <= args.target_refused + 1e-9:
            chosen = level
    return chosen


def threshold_level(rows_by_suite: dict[str, list[dict]], suites: list[str], args) -> float:
    """The training share the threshold may refuse, for a decision fitted on `suites`:
    calibrated on them with --calibrate, else --max-false-refusal."""
    return calibrated_level(rows_by_suite, suites, args) if args.calibrate else args.max_false_refusal


def leave_one_out(rows_by_suite: dict[str, list[dict]], test_only: set[str], args) -> dict[str, dict]:
    """Each suite scored by the decision fitted on the other development suites (with
    --calibrate, its level too is chosen on them alone: the left-out suite is never seen)."""
    dev = [s for s in rows_by_suite if s not in test_only]
    figures = {}
    for suite, rows in rows_by_suite.items():
        others = [s for s in dev if s != suite]
        level = threshold_level(rows_by_suite, others, args)
        d, dropped = _fit([r for s in others for r in rows_by_suite[s]], args, level)
        figures[suite] = {**score(d, rows), "fitted_on": others, "dropped": dropped, "level": level}
    return figures


COLUMNS = ["right_and_cited", "answerable_refused", "unanswerable_refused", "evidence_recall", "first_token_p50"]


def _print_table(figures: dict[str, dict], test_only: set[str], extra: str | None = None) -> None:
    print("| suite | n ans / unans | " + " | ".join(c.replace("_", " ") for c in COLUMNS) + (f" | {extra} |" if extra else " |"))
    print("|---|---:|" + "---:|" * len(COLUMNS) + ("---|" if extra else ""))
    for suite, f in figures.items():
        mark = " (test only)" if suite in test_only else ""
        cells = [("—" if f[c] is None else f"{f[c]:.3f}") for c in COLUMNS]
        tail = f" | {', '.join(f.get('dropped', [])) or '—'} |" if extra else " |"
        print(f"| {suite}{mark} | {f['n_answerable']} / {f['n_unanswerable']} | " + " | ".join(cells) + tail)


def _rows(args) -> tuple[dict[str, list[dict]], set[str]]:
    specs = load_suites(args.suites)
    if getattr(args, "rows", None):  # a Namespace built by hand (tests) has no --rows
        rows_by_suite, folders = read_shipped_rows(Path(args.rows), args.generator), {}
    else:
        rows_by_suite = fit_rows(Path(args.out) / args.generator, args.generator, include_test_only=True)
        folders = suite_dirs(Path(args.out) / args.generator, args.generator)
    rows_by_suite = {s: r for s, r in rows_by_suite.items() if s not in (args.skip or [])}
    return measured(rows_by_suite, folders), {s.name for s in specs if s.test_only}


def measured(rows_by_suite: dict[str, list[dict]], folders: dict[str, Path] | None = None) -> dict[str, list[dict]]:
    """The rows with the signals the pipeline reads off what a row stores measured again by
    its current rules (stored_lead_missing, stored_subject_missing), the rule of stage Cite
    that refuses the row, if any (`cite_rule`), and the answer checks of a collection's
    checks.json (`check`) added: what every command reads."""
    folders = folders or {}
    for suite, rows in rows_by_suite.items():
        checks = {f: _read_json(folders[suite] / name) if suite in folders else {} for f, name in CHECK_FILES.items()}
        for r in rows:
            r["signals"] = r.get("signals") or (r.get("refusal") or {}).get("signals") or {}
            if r["signals"]:
                r["signals"]["lead_missing"] = stored_lead_missing(r)
                merge_lacks_asked(r["signals"])
            if r["signals"] and r["signals"].get("subject_missing") is not None:
                r["signals"]["subject_missing"] = stored_subject_missing(r)
            r["cite_rule"] = cite_rule(r) if r.get("question") else None
            for f, values in checks.items():
                if r["signals"] and values.get(r["id"]) is not None:
                    r["signals"].setdefault(f, values[r["id"]])
            r["suite"] = suite
    return rows_by_suite


def merge_lacks_asked(signals: dict) -> None:
    """Rows collected before session 21 hold `draft_no_figure` and `draft_no_name` apart; the
    pipeline now measures them as one signal, `draft_lacks_asked`, the larger of the two."""
    parts = [signals.pop(f) for f in ("draft_no_figure", "draft_no_name") if f in signals]
    if parts and "draft_lacks_asked" not in signals:
        signals["draft_lacks_asked"] = max(float(v or 0.0) for v in parts)


ROWS = ROOT / "evals" / "fit_rows"  # committed collections (`export`): <generator>.jsonl.gz
# what fit, score, rank and fallback read of a row; the rest of a report row (config, warnings,
# the stage timings) stays in the collection
EXPORTED = ("id", "question", "lang", "answerable", "gold_answers", "retrieved", "answer", "citations", "refused",
            "evidence", "signals", "scores")


def read_shipped_rows(folder: Path, generator: str) -> dict[str, list[dict]]:
    """Suite name -> rows, from an `export` file (`--rows DIR`): DIR/<generator>.jsonl.gz."""
    path = folder / f"{generator}.jsonl.gz"
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; `benchmarks/fit_suites.py --out DIR --generator {generator} export "
                          f"{folder}` writes it from a collection.")
    by_suite: dict[str, list[dict]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            by_suite.setdefault(row.pop("suite"), []).append(row)
    return by_suite


def export_cmd(args) -> int:
    """Write the collected rows a decision is fitted and scored on (every suite collected,
    the test-only ones too, with their answer checks) as one gzipped JSON-lines file,
    DIR/<generator>.jsonl.gz, so `fit`, `score`, `rank` and `fallback` run from it with
    `--rows DIR` without collecting again (90-180 minutes on 2 cores for the model). A suite
    this collection does not hold keeps the rows it has in an existing file (their signals
    measured again, as on every read), so suites collected apart (`collect --only`) add up;
    suites are written in evals/suites.toml's order."""
    collected, _ = _rows(args)
    folder = Path(args.dest)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{args.generator}.jsonl.gz"
    # measured again as the collected ones are, so the file reads the same whatever was merged
    existing = measured(read_shipped_rows(folder, args.generator)) if path.is_file() else {}
    kept_before = {s: r for s, r in existing.items() if s not in collected}
    if kept_before:
        print(f"kept from {path}: {', '.join(kept_before)}")
    if args.by_id:
        # row by row: the file's rows of a collected suite stay, in their order, unless asked
        # again; questions the file does not hold yet (a suite collected past its old --limit)
        # follow them, in the order asked
        for suite, rows in ((s, r) for s, r in existing.items() if s in collected):
            fresh = {r["id"]: r for r in collected[suite]}
            held = {r["id"] for r in rows}
            added = [r for r in collected[suite] if r["id"] not in held]
            collected[suite] = [fresh.get(r["id"], r) for r in rows] + added
            print(f"{suite}: {len(fresh) - len(added)} of {len(rows)} rows replaced, {len(added)} added")
    merged = {**kept_before, **collected}
    order = [s.name for s in load_suites(args.suites)]
    rows_by_suite = {s: merged[s] for s in sorted(merged, key=lambda s: (order.index(s) if s in order else len(order), s))}
    n = 0
    # mtime 0: the same rows give the same bytes, so git sees no change where there is none
    with gzip.GzipFile(path, "wb", mtime=0) as raw:
        for suite, rows in rows_by_suite.items():
            for r in rows:
                kept = {k: r[k] for k in EXPORTED if k in r}
                kept["timings"] = {"first_token": (r.get("timings") or {}).get("first_token")}
                raw.write((json.dumps({"suite": suite, **kept}, ensure_ascii=False) + "\n").encode("utf-8"))
                n += 1
    print(f"{n} rows of {len(rows_by_suite)} suites -> {path} ({path.stat().st_size / 1e3:.0f} kB)")
    return 0


def stored_lead_missing(row: dict) -> float:
    """`lead_missing` of a row, measured as the pipeline does now (refusal.context_signals) on
    what the row stores: the shown sentences and the retrieved passages' titles. Every row is
    measured again, so a row collected before the signal or its rule changed (session 18: the
    opening name holding a retrieved title) reads what the pipeline would."""
    return round(lead_missing_in_shown(row["question"], (e["text"] for e in row.get("evidence") or []),
                                       (h.get("section") or "" for h in row.get("retrieved") or [])), 4)


def stored_subject_missing(row: dict) -> float:
    """`subject_missing` of a row with its figure part (refusal.figures_missing, session 14),
    measured as the pipeline does on what the row stores: the shown sentences and their
    passages' titles. The larger of the two, as the pipeline takes it, so a row collected
    with the figure part keeps its value."""
    shown, titles = row_check_inputs(row)
    figures = figures_missing(row["question"], row.get("answer") or "", shown, titles)
    return round(max(float(row["signals"].get("subject_missing") or 0.0), figures), 4)


# per suite folder, from `check`: row id -> the answer check's value, one file per check
CHECK_FILES = {"model_unverified": "checks.json", "model_unanswered": "answered.json"}


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def row_check_inputs(row: dict) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """What the answer check (rag.answering.check) reads, from a stored row: the shown
    sentences as (passage number, text), best first, and each passage's title."""
    sections = {h["chunk_id"]: h.get("section") or "" for h in row.get("retrieved") or []}
    shown = [(int(e["n"]), e["text"]) for e in row.get("evidence") or []]
    titles = {int(e["n"]): sections.get(e["chunk_id"], "") for e in row.get("evidence") or []}
    return shown, titles


def check_cmd(args) -> int:
    """The answer checks (`model_unverified`, `model_unanswered`) for rows collected before the
    Verify stage recorded them: the pipeline's own functions (rag.answering.check) run on each
    stored row's final answer, written to the suite folder's CHECK_FILES (rows already there are
    skipped)."""
    from tqdm import tqdm

    from rag.answering import check_answer, check_answered
    from rag.answering.generators import make_generator

    checks = {"model_unverified": check_answer, "model_unanswered": check_answered}
    gen = make_generator(args.generator, Settings.load())
    if not gen.supports_probe:
        raise SystemExit(f"{args.generator} reports no first-token probabilities: there is nothing to check with.")
    print(f"CPU: {cpu_model()}   generator: {args.generator}", flush=True)
    for suite, folder in suite_dirs(Path(args.out) / args.generator, args.generator).items():
        if args.only and suite not in args.only:
            continue
        done = {f: _read_json(folder / name) for f, name in CHECK_FILES.items()}
        rows = [r for r in load_report(folder)["rows"] if any(r["id"] not in d for d in done.values())][: args.limit]
        t0 = time.perf_counter()
        for r in tqdm(rows, desc=suite, unit="q", disable=not sys.stderr.isatty()):
            shown, titles = row_check_inputs(r)
            for f, run in checks.items():  # in the pipeline's order: the second reads the first's cached prefix
                if r["id"] not in done[f]:
                    value = run(gen.checker(), r["question"], r.get("answer") or "", shown, titles)
                    done[f][r["id"]] = None if value is None else round(value, 6)
        for f, name in CHECK_FILES.items():
            (folder / name).write_text(json.dumps(done[f], ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"{suite}: {len(rows)} rows checked in {time.perf_counter() - t0:.0f} s -> {folder}", flush=True)
    return 0


def score_cmd(args) -> int:
    """The suites' figures with the decision the package ships (refusal_model.json), as a
    run of `rag eval --suite` would give them: the rows were answered with every signal
    recorded, and the shipped decision is applied to them."""
    rows_by_suite, test_only = _rows(args)
    decision = load_decision(decision_key(args.generator != "extractive"))
    figures = {s: score(decision, rows) for s, rows in rows_by_suite.items()}
    print(f"{args.generator}: the shipped decision ({decision.meta.get('fitted_on', 'prior')})")
    _print_table(figures, test_only)
    if args.json:
        Path(args.json).write_text(json.dumps({"generator": args.generator, "figures": figures}, ensure_ascii=False,
                                              indent=1) + "\n", encoding="utf-8")
    return 0


def fit_cmd(args) -> int:
    rows_by_suite, test_only = _rows(args)
    figures = leave_one_out(rows_by_suite, test_only, args)
    cols = COLUMNS
    print(f"{args.generator}: each suite scored by the decision fitted on the other development suites "
          f"(test-only suites: fitted on all development suites); L2 {args.l2}, "
          + (f"threshold level calibrated so that at most {args.target_refused:.0%} of a left-out suite's answerable "
             "questions are refused (chosen on the training suites alone)" if args.calibrate else
             f"at most {args.max_false_refusal:.0%} answerable training rows refused"))
    _print_table(figures, test_only, extra="features dropped")
    dev = [s for s in rows_by_suite if s not in test_only]
    dev_rows = [r for s in dev for r in rows_by_suite[s]]
    level = threshold_level(rows_by_suite, dev, args)
    final, dropped = _fit(dev_rows, args, level)
    if args.calibrate:
        print("threshold level chosen per held-out suite: " + ", ".join(f"{s} {f['level']}" for s, f in figures.items())
              + f"; on all development suites: {level}")
    print("final (all development suites):", json.dumps({k: round(v, 3) for k, v in final.weights.items()}),
          "bias", round(final.bias, 3), "threshold", round(final.threshold, 4), "dropped", dropped)
    if args.json:
        Path(args.json).write_text(json.dumps({"generator": args.generator, "figures": figures}, ensure_ascii=False,
                                              indent=1) + "\n", encoding="utf-8")
    if args.write:
        ruled = sum(refused_in_run(r) for r in dev_rows)
        cited_rule = sum(bool(r.get("cite_rule")) for r in dev_rows)
        meta = {"fitted_on": f"{len(dev_rows) - ruled} rows of the development suites "
                             f"{', '.join(dev)} ({args.generator}; {ruled} more refused by a rule before their "
                             f"signals were all measured; {cited_rule} of the fitted rows refused by a rule of "
                             f"stage Cite whatever the decision says)",
                "leave_one_suite_out": {s: {k: f[k] for k in cols[:3]} for s, f in figures.items()},
                "dropped_features": dropped, "max_false_refusal": level, "l2": args.l2,
                "calibrated": ({"target_refused": args.target_refused, "levels": list(LEVELS), "by": args.calibrate_by}
                               if args.calibrate else None),
                "balanced_suites": args.balance,
                # the cosine signals are on this embedder's scale (Decision.for_embedder)
                "embedder": Settings.load().embedder,
                "means": {f: round(statistics.mean(final.features(r["signals"]).get(f, 0.0) for r in dev_rows), 4)
                          for f in REFUSAL_FEATURES},
                "command": f"benchmarks/fit_suites.py{' --rows ' + args.rows if args.rows else ''} --generator {args.generator} fit --l2 {args.l2} "
                           + (f"--calibrate --calibrate-by {args.calibrate_by} --target-refused {args.target_refused}"
                              if args.calibrate
                              else f"--max-false-refusal {args.max_false_refusal}") + f" --scales '{args.scales}'"
                           f"{'' if args.balance else ' --no-balance'}"
                           + "".join(f" --without {f}" for f in args.without or ()) + " --write"}
        kind = decision_key(args.generator != "extractive")
        save_decisions({kind: Decision(final.weights, final.bias, final.threshold, meta, final.scales)})
        print(f"wrote the {kind!r} decision to {DECISIONS_FILE}")
    return 0


def auc(positives: list[float], negatives: list[float]) -> float | None:
    """P(a positive scores above a negative), ties counting half (None without both kinds)."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def best_threshold_refusals(p_unanswerable: list[float], p_answerable: list[float], at_most: float) -> float | None:
    """The share of unanswerable questions refused by the threshold that refuses at most
    `at_most` of the answerable ones, the best one for this suite: what the ranking allows
    before any threshold has to carry over from other suites."""
    if not p_unanswerable or not p_answerable:
        return None
    ranked = sorted(p_answerable, reverse=True)
    allowed = int(at_most * len(ranked) + 1e-9)  # answerable questions that may be refused
    bar = ranked[allowed] if allowed < len(ranked) else -1.0  # refuse only what is above it
    return sum(p > bar for p in p_unanswerable) / len(p_unanswerable)


def rank_cmd(args) -> int:
    """How well each left-out suite's questions are ranked by the decision fitted on the other
    development suites, apart from where its threshold falls: the AUC of its probability
    (unanswerable above answerable) and the share of unanswerable questions the suite's own
    best threshold would refuse at --at-most of its answerable ones refused. A signal that ranks
    better can still move the held-out figures of `fit` little when the threshold carried over
    from the other suites lands elsewhere on a new corpus."""
    rows_by_suite, test_only = _rows(args)
    dev = [s for s in rows_by_suite if s not in test_only]
    print(f"{args.generator}: each suite ranked by the decision fitted on the other development suites "
          f"(test-only suites: on all of them), L2 {args.l2}" + "".join(f", without {f}" for f in args.without or ()))
    print(f"| suite | AUC | unanswerable refused at the best threshold refusing <= {args.at_most:.0%} of the answerable |")
    print("|---|---:|---:|")
    for suite, rows in rows_by_suite.items():
        decision, _ = _fit([r for s in dev if s != suite for r in rows_by_suite[s]], args)
        # a row a rule refuses whatever the decision says ranks as refused (as score() counts it)
        p = {id(r): 1.0 if refused_by_rule(r) else decision.probability(r["signals"]) for r in rows}
        una = [p[id(r)] for r in rows if not r["answerable"]]
        ans = [p[id(r)] for r in rows if r["answerable"]]
        area, best = auc(una, ans), best_threshold_refusals(una, ans, args.at_most)
        print(f"| {suite}{' (test only)' if suite in test_only else ''} | {'—' if area is None else f'{area:.3f}'} | "
              f"{'—' if best is None else f'{best:.3f}'} |")
    return 0


FALLBACK_GRID = (0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _fallback_rows(args) -> dict[str, list[tuple[float, bool, bool]]]:
    """Per suite, per answerable question with gold answers: (the model draft's support, the
    model path right and cited, the extractive path right and cited), from the two
    generators' collected rows (same questions, same evidence)."""
    lm, _ = _rows(args)
    x = (read_shipped_rows(Path(args.rows), "extractive") if getattr(args, "rows", None)
         else fit_rows(Path(args.out) / "extractive", "extractive", include_test_only=True))
    out = {}
    for suite, rows in lm.items():
        picked = {r["id"]: r for r in x.get(suite, [])}
        out[suite] = [(float(r["signals"].get("draft_support", 1.0)), rc(r), rc(picked[r["id"]]))
                      for r in rows if r["answerable"] and r.get("gold_answers") and r["id"] in picked]
    return {s: v for s, v in out.items() if v}


def fallback_cmd(args) -> int:
    """The draft-support level under which the model's answer is set aside for the extractive
    path's (rag.answering.stages.UNSUPPORTED_DRAFT), chosen leave one suite out: the level on
    the grid with the best mean right-and-cited over the other development suites (the lowest
    such level on ties, so the model's own answer is kept where it does as well)."""
    rows = _fallback_rows(args)
    specs = load_suites(args.suites)
    test_only = {s.name for s in specs if s.test_only}
    dev = [s for s in rows if s not in test_only]

    def rc_at(suite_rows, level):
        return sum((x if support < level else m) for support, m, x in suite_rows) / len(suite_rows)

    def choose(names):
        return max(FALLBACK_GRID, key=lambda t: (round(statistics.mean(rc_at(rows[n], t) for n in names), 6), -t))

    # the rows were collected at 0.25 (below it the answer is already the extractive one)
    print("| suite | chosen on | level | right and cited (model path, level chosen) | at 0.25 | extractive path |")
    print("|---|---|---:|---:|---:|---:|")
    for suite, suite_rows in rows.items():
        train = [d for d in dev if d != suite]
        level = choose(train)
        print(f"| {suite}{' (test only)' if suite in test_only else ''} | {', '.join(train)} | {level} | "
              f"{rc_at(suite_rows, level):.3f} | {rc_at(suite_rows, 0.25):.3f} | "
              f"{sum(x for _, _, x in suite_rows) / len(suite_rows):.3f} |")
    print(f"chosen on all development suites: {choose(dev)}")
    return 0


def _model_args(p: argparse.ArgumentParser) -> None:
    """The options of the fitted decision itself (fit, rank)."""
    p.add_argument("--l2", type=float, default=0.3)
    p.add_argument("--max-false-refusal", type=float, default=0.05,
                   help="share of the answerable training rows the threshold may refuse (without --calibrate)")
    p.add_argument("--scales", default="model_refuse=log",
                   help="features read on another scale, as name=transform pairs ('' for none)")
    p.add_argument("--no-balance", dest="balance", action="store_false",
                   help="weigh every row alike instead of every training suite alike")
    p.add_argument("--without", action="append", metavar="FEATURE",
                   help="a signal this decision does not read (weight 0; repeatable)")


GROWTH_GRID = (1.5, 2.0, 2.5, 3.0, 4.0, float("inf"))


def _growth_changes(rows_by_suite: dict[str, list[dict]]) -> dict[str, list[tuple[float, int]]]:
    """Per suite, each stored model answer the best-sentence rule (rag.answering.give_clause)
    would change with no length limit: (the sentence's length over the answer's as the rule
    compares them, +1 when a wrong answer would hold a gold answer by the metric's own check
    (rag.evaluation.contains), -1 when a right one would no longer, else 0). The rows must be
    from before the rule (it has already changed those after it)."""
    from rag.answering import answer_length, give_clause
    from rag.evaluation import contains

    out: dict[str, list[tuple[float, int]]] = {}
    for suite, rows in rows_by_suite.items():
        changes = []
        for r in rows:
            if not r.get("evidence") or refused_by_rule(r):
                continue
            shown = [e["text"] for e in r["evidence"]]
            # the rule off (no sentence is at most 0x an answer) and with no limit: what it adds
            before, _ = give_clause(r["answer"], r["question"], shown, max_growth=0.0)
            whole, _ = give_clause(r["answer"], r["question"], shown, max_growth=float("inf"))
            if whole == before:
                continue
            effect = 0
            if r["answerable"] and r.get("gold_answers"):
                holds = bool(contains(whole, r["gold_answers"]))
                effect = int(holds and not rc(r)) - int(rc(r) and not holds)
            changes.append((answer_length(whole) / max(1, answer_length(before)), effect))
        out[suite] = changes
    return out


def best_sentence_cmd(args) -> int:
    """The length limit of the best-sentence rule (wording.BEST_SENTENCE_MAX_GROWTH), chosen
    on stored answers (the rule changes only wording, so no grid value needs the rows asked
    again): the smallest limit on the grid with no right answer made wrong and, among those,
    the most wrong answers made right, leaving each development suite out in turn and on all of
    them. Run it on rows from before the rule: `git show 451e2ee:evals/fit_rows/llama-cpp.jsonl.gz`."""
    rows_by_suite, test_only = _rows(args)
    changes = _growth_changes({s: r for s, r in rows_by_suite.items() if s not in test_only})

    def totals(names: list[str], limit: float) -> tuple[int, int, int]:
        picked = [e for n in names for ratio, e in changes[n] if ratio <= limit]
        return len(picked), sum(e > 0 for e in picked), sum(e < 0 for e in picked)

    def choose(names: list[str]) -> float:
        def merit(limit: float) -> tuple[bool, int, float]:
            _, right, wrong = totals(names, limit)
            return wrong == 0, right - wrong, -limit
        return max(GROWTH_GRID, key=merit)

    dev = list(changes)
    print("| left out | chosen on the others | " + " | ".join(f"{g}x: changed / made right / made wrong" for g in GROWTH_GRID) + " |")
    print("|---|---:|" + "---|" * len(GROWTH_GRID))
    for suite in [*dev, None]:
        names = [n for n in dev if n != suite]
        cells = " | ".join("{} / {} / {}".format(*totals(names, g)) for g in GROWTH_GRID)
        print(f"| {suite or '(none: all development suites)'} | {choose(names)} | {cells} |")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--suites", default=str(SUITES))
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--rows", metavar="DIR", help="read the rows from DIR/<generator>.jsonl.gz (`export`; the shipped "
                    f"ones: {ROWS.relative_to(ROOT)}) instead of the collection under --out")
    ap.add_argument("--generator", default="llama-cpp")
    ap.add_argument("--skip", action="append", help="a collected suite to leave out of fit / score / fallback (repeatable)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect", help="run every suite with a never-refusing decision, keeping every signal")
    c.add_argument("--only", nargs="*", help="suite names (default: all)")
    c.add_argument("--limit", type=int, default=None, help="questions per suite")
    c.add_argument("--ids", nargs="*", help="ask only these question ids (a rule that reaches a few rows: "
                                             "then `export --by-id`)")
    c.set_defaults(func=collect)
    f = sub.add_parser("fit", help="leave-one-suite-out figures; --write stores the decision fitted on all")
    _model_args(f)
    f.add_argument("--calibrate", action="store_true",
                   help="choose that share on LEVELS by leaving training suites out, so that a left-out suite's "
                        "answerable questions are refused at most --target-refused on average")
    f.add_argument("--target-refused", type=float, default=0.05)
    f.add_argument("--calibrate-by", choices=("mean", "median"), default="mean",
                   help="--calibrate's target holds for the mean of the left-out suites' refusals (default) or their median")
    f.add_argument("--write", action="store_true")
    f.add_argument("--json", help="also write the figures to this file")
    f.set_defaults(func=fit_cmd)
    s = sub.add_parser("score", help="the suites' figures with the decision the package ships")
    s.add_argument("--json", help="also write the figures to this file")
    s.set_defaults(func=score_cmd)
    r = sub.add_parser("rank", help="each left-out suite's ranking (AUC, best-threshold refusals), apart from the threshold")
    _model_args(r)
    r.add_argument("--at-most", type=float, default=0.05, help="share of a suite's answerable questions the best threshold may refuse")
    r.set_defaults(func=rank_cmd)
    k = sub.add_parser("check", help="the model's answer checks (model_unverified, model_unanswered) for rows collected without them")
    k.add_argument("--only", nargs="*", help="suite names (default: all)")
    k.add_argument("--limit", type=int, default=None, help="rows per suite")
    k.set_defaults(func=check_cmd)
    e = sub.add_parser("export", help="write the collected rows to DIR/<generator>.jsonl.gz, for --rows")
    e.add_argument("dest", metavar="DIR", nargs="?", default=str(ROWS))
    e.add_argument("--by-id", action="store_true",
                   help="a collected row replaces the file's row of its suite and id, or follows the suite's rows when "
                        "the file has none; the file's other rows stay (for `collect --ids`; without it a "
                        "collected suite replaces the file's whole suite)")
    e.set_defaults(func=export_cmd)
    b = sub.add_parser("fallback", help="the draft-support level under which the extractive answer replaces the model's")
    b.set_defaults(func=fallback_cmd)
    g = sub.add_parser("best-sentence", help="the length limit under which an answer drawn from the best sentence is "
                                             "given that whole sentence")
    g.set_defaults(func=best_sentence_cmd)
    return ap


def main() -> int:
    args = parser().parse_args()
    try:
        return args.func(args)
    except ConfigError as e:  # no collection under --out: say so, no traceback
        raise SystemExit(str(e)) from None


if __name__ == "__main__":
    raise SystemExit(main())
