"""Backends chosen by name: a registry maps a name to "module:Class", imported only when asked
for, so `import rag` never pulls in torch, llama.cpp or an HTTP client."""
from __future__ import annotations

import importlib
from typing import Any

from .config import Settings
from .errors import ConfigError


def create(registry: dict[str, str], kind: str, name: str, settings: Settings, *args: Any) -> Any:
    target = registry.get(name)
    if target is None:
        raise ConfigError(f"Unknown {kind} {name!r}. Choose one of: {', '.join(sorted(registry))}.")
    module_name, cls_name = target.split(":")
    return getattr(importlib.import_module(module_name), cls_name)(settings, *args)
