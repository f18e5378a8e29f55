"""`rag ask` through the real entry point (extractive generator: no model needed)."""
import json
import socket

import pytest

from rag.cli import main
from rag.cli.ask_cmd import render_after_stream
from rag.types import Answer, Citation, Refusal


def test_ask_json_has_the_design_shape(env, capsys):
    assert main(["ask", "重庆公共数据资源体系目前编目了多少类数据？", "--generator", "extractive", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"answer", "refused", "citations", "hits", "timings"} <= set(out)
    assert out["refused"] is False and "16万类" in out["answer"]
    cite = out["citations"][0]
    assert {"n", "chunk_id", "text"} <= set(cite) and "16万类" in cite["text"]
    assert cite["chunk_id"] in {h["chunk_id"] for h in out["hits"]}
    assert {"retrieve", "total"} <= set(out["timings"]) and out["generator"] == "extractive"


def test_ask_streams_then_lists_sources(env, capsys):
    assert main(["ask", "积分可以兑换什么权益？", "--generator", "extractive", "-k", "3"]) == 0
    out = capsys.readouterr().out
    answer, _, sources = out.partition("\nSources:\n")
    assert "积分可兑换算力资源" in answer
    assert sources.startswith("[") and "《深化数据资源开发利用》" in sources


def test_ask_refusal_is_printed_in_the_question_language(env, capsys):
    assert main(["ask", "法国的首都是哪里？", "--generator", "extractive", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["refused"] is True and out["answer"].startswith("文档中没有找到")
    assert out["citations"] == []


def test_ask_rejects_an_empty_question(env, capsys):
    assert main(["ask", "  ", "--generator", "extractive"]) == 2
    assert "question is empty" in capsys.readouterr().err


def test_ask_unknown_generator_is_an_argparse_error(env, capsys):
    with pytest.raises(SystemExit):
        main(["ask", "问题", "--generator", "nope"])
    assert "invalid choice" in capsys.readouterr().err


def test_ask_with_the_openai_backend_down_says_what_to_do(env, capsys, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    assert main(["ask", "重庆公共数据资源体系目前编目了多少类数据？", "--generator", "openai"]) == 2
    err = capsys.readouterr().err
    error = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(error) == 1 and f"127.0.0.1:{port}/v1/chat/completions" in error[0]
    assert "llama_cpp.server" in error[0] and "Traceback" not in err


def _cite(n, supported):
    return Citation(n=n, chunk_id=f"doc#p{n}", text="数据编目16万类。", section="深化数据资源开发利用",
                    supported=supported, support=0.9 if supported else 0.1)


def test_sources_mark_unsupported_citations():
    answer = Answer(text="编目16万类[1]。平台[2]。", refused=False, citations=(_cite(1, True), _cite(2, False)),
                    notes=("citation [2] unsupported: ...",))
    out = render_after_stream(answer.text, answer)
    lines = out.splitlines()
    assert "[1] 《深化数据资源开发利用》 doc#p1" in lines
    assert any(line.startswith("[2] ") and "UNSUPPORTED" in line for line in lines)
    assert not any(line.startswith("[1] ") and "UNSUPPORTED" in line for line in lines)
    assert "citation [2] unsupported" not in out  # the marks say it; notes are for --json readers


def test_a_withdrawn_stream_is_followed_by_the_refusal_and_its_reason():
    why = Refusal("unsupported_answer", "the draft answer is not backed by the passages", 0.91)
    answer = Answer(text="文档中没有找到这个问题的答案。", refused=True, refusal=why)
    out = render_after_stream("编目了10亿类[1]。", answer)
    assert out.splitlines()[:2] == ["[withdrawn, the documents do not support it]", "文档中没有找到这个问题的答案。"]
    assert "why: the draft answer is not backed by the passages (P(no answer) 0.91)" in out
    plain = Answer(text="文档中没有找到这个问题的答案。", refused=True)
    assert render_after_stream(plain.text, plain) == ""  # nothing to add when the stream was the answer


def test_ask_prints_the_evidence_before_the_answer(env, capsys):
    assert main(["ask", "积分可以兑换什么权益？", "--generator", "extractive"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Evidence:\n") and out.index("Evidence:") < out.index("Answer:")
    assert "积分可兑换算力资源" in out[: out.index("Answer:")]


def test_while_the_answer_is_checked_the_streamed_line_ends_and_stderr_says_so(env, capsys, monkeypatch):
    from rag.assistant import Assistant
    from rag.types import StreamEvent

    why = Refusal("not_verified", "asked afterwards, the model did not find its answer in the passages", 0.9)
    refused = Answer(text="文档中没有找到这个问题的答案。", refused=True, refusal=why)

    def stream(self, question, **kw):  # the events of a checked and withdrawn model answer
        yield StreamEvent("token", text="编目了10亿类[1]。")
        yield StreamEvent("checking", text="正在核对答案")
        yield StreamEvent("token", text=refused.text)
        yield StreamEvent("answer", answer=refused)

    monkeypatch.setattr(Assistant, "ask_stream", stream)
    assert main(["ask", "重庆公共数据资源体系目前编目了多少类数据？", "--generator", "extractive"]) == 0
    captured = capsys.readouterr()
    assert "(正在核对答案)" in captured.err
    lines = captured.out.splitlines()
    # the streamed answer on its own line, then the withdrawal on its own, then the label
    at = lines.index("编目了10亿类[1]。")
    assert lines[at + 1] == "文档中没有找到这个问题的答案。"
    assert lines[at + 2] == "[withdrawn, the documents do not support it]"
