"""Every error the library raises on purpose is a RagError.

    RagError                      base; str(err) is a message a user can act on
    ├── ConfigError               a bad setting or argument (unknown backend, k < 1, ...)
    ├── InputError                a bad question (empty, too long)
    ├── CorpusError               corpus folder missing or without one readable document
    │   └── UnreadableFileError   one file cannot be turned into text (skipped, with this reason)
    ├── IndexError_               index missing, stale, built with another embedder, corrupted
    │   ├── IndexMissingError
    │   ├── IndexStaleError
    │   └── IndexCorruptError
    ├── ModelError                a model file/package is missing or broken
    ├── DependencyError           an optional package is not installed (names the pip command)
    └── BackendUnavailableError   a generation server is down or answered with an error

Only front ends (CLI, UI) turn these into exit codes or on-screen messages.
"""
from __future__ import annotations


class RagError(Exception):
    """Base class; the message says what went wrong and what to do."""


class ConfigError(RagError):
    pass


class InputError(RagError):
    pass


class CorpusError(RagError):
    pass


class UnreadableFileError(CorpusError):
    """One document cannot be read (corrupt, scanned, undecodable, unknown type): the corpus
    loader skips it and records str(err) as the reason; the file name is added by the caller."""


class IndexError_(RagError):  # trailing underscore: do not shadow the builtin IndexError
    pass


class IndexMissingError(IndexError_):
    pass


class IndexStaleError(IndexError_):
    pass


class IndexCorruptError(IndexError_):
    pass


class ModelError(RagError):
    pass


class DependencyError(RagError):
    def __init__(self, package: str, extra: str | None = None, purpose: str = ""):
        cmd = f"pip install '.[{extra}]'" if extra else f"pip install {package}"
        what = f" (needed for {purpose})" if purpose else ""
        super().__init__(f"The Python package '{package}' is not installed{what}. Install it with: {cmd}")
        self.package = package


class BackendUnavailableError(RagError):
    pass
