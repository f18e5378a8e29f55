"""Argument helpers shared by the subcommands."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..config import RETRIEVAL_MODES, Settings


def add_retrieval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=None, help="number of passages to retrieve (default from settings: 5)")
    p.add_argument("--retrieval", choices=RETRIEVAL_MODES, default=None, help="retrieval mode")
    p.add_argument("--corpus", default=None, help="corpus folder (default seeds/)")
    p.add_argument("--index", dest="index_dir", default=None, help="index folder (default index/)")
    p.add_argument("--no-rebuild", action="store_true", help="fail instead of rebuilding a missing or stale index")
    add_store_args(p)


def add_store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", dest="vector_store", choices=["faiss", "milvus"], default=None,
                   help="where the index lives: faiss files (default) or milvus (see --milvus-uri)")
    p.add_argument("--milvus-uri", default=None,
                   help="Milvus server URI, e.g. http://127.0.0.1:19530 (default: Milvus Lite in the index folder); "
                        "token from $MILVUS_TOKEN")


def settings_from(args: argparse.Namespace, **extra: Any) -> Settings:
    overrides = {
        "corpus_dir": getattr(args, "corpus", None),
        "index_dir": getattr(args, "index_dir", None),
        "retrieval": getattr(args, "retrieval", None),
        "generator": getattr(args, "generator", None),
        "vector_store": getattr(args, "vector_store", None),
        "milvus_uri": getattr(args, "milvus_uri", None),
    }
    if getattr(args, "no_rebuild", False):
        overrides["auto_rebuild"] = False
    overrides.update(extra)
    return Settings.load(getattr(args, "config", None)).replace(**overrides)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def log_stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
