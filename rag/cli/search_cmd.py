"""`rag search`: show the passages retrieval finds for a question."""
from __future__ import annotations

import textwrap

from ..assistant import Assistant, check_question
from .common import add_retrieval_args, log_stderr, print_json, settings_from


def register(sub) -> None:
    p = sub.add_parser("search", help="retrieve the top passages for a question")
    p.add_argument("question")
    add_retrieval_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = settings_from(args)
    check_question(args.question, settings)  # before the slow part
    assistant = Assistant.load(settings, progress=not args.json, log=log_stderr)
    hits = assistant.retrieve(args.question, k=args.k)
    if args.json:
        print_json([h.to_dict() for h in hits])
        return 0
    if not hits:
        print("No passage matched.")
    for h in hits:
        c = h.chunk
        page = f" p. {c.page}" if c.page is not None else ""
        print(f"[{h.rank}] {c.id}  score={h.score:.4f}  《{c.section}》 para {c.paragraph}{page}")
        print(textwrap.indent(textwrap.fill(c.text, width=60), "    "))
    return 0
