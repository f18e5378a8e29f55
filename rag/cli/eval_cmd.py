"""`rag eval`: run a gold QA file through the assistant and write a report, run the
development suites (--suite), or compare two reports."""
from __future__ import annotations

from ..assistant import Assistant
from ..errors import ConfigError
from ..evaluation.runner import compare_reports, format_comparison, fmt, run_eval
from .common import add_retrieval_args, log_stderr, print_json, settings_from


def register(sub) -> None:
    p = sub.add_parser(
        "eval", help="evaluate on a gold QA file (or compare two reports)",
        description="Ask every question of a gold JSONL file and write DIR/report.json and DIR/report.md. "
                    "An interrupted run resumes where it stopped unless --no-resume is given.",
    )
    p.add_argument("--gold", help="gold QA file, one JSON object a line (see docs/evaluation.md)")
    p.add_argument("--out", help="folder for report.json, report.md and rows.jsonl")
    p.add_argument("--generator", default=None, action="append",
                   help="generator name: llama-cpp | extractive | transformers | openai "
                        "(with --suite it may be given several times)")
    p.add_argument("--suite", metavar="TOML",
                   help="run the development suites declared in this file (e.g. evals/suites.toml): "
                        "one table per suite and generator, reports in DIR/<suite>-<generator>/")
    p.add_argument("--only", action="append", metavar="SUITE", help="with --suite: only this suite (repeatable)")
    add_retrieval_args(p)
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--no-resume", action="store_true", help="start over even if DIR holds an unfinished run")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="print metric deltas between two report.json files")
    p.add_argument("--charts", nargs="+", metavar="REPORT",
                   help="draw the charts of these report.json files side by side into --out (no questions asked)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.compare:
        cmp = compare_reports(*args.compare)
        if args.json:
            print_json(cmp)
        else:
            print(format_comparison(cmp))
        return 0
    if args.charts:
        return _charts(args)
    if args.suite:
        return _suites(args)
    if len(args.generator or []) > 1:
        raise ConfigError("rag eval --gold takes one --generator; several are for --suite.")
    args.generator = (args.generator or [None])[0]
    if not args.gold or not args.out:
        raise ConfigError("rag eval needs --gold FILE and --out DIR (or --compare A B, or --charts REPORT... --out DIR).")
    assistant = Assistant.load(settings_from(args), progress=not args.json, log=log_stderr)
    bar = _Bar()
    try:
        report = run_eval(
            assistant, args.gold, out_dir=args.out, generator=args.generator, k=args.k,
            retrieval=args.retrieval, resume=not args.no_resume, limit=args.limit,
            progress=bar.update, log=log_stderr,
        )
    finally:
        bar.close()
    summary = report["summary"]
    if args.json:
        print_json({"out": args.out, "config": report["config"], "summary": summary})
    else:
        width = max(map(len, summary))
        for name, value in summary.items():
            print(f"{name:<{width}}  {fmt(value)}")
        print(f"\nreport: {args.out}/report.md")
    if summary["n_errors"]:
        log_stderr(f"{summary['n_errors']} question(s) failed with an error; see the report.")
    return 0


def _suites(args) -> int:
    from ..evaluation.suite_run import run_suites, suite_table
    from ..evaluation.suites import load_suites, select

    if args.gold or not args.out:
        raise ConfigError("rag eval --suite FILE needs --out DIR (and no --gold).")
    settings = settings_from(args, generator=None)
    specs = load_suites(args.suite)
    select(specs, args.only)  # unknown names are an error; the rest stay for corpus_of
    bar = _Bar()
    try:
        results = run_suites(specs, settings, generators=args.generator or [settings.generator], out_dir=args.out,
                             limit=args.limit, resume=not args.no_resume, k=args.k, retrieval=args.retrieval,
                             progress=bar.update, log=log_stderr, only=args.only)
    finally:
        bar.close()
    if args.json:
        print_json({"out": args.out, "results": [r.to_dict() for r in results]})
    else:
        print(suite_table(results))
        print(f"\ntable: {args.out}/suites.md · reports: {args.out}/<suite>-<generator>/report.md")
    return 0


def _charts(args) -> int:
    from ..evaluation.charts import write_charts
    from ..evaluation.runner import load_report

    if not args.out:
        raise ConfigError("rag eval --charts needs --out DIR for the PNG files.")
    paths = write_charts([load_report(r) for r in args.charts], args.out)
    if args.json:
        print_json({"charts": [str(p) for p in paths]})
    else:
        print("\n".join(str(p) for p in paths))
    return 0


class _Bar:
    """A tqdm bar on stderr, created on the first progress call (when the total is known)."""

    def __init__(self):
        self.bar = None

    def update(self, done: int, total: int, row: dict) -> None:
        if self.bar is not None and (done <= self.bar.n or total != self.bar.total):
            self.bar.close()  # the next suite's run starts its own count
            self.bar = None
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="Evaluating", unit="q", dynamic_ncols=True)
        self.bar.set_postfix_str(row["id"], refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
