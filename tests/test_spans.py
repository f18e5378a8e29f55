"""rag.spans: an answer brought back to the documents' own words."""
from rag import spans

EVIDENCE = ["立足“东数西算”枢纽定位，联合新疆哈密、四川雅安建设跨区域算力枢纽。", "创新“算力券”跨境流通机制。"]


def test_a_reworded_short_span_is_snapped_and_keeps_its_marker():
    assert spans.snap("新疆哈密和四川雅安[1]。", EVIDENCE) == "新疆哈密、四川雅安[1]。"


def test_verbatim_long_or_unrelated_answers_are_left_alone():
    assert spans.snap("新疆哈密、四川雅安[1]。", EVIDENCE) is None  # already verbatim
    assert spans.snap("完全无关的回答[1]。", EVIDENCE) is None
    assert spans.snap("很长的回答" * 10 + "[1]。", EVIDENCE) is None


def test_echo_detection():
    assert spans.is_echo("跨境流通机制[2]。", "文章提出要创新哪种跨境流通机制？")
    assert not spans.is_echo("“算力券”跨境流通机制[2]。", "文章提出要创新哪种跨境流通机制？")


def test_glosses_dropped_only_for_chinese_questions():
    text, notes = spans.shape('"算力券" (computing vouchers) [2].', "创新了什么机制？", EVIDENCE)
    assert "computing" not in text and notes
    text, notes = spans.shape('"算力券" (computing vouchers) [2].', "What mechanism?", EVIDENCE)
    assert "computing" in text and not notes
