"""The `rag` command. Each subcommand lives in its own module with `register(subparsers)`;
this module only wires them up and turns RagError into a message and exit code 2."""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import RagError
from . import ask_cmd, eval_cmd, feedback_cmd, index_cmd, model_cmd, search_cmd, serve_cmd, users_cmd

COMMANDS = (index_cmd, search_cmd, ask_cmd, eval_cmd, serve_cmd, model_cmd, feedback_cmd, users_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Question answering with citations over the documents in seeds/."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", help="TOML settings file (default: ./rag.toml if present)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
