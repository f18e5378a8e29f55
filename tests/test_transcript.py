"""rag.answering.transcript: answers and conversations as Markdown with their sources numbered."""
from __future__ import annotations

from rag.answering.transcript import answer_markdown, conversation_markdown
from rag.types import Answer, Chunk, Citation, Hit, Refusal


def _hit(i: int, text: str, page=None) -> Hit:
    chunk = Chunk(id=f"doc#p{i}", text=text, source="doc.txt", section=f"第{i}节", author="作者甲",
                  paragraph=i, char_start=0, char_end=len(text), page=page)
    return Hit(rank=i, score=1.0, chunk=chunk)


def _answer(text, cites, hits, **kw) -> Answer:
    return Answer(text=text, refused=False, hits=tuple(hits), generator="fake", timings={"total": 1.5},
                  citations=tuple(Citation(n=n, chunk_id=f"doc#p{i}", text="", supported=ok) for n, i, ok in cites), **kw)


def test_one_answer_with_its_sources():
    a = _answer("满足率95%[1]。另有说明[2]。", [(1, 3, True), (2, 5, False)],
                [_hit(3, "数据需求满足率95%。", page=2), _hit(5, "另一段。")], question="满足率是多少？")
    md = answer_markdown(a)
    assert md.startswith("**Q:** 满足率是多少？\n\n满足率95%[1]。另有说明[2]。")
    assert "*fake · 1.5 s*" in md
    src = md[md.index("## 来源 · Sources"):]
    assert "[1] 第3节 · 作者甲 · p. 2 · paragraph 3 · `doc#p3`" in src and "> 数据需求满足率95%。" in src
    assert "[2] 第5节" in src and "not supported" in src.split("[2]")[1]


def test_conversation_numbers_sources_once_across_answers():
    hits = [_hit(1, "甲段。"), _hit(2, "乙段。"), _hit(3, "丙段。")]
    first = _answer("甲[1]，乙[2]。", [(1, 1, True), (2, 2, True)], hits)
    # the second answer numbers its own passages: its [1] is passage 3, its [2] passage 1
    second = _answer("丙[1]，又是甲[2]；两者[1,2]。", [(1, 3, True), (2, 1, True)], [hits[2], hits[0]],
                     standalone_question="改写后的问题")
    refused = Answer(text="文档中没有找到。", refused=True, refusal=Refusal("not_in_documents", "the passages do not hold it"))
    md = conversation_markdown([("问一", first), ("问二", second), ("问三", refused), ("问四", None)],
                               title="T", no_answer="(stopped)")
    assert md.startswith("# T\n\n## 1. 问一\n\n甲[1]，乙[2]。")
    assert "## 2. 问二\n\n*Searched as: 改写后的问题*\n\n丙[3]，又是甲[1]；两者[3][1]。" in md
    assert "not answered by the documents: the passages do not hold it" in md
    assert "## 4. 问四\n\n*(stopped)*" in md
    src = md[md.index("## 来源 · Sources"):]
    assert [line.split(" ")[0] for line in src.splitlines() if line.startswith("[")] == ["[1]", "[2]", "[3]"]
    assert "`doc#p1`" in src.split("[2]")[0] and "`doc#p3`" in src.split("[3]")[1]


def test_no_citations_no_sources_section():
    md = conversation_markdown([("问", Answer(text="无引用的回答。", refused=False))])
    assert "Sources" not in md and "无引用的回答。" in md
