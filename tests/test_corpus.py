import re

import pytest

from rag.ingest.corpus import CHUNKER_VERSION, Document, chunk_document, chunk_documents, corpus_hash, load_documents
from rag.errors import CorpusError

from conftest import CORPUS_FILE, SEEDS

TITLES = [
    "从四个方面着力 持续激发数字经济创新活力",
    "持续推进“人工智能+”行动",
    "打造具有国际竞争力的数字产业集群",
    "深化数据资源开发利用",
    "推动平台经济规范健康发展",
    "加快推动重庆人工智能产业创新发展",
]


def ws(s: str) -> str:
    return re.sub(r"\s", "", s)


@pytest.fixture(scope="module")
def chunks():
    return chunk_documents(load_documents(SEEDS))


def test_broken_paragraphs_are_joined(chunks):
    texts = [c.text for c in chunks]
    for joined in ("破解“芯难题，探索共建", "以低成本快速解决AI产业化所需的智能算力供给问题。", "深入推进“智改数转”，提升智慧车间"):
        holders = [t for t in texts if joined in t]
        assert len(holders) == 1, joined
    # and no chunk starts with the orphaned continuation
    assert not any(t.startswith(("难题", "供给问题", "转”")) for t in texts)


def test_every_chunk_has_section_author_and_offsets(chunks):
    source = CORPUS_FILE.read_text(encoding="utf-8")
    assert {c.section for c in chunks} == set(TITLES)
    for c in chunks:
        assert c.author, c.id
        assert c.source == CORPUS_FILE.name
        assert c.paragraph >= 1
        assert ws(source[c.char_start : c.char_end]) == ws(c.text), c.id


def test_authors_match_their_pieces(chunks):
    by_section = {c.section: c.author for c in chunks}
    assert "北京理工大学重庆大数据研究院" in by_section["深化数据资源开发利用"]
    assert "西南大学经济管理学院副院长" in by_section["打造具有国际竞争力的数字产业集群"]
    assert by_section["加快推动重庆人工智能产业创新发展"].startswith("唐于渝")
    assert "重庆科技大分中心" in by_section["推动平台经济规范健康发展"]
    assert by_section[TITLES[0]] == "编者"


def test_short_lines_never_stand_alone(chunks):
    assert min(len(c.text) for c in chunks) >= 100
    assert not any(c.text.strip() in TITLES for c in chunks)
    caption = [c for c in chunks if "张锦辉" in c.text]
    assert len(caption) == 1 and caption[0].kind == "caption" and "【智库圆桌】" in caption[0].text
    author_lines = [c for c in chunks if "（作者" in c.text]
    assert len(author_lines) == 5 and all(c.kind == "byline" for c in author_lines)
    assert any(c.text.startswith("唐于渝\n") for c in chunks)  # byline name kept with its piece's lead paragraph


def test_long_paragraphs_split_at_sentence_ends(chunks):
    split = [c for c in chunks if "." in c.id.rsplit("#", 1)[1]]
    assert split, "the corpus has paragraphs over the limit"
    for c in split:
        assert len(c.text) <= 400 * 1.5
        assert re.search(r"[。！？；）]$", c.text), c.text[-10:]
    # slices of one paragraph share its number and come in order
    p4 = [c for c in chunks if c.paragraph == split[0].paragraph]
    assert [c.id[-2:] for c in p4] == [f".{i}" for i in range(1, len(p4) + 1)]


def test_ids_are_stable_and_unique():
    a = chunk_documents(load_documents(SEEDS))
    b = chunk_documents(load_documents(SEEDS))
    assert [c.id for c in a] == [c.id for c in b]
    assert [c.text for c in a] == [c.text for c in b]
    assert len({c.id for c in a}) == len(a)


def test_editing_one_paragraph_changes_only_that_chunk():
    text = CORPUS_FILE.read_text(encoding="utf-8")
    before = chunk_document(Document("x.txt", text))
    after = chunk_document(Document("x.txt", text.replace("数据需求满足率95%", "数据需求满足率96%")))
    changed = [(b.id, a.id) for b, a in zip(before, after) if b.text != a.text]
    assert len(before) == len(after) and len(changed) == 1
    assert changed[0][0] == changed[0][1]


def test_markdown_headings_become_sections(tmp_path):
    (tmp_path / "notes.md").write_text(
        "# 第一部分\n\n这是第一段内容，讲的是一个相当长的句子，用来测试分块器是否正常工作。\n\n"
        "## 第二部分\n\n第二段内容在这里。它也有几句话。\n", encoding="utf-8")
    chunks = chunk_documents(load_documents(tmp_path))
    assert [c.section for c in chunks] == ["第一部分", "第二部分"]
    assert chunks[0].id == "notes#p01"


def test_gbk_file_is_read_and_undecodable_file_is_skipped_by_name(tmp_path):
    (tmp_path / "good.txt").write_text("正常的段落。", encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes("重庆的数字经济。".encode("gbk"))
    (tmp_path / "bad.txt").write_bytes(b"\x81\x30" * 50)  # neither UTF-8 nor GB18030
    notes = []
    docs = load_documents(tmp_path, log=notes.append)
    assert {d.source: d.text for d in docs} == {"good.txt": "正常的段落。", "gbk.txt": "重庆的数字经济。"}
    assert [s.file for s in docs.skipped] == ["bad.txt"]
    assert notes == [f"Skipped bad.txt: {docs.skipped[0].reason}"] and "iconv" in notes[0]


def test_empty_or_missing_corpus(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_documents(tmp_path / "nope")
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    with pytest.raises(CorpusError, match=r"no non-empty readable documents \(\.txt, \.md, .*empty\.txt"):
        load_documents(tmp_path)


def test_unsupported_and_empty_files_are_skipped_with_a_note(tmp_path):
    (tmp_path / "a.txt").write_text("一段正文，足够长的句子。", encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "c.md").write_text("", encoding="utf-8")
    notes = []
    docs = load_documents(tmp_path, log=notes.append)
    assert [d.source for d in docs] == ["a.txt"]
    assert any("b.pdf" in n for n in notes) and any("c.md" in n for n in notes)


def test_corpus_hash_tracks_content_and_names():
    d1 = [Document("a.txt", "一")]
    assert corpus_hash(d1) == corpus_hash([Document("a.txt", "一")])
    assert corpus_hash(d1) != corpus_hash([Document("a.txt", "二")])
    assert corpus_hash(d1) != corpus_hash([Document("b.txt", "一")])
    assert CHUNKER_VERSION


def test_authors_are_carried_one_by_one_and_survive_the_index_file(chunks):
    import json

    from rag.types import Chunk

    piece = [c for c in chunks if c.section == "加快推动重庆人工智能产业创新发展"][0]
    assert piece.authors[0] == "唐于渝" and piece.authors[1].startswith("作者系")
    assert piece.author == "；".join(piece.authors)  # the display line keeps its shape
    again = Chunk(**json.loads(json.dumps(piece.to_dict(), ensure_ascii=False)))
    assert again == piece and isinstance(again.authors, tuple)
