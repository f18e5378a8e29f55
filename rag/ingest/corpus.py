"""The ingest stage's surface, in one import: formats (rag.ingest.formats), reading a
folder (rag.ingest.folder), layout and chunking (rag.ingest.layout, rag.ingest.chunker)
and a chunk's text views (rag.ingest.views). Kept because the retrieval and answering
stages, the UI and `rag.corpus` (the old flat path) import these names from here."""
from __future__ import annotations

from .chunker import CHUNKER_VERSION, chunk_document, chunk_documents
from .folder import Document, DocumentList, Skipped, corpus_hash, load_documents
from .formats import LOADERS
from .views import index_text, reading_text

__all__ = [
    "CHUNKER_VERSION", "LOADERS", "Document", "DocumentList", "Skipped", "chunk_document",
    "chunk_documents", "corpus_hash", "index_text", "load_documents", "reading_text",
]
