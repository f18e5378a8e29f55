"""CMRC 2018 in a split-corpus protocol: half of the articles become documents that are
indexed, the other half stay out, so questions about them must be refused.

The split depends only on the article ids and a seed (each id is ranked by the sha256 of
"seed:id"), not on file order or Python's hash seed: the same articles are indexed on every
machine, and the hand-written English questions in evals/suites/cmrc_en.jsonl stay on the
right side of it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError

SPLIT_SEED = 2018

# A sentence ends at a Chinese full stop, question or exclamation mark (closing quotes stay
# with it), or at a line break.
SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+[”’」』）)]*|\n|$)")


@dataclass(frozen=True)
class CmrcQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    answer_start: int  # of the first answer in the article's paragraph


@dataclass(frozen=True)
class CmrcArticle:
    id: str
    title: str
    text: str  # the article's one paragraph (every CMRC dev article has exactly one)
    questions: tuple[CmrcQuestion, ...]


def load_articles(path: str | os.PathLike) -> list[CmrcArticle]:
    """The CMRC/SQuAD file as articles, their paragraphs joined by a blank line."""
    p = Path(path)
    if not p.is_file():
        raise CorpusError(f"CMRC file {p} does not exist; pass the path of cmrc2018_dev.json.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))["data"]
        articles = []
        for no, art in enumerate(data):
            texts, questions, offset = [], [], 0
            for para in art["paragraphs"]:
                for qa in para["qas"]:
                    seen: list[str] = []
                    for a in qa["answers"]:
                        if a["text"].strip() and a["text"].strip() not in seen:
                            seen.append(a["text"].strip())
                    if seen:
                        first = qa["answers"][0]
                        questions.append(CmrcQuestion(str(qa["id"]), qa["question"].strip(), tuple(seen),
                                                      offset + int(first["answer_start"])))
                texts.append(para["context"])
                offset += len(para["context"]) + 2
            articles.append(CmrcArticle(str(art.get("id", f"ART_{no}")), str(art.get("title", "")).strip(),
                                        "\n\n".join(texts), tuple(questions)))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as e:
        raise CorpusError(f"{p} is not a SQuAD/CMRC-format JSON file ({e}).") from None
    if len({a.id for a in articles}) != len(articles):
        raise CorpusError(f"{p}: article ids are not unique; the split is keyed on them.")
    return articles


def split_ids(ids, seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
    """(indexed, held_out): the ids ranked by sha256("seed:id"); the first half (rounded up)
    is indexed. Both lists come back sorted."""
    ranked = sorted(set(ids), key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    half = (len(ranked) + 1) // 2
    return sorted(ranked[:half]), sorted(ranked[half:])


def answer_sentence(text: str, start: int, answer: str) -> str:
    """The sentence of `text` that holds the answer span at `start` (all sentences it spans
    when it crosses a boundary), verbatim and stripped. Falls back to the first occurrence
    of the answer nearest to it when CMRC's offset does not point at it (a few dev offsets
    are off by some characters)."""
    if text[start:start + len(answer)] != answer:
        found = [m.start() for m in re.finditer(re.escape(answer), text)]
        if not found:
            raise CorpusError(f"answer {answer!r} does not occur in its paragraph.")
        start = min(found, key=lambda at: abs(at - start))
    end = start + len(answer)
    lo = hi = None
    for m in SENTENCE.finditer(text):
        if m.start() == m.end() and m.start() >= len(text):
            break
        if lo is None and m.end() > start:
            lo = m.start()
        if m.end() >= end:
            hi = m.end()
            break
    sentence = text[lo or 0:hi if hi is not None else len(text)]
    return sentence.strip()


# ---------------------------------------------------------------------- scripts
SCRIPTS = ("simplified", "traditional")
OPENCC_CONFIG = "s2tw"  # OpenCC: traditional characters in Taiwan's standard forms (為, not 爲), no wording changes


def script_converter(script: str):
    """text -> text in the asked script. "traditional" uses OpenCC's s2tw: a script change,
    not a vocabulary change (s2twp would also turn 软件 into 軟體), so an answer is still
    the same words as in the simplified source."""
    if script == "simplified":
        return lambda text: text
    if script != "traditional":
        raise CorpusError(f"Unknown script {script!r}: use one of {', '.join(SCRIPTS)}.")
    try:
        import opencc
    except ImportError:
        from ..errors import DependencyError

        raise DependencyError("The traditional-script suite needs OpenCC: pip install 'opencc>=1.1'.") from None
    return opencc.OpenCC(OPENCC_CONFIG).convert


# ---------------------------------------------------------------------- the suite
@dataclass(frozen=True)
class SplitQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    evidence: str  # "" for a question about an article that is not indexed
    article_id: str


@dataclass(frozen=True)
class SplitSuite:
    corpus_files: dict[str, str]  # file name -> document text, the indexed half only
    answerable: list[SplitQuestion]
    unanswerable: list[SplitQuestion]


def document_text(article: CmrcArticle) -> str:
    """An article as written into the corpus: its title as a markdown heading, then the text."""
    return (f"# {article.title}\n\n" if article.title else "") + article.text + "\n"


def _converted_span(text: str, converted: str, start: int, end: int, convert) -> str:
    """text[start:end] in the converted script, cut from the converted whole when the
    conversion kept every character's place (s2tw almost always does), so a span reads
    exactly as it does in the converted document."""
    if len(converted) == len(text):
        return converted[start:end]
    return convert(text[start:end])


def build_split_suite(articles: list[CmrcArticle], *, n_answerable: int, n_unanswerable: int,
                      seed: int = SPLIT_SEED, script: str = "simplified") -> SplitSuite:
    """The indexed half as corpus files and a seeded sample of questions: answerable ones
    (with their answers and the answer sentence) about indexed articles, unanswerable ones
    about the others. Deterministic in (articles, sizes, seed, script)."""
    import random

    convert = script_converter(script)
    indexed, held_out = split_ids([a.id for a in articles], seed)
    by_id = {a.id: a for a in articles}
    files, questions = {}, []
    for aid in indexed:
        art = by_id[aid]
        doc = document_text(art)
        converted = convert(doc)
        files[f"{aid}.md"] = converted
        body = doc.index(art.text) if art.text else 0
        for q in art.questions:
            sentence = answer_sentence(art.text, q.answer_start, q.answers[0])
            at = art.text.find(sentence, max(0, q.answer_start - len(sentence)))
            at = at if at >= 0 else art.text.find(sentence)
            evidence = _converted_span(doc, converted, body + at, body + at + len(sentence), convert)
            if evidence not in converted:  # a conversion that depends on context: keep it verbatim anyway
                continue
            answers = tuple(dict.fromkeys(convert(a) for a in q.answers))
            questions.append(SplitQuestion(q.id, convert(q.question), answers, evidence, aid))
    unanswerable = [SplitQuestion(q.id, convert(q.question), (), "", aid)
                    for aid in held_out for q in by_id[aid].questions]
    rng = random.Random(seed)
    return SplitSuite(files, _sample(rng, questions, n_answerable), _sample(rng, unanswerable, n_unanswerable))


def _sample(rng, items: list, n: int) -> list:
    """n items drawn with the seeded generator, kept in their original order."""
    if n >= len(items):
        return list(items)
    keep = set(rng.sample(range(len(items)), n))
    return [x for i, x in enumerate(items) if i in keep]


def write_corpus(files: dict[str, str], folder: str | os.PathLike) -> Path:
    """Write the documents into `folder`, touching only files whose text changed and
    removing any other .md file there, so an unchanged suite keeps its built index."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("*.md"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        path = root / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return root
