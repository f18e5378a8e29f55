"""rag: retrieval-augmented, citation-checked question answering over Chinese documents.

Public API (everything else is internal and may change):

    import rag
    a = rag.Assistant.load()
    a.retrieve("问题", k=5) -> list[rag.Hit]
    a.ask("问题") -> rag.Answer
    a.ask_stream("问题") -> iterator of rag.StreamEvent
    rag.check_question(text, settings) -> the question, or InputError (before loading anything)
    rag.project_root() -> the folder relative paths in settings resolve against

Errors are subclasses of rag.RagError; see rag.errors for the hierarchy.

The stage packages document their own smaller APIs in their `__all__`: rag.ingest,
rag.retrieval, rag.answering (and rag.answering.generators), rag.evaluation, rag.text.
"""
from . import _moved

_moved.install()  # old flat module paths (rag.index, rag.corpus, ...) keep working

from ._version import version as __version__  # noqa: E402
from .assistant import Assistant, check_question  # noqa: E402
from .config import RETRIEVAL_MODES, Settings, project_root  # noqa: E402
from .errors import (  # noqa: E402
    BackendUnavailableError,
    ConfigError,
    CorpusError,
    DependencyError,
    IndexCorruptError,
    IndexError_,
    IndexMissingError,
    IndexStaleError,
    InputError,
    ModelError,
    RagError,
)
from .types import Answer, Chunk, Citation, Hit, StreamEvent  # noqa: E402

__all__ = [
    "Answer", "Assistant", "BackendUnavailableError", "Chunk", "Citation", "ConfigError",
    "CorpusError", "DependencyError", "Hit", "IndexCorruptError", "IndexError_",
    "IndexMissingError", "IndexStaleError", "InputError", "ModelError", "RagError",
    "RETRIEVAL_MODES", "Settings", "StreamEvent", "check_question", "project_root",
]
