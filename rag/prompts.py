"""Prompt templates, and nothing else: the text the generator sees.

Two measured constraints shape them (Qwen2.5-Coder-1.5B on 2 CPU cores):
- prompt tokens cost ~20 ms each before the first answer token appears, so the
  passages are trimmed elsewhere and the wording here is short;
- llama.cpp reuses the evaluated prefix of the previous prompt, so SYSTEM is
  one fixed string for every question and every language: only the user turn
  is new work.
A prompt that offers a canned refusal sentence made this model refuse almost
everything; refusing is decided outside the model (rag.answering), so the
prompt only asks for a cited answer.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

SYSTEM = (
    "你是一个严谨的问答助手。只根据用户给出的编号资料回答，不要编造资料里没有的内容。"
    "回答简短，每句话末尾用方括号标注所依据资料的编号，例如[1]。"
    "Answer in the language of the question."
)

PASSAGE_ZH = "[{n}]《{section}》{text}"
PASSAGE_EN = "[{n}] ({section}) {text}"

USER_ZH = "资料：\n{passages}\n\n问题：{question}\n请用中文简要回答，句末标注资料编号[1]、[2]等。"
USER_EN = (
    "Passages:\n{passages}\n\nQuestion: {question}\n"
    "Answer briefly in English, using only the passages; end each sentence with its source number such as [1]."
)

# What the user reads when the documents do not hold the answer. {closest} is filled
# with CLOSEST_* when there is a passage worth pointing at, else left empty.
REFUSAL_ZH = "文档中没有找到这个问题的答案。{closest}"
REFUSAL_EN = "The documents do not contain the answer to this question.{closest}"
CLOSEST_ZH = "最接近的内容在《{section}》：“{snippet}”"
CLOSEST_EN = " The closest passage is in \"{section}\": \"{snippet}\""

EXTRACTIVE_EN_LEAD = "The documents say: "


def format_passage(n: int, section: str, text: str, english: bool) -> str:
    template = PASSAGE_EN if english else PASSAGE_ZH
    # one passage per line: the extractive generator reads the prompt back line by line
    return template.format(n=n, section=" ".join(section.split()) or "-", text=" ".join(text.split()))


def build_messages(question: str, passages: Sequence[tuple[int, str, str]], english: bool) -> list[dict[str, str]]:
    """Chat messages for a question and its numbered passages [(n, section, text), ...]."""
    body = "\n".join(format_passage(n, s, t, english) for n, s, t in passages)
    user = (USER_EN if english else USER_ZH).format(passages=body, question=question)
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def refusal_text(english: bool, section: str = "", snippet: str = "") -> str:
    closest = ""
    if snippet:
        closest = (CLOSEST_EN if english else CLOSEST_ZH).format(section=section or "-", snippet=snippet)
    return (REFUSAL_EN if english else REFUSAL_ZH).format(closest=closest)


_PASSAGE_LINE = re.compile(r"^\[(\d+)\](?:《(.*?)》| \((.*?)\) )(.*)$")


def parse_messages(messages: Sequence[dict[str, str]]) -> tuple[str, list[tuple[int, str, str]], bool] | None:
    """The inverse of build_messages: (question, passages, english), or None when the
    messages are not an answering prompt. Lets the extractive generator work from the
    same prompt a language model gets."""
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    for english, head, q_label in ((False, "资料：\n", "\n\n问题："), (True, "Passages:\n", "\n\nQuestion: ")):
        if user.startswith(head) and q_label in user:
            body, _, rest = user[len(head) :].partition(q_label)
            question = rest.split("\n", 1)[0].strip()
            passages = []
            for line in body.split("\n"):
                m = _PASSAGE_LINE.match(line)
                if m:
                    passages.append((int(m.group(1)), m.group(2) or m.group(3) or "", m.group(4)))
            return question, passages, english
    return None
