"""Thumbs up/down on answers, kept in an append-only JSONL log, and turned into gold-file
candidates so real questions grow the eval set.

    log = FeedbackLog(settings.path("feedback_path"))
    fid = log.record(answer, "up", settings={"generator": "llama-cpp", "k": 5, "retrieval": "hybrid"})
    log.comment(fid, "right figure, but say which year")
    log.entries()                      # one merged dict per rated answer
    gold_candidates(log.entries())     # evals/gold.jsonl-shaped dicts, "reviewed": false

The log only grows: a rating is one line with the question, the answer, its citations, the
generator and settings; a later comment or a changed rating is another line with the same
id, merged on reading. A line cut off by a crash is skipped.

A candidate carries `"reviewed": false` and a `"review"` note saying what to check;
rag.evaluation.runner refuses such lines, so nothing unreviewed is scored by accident. Answers
people liked propose the cited sentences as evidence (verbatim passage text, as the gold
format wants); answers people disliked leave answers and evidence for the reviewer.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..text.measures import strip_markers, unspaced
from .metrics import text_lang
from ..types import Answer

RATINGS = ("up", "down")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(path.resolve()), threading.Lock())


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FeedbackLog:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def _append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _lock_for(self.path), self.path.open("a+b") as f:
                if f.tell() > 0:  # a line cut off by a crash must not swallow this one
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":
                        line = "\n" + line
                f.write(line.encode("utf-8"))
        except OSError as e:
            raise ConfigError(f"Cannot write the feedback log {self.path}: {e}. Set feedback_path to a writable file.") from e

    def record(self, answer: Answer, rating: str, *, settings: dict[str, Any] | None = None,
               comment: str = "", question: str | None = None, user: str = "") -> str:
        """Log a rating of one answer; returns the entry's id (for a later comment)."""
        if rating not in RATINGS:
            raise InputError(f"A rating is 'up' or 'down', not {rating!r}.")
        fid = uuid.uuid4().hex[:12]
        self._append({
            "id": fid, "time": _now(), "rating": rating, "comment": comment.strip(),
            "question": question if question is not None else answer.question,
            "standalone_question": answer.standalone_question or answer.question,
            "answer": answer.text, "refused": answer.refused,
            "refusal": answer.refusal.code if answer.refusal else None,
            "citations": [
                {"n": c.n, "chunk_id": c.chunk_id, "section": c.section, "supported": c.supported,
                 "spans": list(c.spans)}
                for c in answer.citations
            ],
            "generator": answer.generator, "settings": dict(settings or {}), "user": user,
        })
        return fid

    def update(self, fid: str, *, rating: str | None = None, comment: str | None = None, user: str = "") -> None:
        """A changed rating ("up", "down", or "none" to withdraw it) or a comment for entry fid."""
        if rating is not None and rating not in (*RATINGS, "none"):
            raise InputError(f"A rating is 'up', 'down' or 'none', not {rating!r}.")
        change: dict[str, Any] = {"id": fid, "time": _now(), "user": user}
        if rating is not None:
            change["rating"] = rating
        if comment is not None:
            change["comment"] = comment.strip()
        self._append(change)

    def comment(self, fid: str, text: str, user: str = "") -> None:
        self.update(fid, comment=text, user=user)

    def entries(self) -> list[dict[str, Any]]:
        """Every rated answer, later lines for the same id merged over earlier ones, in the
        order first rated; withdrawn ratings left out."""
        if not self.path.is_file():
            return []
        merged: dict[str, dict[str, Any]] = {}
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut off by a crash
                if not isinstance(entry, dict) or "id" not in entry:
                    continue
                fid = entry["id"]
                if fid in merged:
                    merged[fid].update({k: v for k, v in entry.items() if k != "time"})
                    merged[fid]["updated"] = entry.get("time")
                elif "question" in entry:
                    merged[fid] = dict(entry)
        return [e for e in merged.values() if e.get("rating") in RATINGS]


def gold_candidate(entry: dict[str, Any]) -> dict[str, Any]:
    """One rated answer as a gold line (evals/gold.jsonl format) for a person to check."""
    question = entry.get("standalone_question") or entry["question"]
    up, refused = entry["rating"] == "up", bool(entry.get("refused"))
    out: dict[str, Any] = {"id": f"fb-{entry['id']}", "question": question}
    if up and not refused:
        spans = [s for c in entry.get("citations", []) if c.get("supported") for s in c.get("spans", [])]
        out.update(answers=[strip_markers(entry["answer"]).strip()], evidence=list(dict.fromkeys(spans)),
                   answerable=True,
                   review="rated helpful: cut 'answers' down to the key phrase; check the evidence holds it")
    elif up:
        out.update(answers=[], evidence=[], answerable=False,
                   review="refusal rated helpful: confirm the documents do not answer this")
    elif refused:
        out.update(answers=[], evidence=[], answerable=True,
                   review="refusal rated unhelpful: write the answer and its evidence, or set answerable false")
    else:
        out.update(answers=[], evidence=[], answerable=True,
                   review="answer rated wrong: write the right answer and its evidence, or set answerable false")
    out.update(lang=text_lang(question), reviewed=False, source="feedback",
               feedback={k: entry.get(k) for k in ("rating", "comment", "answer", "generator", "settings", "time")})
    return out


def gold_candidates(entries: Iterable[dict[str, Any]], known_questions: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Candidates for every rated question not already in `known_questions` (white space
    ignored); a question rated several times gives one candidate, from its latest rating."""
    key = unspaced  # white space ignored
    known = {key(q) for q in known_questions}
    latest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        cand = gold_candidate(entry)
        if key(cand["question"]) not in known:
            latest.pop(key(cand["question"]), None)
            latest[key(cand["question"])] = cand
    return list(latest.values())


def export_candidates(log_path: str | os.PathLike, out_path: str | os.PathLike,
                      gold_path: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Write the log's gold candidates to out_path (JSONL), leaving out questions that the
    gold file already has. Returns what was written."""
    log = FeedbackLog(log_path)
    if not log.path.is_file():
        raise ConfigError(f"Feedback log {log.path} does not exist. Rate some answers in `rag serve` first, "
                          "or pass --log PATH.")
    known: list[str] = []
    if gold_path:
        from .runner import load_gold

        known = [item.question for item in load_gold(gold_path)]
    cands = gold_candidates(log.entries(), known)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cands), encoding="utf-8")
    return cands
