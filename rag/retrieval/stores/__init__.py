"""Index stores, chosen by name (settings.vector_store): where the built index lives.

    faiss    files under index_dir (the default; see rag.retrieval.stores.faiss_store)
    milvus   a Milvus collection: Milvus Lite in a local file, or a Milvus server or
             cluster by URI (settings.milvus_uri, token from $MILVUS_TOKEN)
"""
from __future__ import annotations

from pathlib import Path

from ...config import Settings
from ...registry import create
from .base import IndexStore, Loaded

REGISTRY: dict[str, str] = {
    "faiss": "rag.retrieval.stores.faiss_store:FaissStore",
    "milvus": "rag.retrieval.stores.milvus_store:MilvusStore",
}


def available() -> list[str]:
    return sorted(REGISTRY)


def make_store(settings: Settings, index_dir: Path | str | None = None) -> IndexStore:
    return create(REGISTRY, "vector_store", settings.vector_store, settings,
                  Path(index_dir) if index_dir is not None else settings.index_path)


__all__ = ["REGISTRY", "IndexStore", "Loaded", "available", "make_store"]
