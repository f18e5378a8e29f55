"""Run the development suites (rag.evaluation.suites) through the ordinary runner and
print one table per suite and generator.

    results = run_suites(specs, settings, generators=["extractive"], out_dir="runs/suites")
    print(suite_table(results))

Each suite and generator gets DIR/<suite>-<generator>/ with the runner's usual files
(report.json with every row, its answer, refusal and signals; resumable rows.jsonl);
DIR/suites.md and DIR/suites.json hold the table. `fit_rows(DIR)` reads the rows back for a
fit, leaving out the suites marked test_only.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigError
from .reports import fmt
from .runner import load_report, run_eval
from .suites import BuiltSuite, SuiteSpec, build_suite

Log = Callable[[str], None]

# table column -> how it is read from a report summary
COLUMNS = (
    ("right and cited", "correct_cited"),
    ("answerable refused", "false_refusal_rate"),
    ("unanswerable refused", "refusal_recall"),
    ("evidence recall", "evidence_recall"),
    ("first-token p50 s", "latency.first_token.p50"),
)


@dataclass
class SuiteResult:
    suite: str
    generator: str
    test_only: bool
    out_dir: str
    summary: dict[str, Any]
    seconds: float  # wall time of this suite and generator, building included
    note: str = ""

    def figures(self) -> dict[str, Any]:
        return {label: self.summary.get(key) for label, key in COLUMNS}

    def to_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "generator": self.generator, "test_only": self.test_only,
                "out_dir": self.out_dir, "seconds": self.seconds, "note": self.note,
                "n_answerable": self.summary.get("n_answerable"), "n_unanswerable": self.summary.get("n_unanswerable"),
                "n_errors": self.summary.get("n_errors"), "figures": self.figures(), "summary": self.summary}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SuiteResult":
        return cls(d["suite"], d["generator"], d["test_only"], d["out_dir"], d.get("summary", {}), d["seconds"],
                   d.get("note", ""))


class SuiteAssistants:
    """One Assistant per corpus (loading it builds or reuses its index through the same code
    as `rag index`), and one instance of each generator shared by all of them: a language
    model is loaded once per run, not once per suite."""

    def __init__(self, log: Log | None = None):
        self.by_folder: dict[tuple[str, str], Any] = {}
        self.generators: dict[str, Any] = {}
        self.log = log or (lambda msg: None)

    def for_suite(self, built: BuiltSuite, base: Settings, generators: Sequence[str]):
        assistant = self.assistant(built, base)
        for name in generators:
            if name not in self.generators:
                self.generators[name] = assistant.generator(name)
            assistant.register_generator(self.generators[name], name)
        return assistant

    def assistant(self, built: BuiltSuite, base: Settings):
        """The Assistant a suite's questions are asked through: its corpus', or for a
        given-passage suite one that answers each question from its own passages."""
        from ..assistant import Assistant

        if built.passages is not None:
            from .nomiracl import OwnPassagesAssistant

            return OwnPassagesAssistant(self._load(base, Assistant), built.passages)
        return self._load(built.settings, Assistant)

    def _load(self, settings: Settings, assistant_cls):
        key = (str(settings.corpus_path), str(settings.index_path))
        if key not in self.by_folder:
            self.log(f"Opening the index of {key[0]} (built on first use; later runs reuse it)")
            assistant = assistant_cls.load(settings, progress=True, log=self.log)
            assistant.warm_up(embed_missing=True)  # the sentence vectors `rag index` also writes
            self.by_folder[key] = assistant
        return self.by_folder[key]


def run_suites(specs: Sequence[SuiteSpec], base: Settings, *, generators: Sequence[str], out_dir: str | os.PathLike,
               limit: int | None = None, resume: bool = True, k: int | None = None, retrieval: str | None = None,
               progress=None, log: Log | None = None, decisions: dict | None = None,
               only: Sequence[str] | None = None, ids: Collection[str] | None = None) -> list[SuiteResult]:
    """Every suite for every generator, through rag.evaluation.runner.run_eval; writes
    DIR/<suite>-<generator>/ and DIR/suites.md, DIR/suites.json. `decisions` replaces the
    answer-or-refuse decisions by kind (benchmarks/fit_suites.py collects every signal with
    one that never refuses). `ids`: ask only the questions with these ids (a suite holding
    none of them is skipped): to ask again the few a change of rule reaches."""
    log = log or (lambda msg: None)
    if not generators:
        raise ConfigError("Name at least one generator for the suites (e.g. --generator extractive).")
    out = Path(out_dir)
    loaded = SuiteAssistants(log)
    results: list[SuiteResult] = []
    for spec in specs:
        if only and spec.name not in only:
            continue  # the others stay in `specs`: a suite may take its corpus from another (corpus_of)
        t0 = time.perf_counter()
        built = build_suite(spec, base, list(specs))
        if ids is not None:
            built = replace(built, items=[item for item in built.items if item.id in ids])
            if not built.items:
                continue
        for n, gen in enumerate(generators):
            if n:
                t0 = time.perf_counter()
            assistant = loaded.for_suite(built, base, generators)
            if decisions:
                assistant.decisions.update(decisions)
            run_dir = out / f"{spec.name}-{gen}"
            log(f"Suite {spec.name} · {gen}: {len(built.items)} questions -> {run_dir}")
            report = run_eval(assistant, built.items, out_dir=run_dir, generator=gen, k=k, retrieval=retrieval,
                              resume=resume, limit=limit, progress=progress, log=log)
            results.append(SuiteResult(spec.name, gen, spec.test_only, str(run_dir), report["summary"],
                                       round(time.perf_counter() - t0, 1), built.note))
            write_tables(results, out)
    return results


def suite_table(results: Sequence[SuiteResult]) -> str:
    """One markdown table: a row per suite and generator."""
    head = ["suite", "generator", "answerable / unanswerable", *(label for label, _ in COLUMNS), "wall s"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---:|" + "---:|" * (len(COLUMNS) + 1)]
    for r in results:
        mark = " (test only)" if r.test_only else ""
        cells = [f"{r.suite}{mark}", r.generator, f"{r.summary.get('n_answerable')} / {r.summary.get('n_unanswerable')}",
                 *(fmt(v) for v in r.figures().values()), f"{r.seconds:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [_nomiracl_note(r) for r in results if r.suite.startswith("nomiracl")]
    return "\n".join(lines + ([""] + notes if notes else []))


def _nomiracl_note(r: SuiteResult) -> str:
    """NoMIRACL's own terms: answered without a relevant passage = 1 - non-relevant refused."""
    unans = r.summary.get("refusal_recall")
    answered = None if unans is None else 1 - unans
    return (f"{r.suite} · {r.generator}: answered without a relevant passage {fmt(answered)}, "
            f"relevant ones refused {fmt(r.summary.get('false_refusal_rate'))}")


def write_tables(results: Sequence[SuiteResult], out: Path) -> None:
    """DIR/suites.md and DIR/suites.json: this run's results, after the ones earlier runs
    into the same folder left for other suites or generators (a run of one suite with
    --only keeps the others' rows)."""
    out.mkdir(parents=True, exist_ok=True)
    mine = {(r.suite, r.generator) for r in results}
    earlier = []
    index = out / "suites.json"
    if index.is_file():
        try:
            earlier = [SuiteResult.from_dict(d) for d in json.loads(index.read_text(encoding="utf-8"))["results"]]
        except (json.JSONDecodeError, KeyError, TypeError):
            earlier = []  # an unreadable table is rewritten from this run alone
    results = [r for r in earlier if (r.suite, r.generator) not in mine] + list(results)
    (out / "suites.md").write_text("# Development suites\n\n" + suite_table(results) + "\n", encoding="utf-8")
    (out / "suites.json").write_text(json.dumps({"results": [r.to_dict() for r in results]}, ensure_ascii=False,
                                                indent=2) + "\n", encoding="utf-8")


def suite_dirs(out_dir: str | os.PathLike, generator: str, *, include_test_only: bool = True) -> dict[str, Path]:
    """Suite name -> the folder of its report, for this generator, from DIR/suites.json."""
    out = Path(out_dir)
    index = out / "suites.json"
    if not index.is_file():
        raise ConfigError(f"{index} does not exist; run `rag eval --suite ... --out {out}` first.")
    return {r["suite"]: _report_folder(out, r["out_dir"]) for r in json.loads(index.read_text(encoding="utf-8"))["results"]
            if r["generator"] == generator and (include_test_only or not r["test_only"])}


def _report_folder(out: Path, recorded: str) -> Path:
    """A suite's report folder: the one beside suites.json when it is there (a results folder
    that was copied or moved reads, and `fit_suites check` writes, its own copy, not the
    folder it was first written to), else the recorded path."""
    local = out / Path(recorded).name
    return local if local.is_dir() else Path(recorded)


def fit_rows(out_dir: str | os.PathLike, generator: str, *, include_test_only: bool = False) -> dict[str, list[dict]]:
    """Suite name -> the rows of its report (each with answerable, refused, signals and
    timings), for fitting. Suites marked test_only are left out unless asked for: they are
    for reporting, never for fitting."""
    return {suite: load_report(folder)["rows"]
            for suite, folder in suite_dirs(out_dir, generator, include_test_only=include_test_only).items()}
