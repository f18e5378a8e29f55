"""Generator registry: backends are chosen by name and imported only when asked for."""
from __future__ import annotations

from ...config import Settings
from ...registry import create
from .base import Generator, Message

# name -> "module:Class"; modules import their heavy dependencies lazily
REGISTRY: dict[str, str] = {
    "llama-cpp": "rag.answering.generators.llama_cpp:LlamaCppGenerator",
    "transformers": "rag.answering.generators.transformers_backend:TransformersGenerator",
    "openai": "rag.answering.generators.openai_compat:OpenAICompatGenerator",
    "extractive": "rag.answering.generators.extractive:ExtractiveGenerator",
}


def available() -> list[str]:
    return sorted(REGISTRY)


def llama_build_features() -> list[str]:
    """The CPU features the installed llama.cpp library was compiled for ("AVX2", ...)."""
    from .llama_cpp import build_features  # the backend module only when asked for, as above

    return build_features()


def make_generator(name: str, settings: Settings) -> Generator:
    return create(REGISTRY, "generator", name, settings)


__all__ = ["Generator", "Message", "REGISTRY", "available", "llama_build_features", "make_generator"]
