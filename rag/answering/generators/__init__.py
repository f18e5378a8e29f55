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


def start_llama_server(settings: Settings) -> Generator:
    """The llama-cpp model in llama.cpp's own server with settings.generation_slots parallel
    slots, started and watched (rag.answering.generators.llama_server): what `rag serve`
    registers as "llama-cpp" with model_server "auto" (when built) or "llama-server". `.server.stop()` ends it."""
    from .llama_server import start_llama_server as start

    return start(settings)


def find_llama_server(settings: Settings):
    """The llama-server program `rag serve` would start (its path); ModelError naming the
    set-up command when it is not built here."""
    from .llama_server_process import find_binary

    return find_binary(settings)


__all__ = ["Generator", "Message", "REGISTRY", "available", "find_llama_server", "llama_build_features",
           "make_generator", "start_llama_server"]
