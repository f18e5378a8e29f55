"""The gold QA file format (docs/evaluation.md, ../shared/DESIGN.md "Gold QA file"): one
JSON object a line, parsed and validated into GoldItems."""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import metrics as M
from ..errors import ConfigError


NDCG_K = 5
REPORT_VERSION = 1


class GoldFileError(ConfigError):
    """The gold file is missing or does not follow the documented format."""


# ---------------------------------------------------------------------- gold set
@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]  # verbatim corpus substrings; a passage containing one supports
    answerable: bool
    lang: str = "zh"
    # Optional extension of the format: chunk ids that count as support whatever their text
    # (CMRC: the paragraph the question was asked on). Empty for the project's own gold set.
    evidence_chunks: tuple[str, ...] = ()
    # Optional: "yes" or "no" for a yes/no question; the answer is then right when its
    # verdict (rag.text.polar.verdict) is this one, whatever else it says.
    verdict: str | None = None

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence or self.evidence_chunks)

    def supported_by(self, chunk_id: str, text: str) -> bool:
        return chunk_id in self.evidence_chunks or M.supports(text, self.evidence)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("answers", "evidence", "evidence_chunks"):
            d[key] = list(d[key])
        if not self.evidence_chunks:
            del d["evidence_chunks"]
        if self.verdict is None:
            del d["verdict"]
        return d


def _str_list(obj: dict, key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GoldFileError(f"{where}: '{key}' must be a list of strings, got {value!r}.")
    return tuple(value)


def parse_gold_item(obj: Any, where: str = "gold item") -> GoldItem:
    """Validate one decoded gold object; `where` (file:line) goes into every error message."""
    if not isinstance(obj, dict):
        raise GoldFileError(f"{where}: expected a JSON object like {{\"id\": ..., \"question\": ...}}, got {type(obj).__name__}.")
    missing = [k for k in ("id", "question", "answerable") if k not in obj]
    if missing:
        raise GoldFileError(f"{where}: missing field(s) {', '.join(missing)}. Each line needs id, question, answers, evidence, answerable.")
    if obj.get("reviewed") is False:
        raise GoldFileError(f"{where}: this line is an unreviewed candidate (\"reviewed\": false, from "
                            "`rag feedback export`). Check it as its \"review\" note says, then remove the flag.")
    qid, question, answerable = obj["id"], obj["question"], obj["answerable"]
    if not isinstance(qid, (str, int)) or isinstance(qid, bool) or not str(qid).strip():
        raise GoldFileError(f"{where}: 'id' must be a non-empty string, got {qid!r}.")
    if not isinstance(question, str) or not question.strip():
        raise GoldFileError(f"{where}: 'question' must be a non-empty string.")
    if not isinstance(answerable, bool):
        raise GoldFileError(f"{where}: 'answerable' must be true or false, got {answerable!r}.")
    answers = _str_list(obj, "answers", where)
    evidence = _str_list(obj, "evidence", where)
    chunks = _str_list(obj, "evidence_chunks", where)
    if answerable and not answers:
        raise GoldFileError(f"{where}: an answerable question needs at least one entry in 'answers'.")
    if not answerable and (answers or evidence or chunks):
        raise GoldFileError(f"{where}: an unanswerable question ('answerable': false) must have empty 'answers' and 'evidence'.")
    verdict = obj.get("verdict")
    if verdict not in (None, "yes", "no"):
        raise GoldFileError(f"{where}: 'verdict' must be \"yes\", \"no\" or null, got {verdict!r}.")
    if verdict is not None and not answerable:
        raise GoldFileError(f"{where}: an unanswerable question has no verdict; set 'verdict' to null.")
    lang = obj.get("lang") or M.text_lang(question)
    if not isinstance(lang, str):
        raise GoldFileError(f"{where}: 'lang' must be a string such as \"zh\" or \"en\".")
    return GoldItem(str(qid), question.strip(), answers, evidence, answerable, lang, chunks, verdict)


def load_gold(path: str | os.PathLike) -> list[GoldItem]:
    """Read a gold JSONL file (one object a line; blank lines skipped) and validate it."""
    p = Path(path)
    if not p.is_file():
        raise GoldFileError(f"Gold file {p} does not exist. Pass a JSONL file such as evals/gold.jsonl.")
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise GoldFileError(f"Gold file {p} is not UTF-8 text ({e}). Save it as UTF-8.") from e
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{p}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise GoldFileError(f"{where}: not valid JSON ({e.msg} at column {e.colno}). Each line must be one JSON object.") from e
        item = parse_gold_item(obj, where)
        if item.id in seen:
            raise GoldFileError(f"{where}: duplicate id {item.id!r} (first used on line {seen[item.id]}). Ids must be unique.")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise GoldFileError(f"Gold file {p} holds no questions.")
    return items


def gold_fingerprint(items: Sequence[GoldItem]) -> str:
    blob = json.dumps([i.to_dict() for i in items], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
