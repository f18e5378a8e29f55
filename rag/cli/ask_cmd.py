"""`rag ask`: answer a question from the documents, with checked citations.

Without --json the evidence comes first (the passage sentences the answer will
rest on, within a second), then the answer streams as the model writes it, then
the numbered sources follow, unsupported ones marked. With --json one object
in the DESIGN.md shape is printed at the end.
"""
from __future__ import annotations

import sys
import textwrap

from ..assistant import Assistant, check_question
from ..answering.generators import available
from ..text.measures import clipped
from ..types import Answer
from .common import add_retrieval_args, log_stderr, print_json, settings_from

_SOURCE_CHARS = 120  # how much of each cited passage to show under the answer


def register(sub) -> None:
    p = sub.add_parser("ask", help="answer a question with cited sources")
    p.add_argument("question")
    p.add_argument("--generator", choices=available(), default=None, help="generation backend (default llama-cpp)")
    add_retrieval_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = settings_from(args)
    check_question(args.question, settings)  # fail fast, before loading anything
    assistant = Assistant.load(settings, progress=not args.json, log=log_stderr)
    # corpus sentence vectors from their file (written by `rag serve`), if there is one
    assistant.warm_up(embed_missing=False)
    if args.json:
        print_json(assistant.ask(args.question, k=args.k, retrieval=args.retrieval).to_dict())
        return 0
    streamed: list[str] = []
    answer: Answer | None = None
    line_ended = False
    for event in assistant.ask_stream(args.question, k=args.k, retrieval=args.retrieval):
        if event.kind == "evidence":
            print(render_evidence(event))
            sys.stdout.flush()
        elif event.kind == "token":
            streamed.append(event.text)
            sys.stdout.write(event.text)
            sys.stdout.flush()
            line_ended = False
        elif event.kind == "status":
            log_stderr(f"({event.text})")
        elif event.kind == "checking":  # the streamed answer is done: end its line first
            sys.stdout.write("\n")
            sys.stdout.flush()
            line_ended = True
            log_stderr(f"({event.text})")
        elif event.kind == "answer":
            answer = event.answer
    assert answer is not None
    if not line_ended:
        print()
    print(render_after_stream("".join(streamed), answer))
    return 0


def render_after_stream(streamed: str, answer: Answer) -> str:
    """What follows the streamed text: the checked answer when it differs from what was
    streamed (a refusal replacing an unsupported reply), then the numbered sources."""
    lines: list[str] = []
    if answer.text.strip() != streamed.strip():
        label = "withdrawn, the documents do not support it" if answer.refused else "checked answer"
        lines += [f"[{label}]", answer.text]
    if answer.citations:
        lines += ["", "Sources:"]
        pages = {h.chunk.id: h.chunk.page for h in answer.hits}
        for c in answer.citations:
            mark = "" if c.supported else "  [UNSUPPORTED: the sentence citing it does not match this passage]"
            snippet = clipped(c.text, _SOURCE_CHARS)
            page = f" p. {pages[c.chunk_id]}" if pages.get(c.chunk_id) is not None else ""
            lines.append(f"[{c.n}] 《{c.section}》{page} {c.chunk_id}{mark}")
            lines.append(textwrap.indent(textwrap.fill(snippet, width=60), "    "))
    if answer.refusal is not None:
        lines += ["", f"why: {answer.refusal.message} (P(no answer) {answer.refusal.confidence:.2f})"]
    return "\n".join(lines)


def render_evidence(event) -> str:
    """The evidence block printed before the answer streams."""
    lines = ["Evidence:"]
    for e in event.evidence:
        lines.append(textwrap.indent(textwrap.fill(f"[{e.n}] {e.text}", width=60), "  "))
    return "\n".join(lines) + "\nAnswer:"
