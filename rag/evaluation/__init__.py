"""Evaluation: the gold format, scoring (metrics), the resumable runner and its reports
(runner), charts, external sets (cmrc) and the feedback log that grows the gold set.

Public API (the rest of rag.evaluation is internal):

    load_gold(path) -> list[GoldItem]          the gold format of DESIGN.md, validated
    run_eval(assistant, gold, out_dir, ...)    the runner behind `rag eval`: report.json, report.md
    failure_reasons(row), fmt(value)           why a report row failed; a figure as reports print it
    hit_at_k, reciprocal_rank, supports, evidence_shown, contains, percentile  the metrics, defined once
    CHARTS                                     the chart files written beside a report
    load_cmrc, sample_items, SAMPLE_SEED       the CMRC 2018 set as gold items and passages
    FeedbackLog                                thumbs up/down from the chat page
    load_suites, build_suite, run_suites, suite_table, fit_rows   the development suites (evals/suites.toml)
    SuiteAssistants                            the Assistant each suite is asked through, one per corpus
    GIVEN_PASSAGE_KINDS                        suite kinds answered from their own passages (no index)
"""
from .charts import CHARTS
from .cmrc import SAMPLE_SEED, load_cmrc, sample_items
from .feedback import FeedbackLog
from .metrics import contains, evidence_shown, hit_at_k, percentile, reciprocal_rank, supports
from .runner import GoldItem, failure_reasons, fmt, load_gold, load_report, run_eval
from .suite_run import SuiteAssistants, fit_rows, run_suites, suite_dirs, suite_table
from .suites import GIVEN_PASSAGE_KINDS, build_suite, load_suites

__all__ = [
    "CHARTS", "FeedbackLog", "GIVEN_PASSAGE_KINDS", "build_suite", "GoldItem", "SAMPLE_SEED", "failure_reasons", "fmt", "hit_at_k", "load_cmrc",
    "fit_rows", "load_gold", "load_report", "load_suites", "percentile", "reciprocal_rank", "run_eval", "run_suites", "sample_items",
    "suite_dirs", "suite_table", "supports", "evidence_shown", "contains", "SuiteAssistants",
]
