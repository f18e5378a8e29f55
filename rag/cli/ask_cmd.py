"""`rag ask`: placeholder until its issue lands (being written in this session)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("ask", help="(not yet available)")
    p.set_defaults(func=lambda args: print("rag ask is not available yet") or 2)
