"""The store's file helpers; they live in rag._files, shared with the rest of the package
(this name stays importable for the stores and for callers of rag.stores.files)."""
from ..._files import atomic_write, sha256_file, write_text

__all__ = ["atomic_write", "sha256_file", "write_text"]
