"""Old flat module paths (rag.corpus, rag.index, rag.answering ...) from before the code was
grouped by stage, kept importable so callers' code written against them goes on working.

A meta-path finder maps each old name onto the module that now holds it; the module
object is the same, so `rag.index.HybridIndex is rag.retrieval.index.HybridIndex`.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

# old name under rag -> where it lives now (rag.answering is now a package and keeps
# its own name: its __init__ exports what rag/answering.py did)
MOVED = {
    "corpus": "ingest.corpus",
    "loaders": "ingest.loaders",
    "documents": "ingest.uploads",
    "index": "retrieval.index",
    "lexical": "retrieval.lexical",
    "bm25": "retrieval.bm25",
    "bilingual": "retrieval.bilingual",
    "embedders": "retrieval.embedders",
    "stores": "retrieval.stores",
    "relevance": "retrieval.sentence_vectors",
    "refusal": "answering.refusal",
    "citations": "answering.citations",
    "prompts": "answering.prompts",
    "condense": "answering.condense",
    "gate": "answering.model_line",
    "generators": "answering.generators",
    "model_store": "answering.generators.model_store",
    "spans": "answering.wording",
    "sentences": "answering.selection",
    "transcript": "answering.transcript",
    "evaluate": "evaluation.runner",
    "metrics": "evaluation.metrics",
    "charts": "evaluation.charts",
    "cmrc": "evaluation.cmrc",
    "feedback": "evaluation.feedback",
    "evidence": "text.measures",
}


def current_name(fullname: str) -> str | None:
    """'rag.stores.files' -> 'rag.retrieval.stores.files'; None for a name that did not move."""
    parts = fullname.split(".")
    if parts[0] != "rag" or len(parts) < 2 or parts[1] not in MOVED:
        return None
    return ".".join(["rag", MOVED[parts[1]], *parts[2:]])


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass  # the target module is already executed


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        new = current_name(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new))


def install() -> None:
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        # first in line: for a submodule of a moved package (rag.stores.files) the path finder
        # would otherwise load a second copy from the package's folder under the old name
        sys.meta_path.insert(0, MovedModuleFinder())
