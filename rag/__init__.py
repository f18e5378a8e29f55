"""rag: retrieval-augmented, citation-checked question answering over Chinese documents.

Public API (everything else is internal and may change):

    import rag
    a = rag.Assistant.load()
    a.retrieve("问题", k=5) -> list[rag.Hit]
    a.ask("问题") -> rag.Answer
    a.ask_stream("问题") -> iterator of rag.StreamEvent

Errors are subclasses of rag.RagError; see rag.errors for the hierarchy.
"""
from .assistant import Assistant
from .config import Settings
from .errors import (
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
from .types import Answer, Chunk, Citation, Hit, StreamEvent

__version__ = "0.1.0"

__all__ = [
    "Answer", "Assistant", "BackendUnavailableError", "Chunk", "Citation", "ConfigError",
    "CorpusError", "DependencyError", "Hit", "IndexCorruptError", "IndexError_",
    "IndexMissingError", "IndexStaleError", "InputError", "ModelError", "RagError",
    "Settings", "StreamEvent",
]
