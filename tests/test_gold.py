"""The gold QA set (evals/gold.jsonl) checked against the corpus it was written for.

Every metric in `rag eval` trusts this file: hit@k and citation scores test
whether a passage contains an evidence string, answer scores compare against
`answers`. A typo in an evidence string silently turns a question into a miss
for every configuration, so each string is verified here against the corpus
text (white space ignored, as DESIGN.md's matching does).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold.jsonl"
CORPUS = ROOT / "seeds" / "chongqing_digital_economy_2025.txt"

KEYS = {"id", "question", "answers", "evidence", "answerable", "lang"}

# The five pieces of the feature, in corpus order; each is a line of its own.
TITLES = [
    "持续推进“人工智能+”行动",
    "打造具有国际竞争力的数字产业集群",
    "深化数据资源开发利用",
    "推动平台经济规范健康发展",
    "【决策建议】 加快推动重庆人工智能产业创新发展",
]
INTRO = "intro"  # headline, editor's note and photo caption before the first title

# Paragraphs the source splits mid-sentence with a blank line: (end of the
# first half, start of the second). Evidence may span only these breaks.
BROKEN = [("破解“芯", "难题"), ("智能算力", "供给问题。"), ("深入推进“智改数", "转”")]

# Longest stretch of a question allowed to repeat the corpus verbatim. Quoted
# names (piece titles, institutions, "人工智能+智能硬件" and the like) reach
# about 19 characters; a copied answering sentence goes well beyond.
MAX_COPIED_CHARS = 20

CJK = re.compile(r"[\u3400-\u9fff]")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def load_rows() -> list[dict]:
    rows = []
    for n, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            pytest.fail(f"{GOLD.name} line {n} is not JSON: {exc}")
    return rows


def paragraphs(raw: str) -> list[str]:
    """Blank-line separated blocks, squashed, with the known broken ones rejoined."""
    blocks = [squash(b) for b in re.split(r"\n\s*\n", raw) if b.strip()]
    out: list[str] = []
    for block in blocks:
        if out and any(out[-1].endswith(a) and block.startswith(b) for a, b in BROKEN):
            out[-1] += block
        else:
            out.append(block)
    return out


def segments(raw: str) -> dict[str, str]:
    """Squashed text of the intro and of each piece, cut at the title lines."""
    text = squash(raw)
    starts = [text.index(squash(t)) for t in TITLES]
    bounds = starts + [len(text)]
    segs = {INTRO: text[: starts[0]]}
    for i, title in enumerate(TITLES):
        segs[title] = text[bounds[i] : bounds[i + 1]]
    return segs


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return load_rows()


@pytest.fixture(scope="module")
def raw() -> str:
    return CORPUS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def text(raw) -> str:
    return squash(raw)


@pytest.fixture(scope="module")
def answerable(rows) -> list[dict]:
    return [r for r in rows if r["answerable"]]


def home_segment(row: dict, segs: dict[str, str]) -> str | None:
    """The one segment holding all of a row's evidence, or None if none or several do."""
    homes = [name for name, seg in segs.items() if all(squash(e) in seg for e in row["evidence"])]
    return homes[0] if len(homes) == 1 else None


# --- format -----------------------------------------------------------------


def test_every_row_has_the_design_md_fields(rows):
    assert rows, "gold file is empty"
    for r in rows:
        assert set(r) == KEYS, f"{r.get('id')}: keys {sorted(r)}"
        assert isinstance(r["id"], str) and re.fullmatch(r"q\d{2,}", r["id"]), r["id"]
        assert isinstance(r["question"], str) and r["question"].strip(), r["id"]
        assert isinstance(r["answerable"], bool), r["id"]
        assert r["lang"] in {"zh", "en"}, r["id"]
        for key in ("answers", "evidence"):
            assert isinstance(r[key], list), f"{r['id']}: {key} is not a list"
            assert all(isinstance(s, str) and s.strip() for s in r[key]), f"{r['id']}: {key}"


def test_ids_are_unique_and_numbered_in_order(rows):
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids), "duplicate ids"
    assert ids == [f"q{i:02d}" for i in range(1, len(rows) + 1)]


def test_questions_are_not_repeated(rows):
    qs = [squash(r["question"]) for r in rows]
    assert len(set(qs)) == len(qs)


def test_answer_and_evidence_lists_match_answerability(rows):
    for r in rows:
        if r["answerable"]:
            assert r["answers"] and r["evidence"], f"{r['id']}: answerable but empty"
        else:
            assert r["answers"] == [] and r["evidence"] == [], f"{r['id']}: unanswerable but filled"


def test_counts(rows, answerable):
    unanswerable = [r for r in rows if not r["answerable"]]
    english = [r for r in rows if r["lang"] == "en"]
    assert len(rows) >= 60
    assert len(answerable) >= 46
    assert len(unanswerable) >= 14
    assert len(english) >= 14
    # English must exercise refusals too, not only lookups.
    assert sum(not r["answerable"] for r in english) >= 3
    assert sum(r["answerable"] for r in english) >= 8


# --- grounding in the corpus -------------------------------------------------


def test_title_lines_and_author_lines_are_where_expected(raw):
    lines = [line.strip() for line in raw.splitlines()]
    positions = [lines.index(t) for t in TITLES]
    assert positions == sorted(positions), "piece titles out of order"
    # One author/affiliation line closes each piece.
    assert sum(line.startswith("（作者") for line in lines) == len(TITLES)


def test_broken_paragraphs_are_each_rejoined_once(raw):
    blocks = [squash(b) for b in re.split(r"\n\s*\n", raw) if b.strip()]
    for a, b in BROKEN:
        joins = sum(x.endswith(a) and y.startswith(b) for x, y in zip(blocks, blocks[1:]))
        assert joins == 1, f"break {a}|{b} found {joins} times"


def test_every_evidence_string_occurs_in_the_corpus(rows, text):
    missing = [(r["id"], e) for r in rows for e in r["evidence"] if squash(e) not in text]
    assert not missing, f"evidence not in corpus: {missing}"


def test_every_evidence_string_lies_within_one_paragraph(rows, raw):
    paras = paragraphs(raw)
    spanning = [
        (r["id"], e) for r in rows for e in r["evidence"] if not any(squash(e) in p for p in paras)
    ]
    assert not spanning, f"evidence crosses a paragraph boundary: {spanning}"


def test_answers_are_spans_of_the_corpus(answerable, text):
    bad = []
    for r in answerable:
        evidence = "".join(squash(e) for e in r["evidence"])
        grounded = [squash(a) in text or squash(a) in evidence for a in r["answers"]]
        if r["lang"] == "zh":
            bad += [(r["id"], a) for a, ok in zip(r["answers"], grounded) if not ok]
        else:
            # English questions may add an English rendering; anything with
            # Chinese in it must still be a corpus span, and one variant must be.
            bad += [
                (r["id"], a)
                for a, ok in zip(r["answers"], grounded)
                if not ok and CJK.search(a)
            ]
            if not any(grounded):
                bad.append((r["id"], "no answer variant is a corpus span"))
    assert not bad, f"answers not found in corpus: {bad}"


def test_questions_paraphrase_rather_than_copy(answerable, text):
    copied = []
    for r in answerable:
        q = squash(r["question"])
        longest = 0
        for i in range(len(q)):
            j = i + longest + 1
            while j <= len(q) and q[i:j] in text:
                longest = j - i
                j += 1
        if longest > MAX_COPIED_CHARS:
            copied.append((r["id"], longest))
        # A question that already states its answer tests nothing.
        for a in r["answers"]:
            core = re.sub(r"[“”\"'、，。（）()\s]", "", a)
            if len(core) >= 2 and core in re.sub(r"[“”\"'、，。（）()\s]", "", r["question"]):
                copied.append((r["id"], a))
    assert not copied, f"questions copying the corpus or their answer: {copied}"


# --- coverage ---------------------------------------------------------------


def test_each_piece_has_at_least_six_answerable_questions(answerable, raw):
    segs = segments(raw)
    counts = {name: 0 for name in segs}
    for r in answerable:
        home = home_segment(r, segs)
        if home is not None:
            counts[home] += 1
    short = {name: n for name, n in counts.items() if name != INTRO and n < 6}
    assert not short, f"pieces with fewer than 6 answerable questions: {short}"
    assert counts[INTRO] >= 3, f"intro/caption questions: {counts[INTRO]}"


def test_some_questions_need_two_paragraphs(answerable, raw):
    paras = paragraphs(raw)
    two_para = []
    for r in answerable:
        holders = [{i for i, p in enumerate(paras) if squash(e) in p} for e in r["evidence"]]
        if len(r["evidence"]) >= 2 and not set.intersection(*holders):
            two_para.append(r["id"])
    assert len(two_para) >= 5, f"two-paragraph questions: {two_para}"


def test_bylines_and_caption_are_asked_about(answerable, raw):
    lines = [squash(line) for line in raw.splitlines() if line.strip()]
    author_lines = [line for line in lines if line.startswith("（作者")]
    caption = next(line for line in lines if "摄影" in line)
    # Piece 5 names its author on the first line under the title.
    byline = lines[lines.index(squash(TITLES[-1])) + 1]
    asked = {
        line
        for r in answerable
        for line in author_lines
        if any(squash(e) in line for e in r["evidence"])
    }
    assert len(asked) >= 4, f"only {len(asked)} of the author lines are asked about"
    assert sum(any(squash(e) in caption for e in r["evidence"]) for r in answerable) >= 2
    assert byline == "唐于渝"
    assert any(byline in [squash(e) for e in r["evidence"]] for r in answerable)
