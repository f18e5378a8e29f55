"""rag.evaluation.feedback: the ratings log and the gold candidates made from it, also through
`rag feedback export`."""
from __future__ import annotations

import json

import pytest

from rag.cli import main
from rag.errors import ConfigError, InputError
from rag.evaluation.runner import GoldFileError, load_gold, parse_gold_item
from rag.evaluation.feedback import FeedbackLog, export_candidates, gold_candidates

from conftest import CORPUS_FILE, GOLD

QUESTION = "重庆公共数据资源体系的数据需求满足率是多少？"


@pytest.fixture(scope="module")
def answers(shared_hash_assistant):
    a = shared_hash_assistant
    return {
        "answered": a.ask(QUESTION, generator="extractive"),
        "refused": a.ask("重庆2030年的人口目标是多少？", generator="extractive"),
    }


def test_ratings_comments_and_changes_merge_by_id(tmp_path, answers):
    log = FeedbackLog(tmp_path / "sub" / "fb.jsonl")  # the folder is made on first write
    ans = answers["answered"]
    first = log.record(ans, "up", settings={"generator": "extractive", "k": 5, "retrieval": "hybrid"})
    second = log.record(answers["refused"], "down")
    log.comment(first, "  对的  ")
    log.update(second, rating="up")
    with log.path.open("a", encoding="utf-8") as f:
        f.write('{"id": "cut off by a cra')  # a crash mid-line: skipped
    entries = {e["id"]: e for e in log.entries()}
    assert list(entries) == [first, second]
    e = entries[first]
    assert (e["rating"], e["comment"], e["question"], e["answer"]) == ("up", "对的", QUESTION, ans.text)
    assert e["settings"] == {"generator": "extractive", "k": 5, "retrieval": "hybrid"}
    assert e["citations"][0]["chunk_id"] == ans.citations[0].chunk_id and e["citations"][0]["spans"]
    assert entries[second]["rating"] == "up" and entries[second]["refused"] is True
    log.update(second, rating="none")
    assert [x["id"] for x in log.entries()] == [first]
    assert len(log.path.read_text(encoding="utf-8").splitlines()) == 6  # append-only


def test_bad_rating_is_refused(tmp_path, answers):
    with pytest.raises(InputError, match="'up' or 'down'"):
        FeedbackLog(tmp_path / "fb.jsonl").record(answers["answered"], "meh")


def test_liked_answer_becomes_a_gold_line_once_reviewed(tmp_path, answers):
    log = FeedbackLog(tmp_path / "fb.jsonl")
    log.record(answers["answered"], "up")
    [cand] = gold_candidates(log.entries())
    assert cand["reviewed"] is False and cand["answerable"] is True and cand["lang"] == "zh"
    assert cand["question"] == QUESTION and "[" not in cand["answers"][0] and "95%" in cand["answers"][0]
    corpus = CORPUS_FILE.read_text(encoding="utf-8")
    assert cand["evidence"] and all(span in corpus for span in cand["evidence"])  # verbatim passage text
    with pytest.raises(GoldFileError, match="unreviewed candidate"):
        parse_gold_item(cand)
    reviewed = {k: v for k, v in cand.items() if k != "reviewed"}
    item = parse_gold_item(reviewed)  # a person checked it: a valid gold question
    assert item.answerable and item.evidence


def test_each_kind_of_rating_asks_the_reviewer_for_the_right_thing(tmp_path, answers):
    log = FeedbackLog(tmp_path / "fb.jsonl")
    log.record(answers["refused"], "up")
    log.record(answers["answered"], "down", question="改过的问法")
    by_q = {c["question"]: c for c in gold_candidates(log.entries())}
    refused_ok = by_q["重庆2030年的人口目标是多少？"]
    assert refused_ok["answerable"] is False and refused_ok["answers"] == [] and "confirm" in refused_ok["review"]
    wrong = by_q[QUESTION]  # the standalone question is what a gold line needs
    assert wrong["answers"] == [] and "answer rated wrong" in wrong["review"]
    assert wrong["feedback"]["rating"] == "down"


def test_known_and_repeated_questions_give_one_candidate(tmp_path, answers):
    log = FeedbackLog(tmp_path / "fb.jsonl")
    log.record(answers["answered"], "down")
    log.record(answers["answered"], "up")  # rated again later: the latest counts
    [cand] = gold_candidates(log.entries())
    assert cand["feedback"]["rating"] == "up"
    assert gold_candidates(log.entries(), known_questions=[QUESTION.replace("？", " ？")]) == []


def test_cli_export_writes_candidates_and_skips_gold_questions(tmp_path, answers, capsys):
    log = FeedbackLog(tmp_path / "fb.jsonl")
    log.record(answers["answered"], "up")
    log.record(answers["refused"], "down")
    out = tmp_path / "cands.jsonl"
    assert main(["feedback", "export", "--log", str(log.path), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["candidates"] == 2
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert {c["source"] for c in lines} == {"feedback"} and all(c["reviewed"] is False for c in lines)
    with pytest.raises(GoldFileError, match="unreviewed"):
        load_gold(out)  # nothing unreviewed is scored by accident
    gold_questions = {i.question for i in load_gold(GOLD)}
    cands = export_candidates(log.path, out, GOLD)
    assert all(c["question"] not in gold_questions for c in cands)


def test_cli_export_without_a_log_says_what_to_do(tmp_path, capsys):
    assert main(["feedback", "export", "--log", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "Rate some answers in `rag serve`" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        export_candidates(tmp_path / "none.jsonl", tmp_path / "o.jsonl")
