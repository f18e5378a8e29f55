"""Shared fixtures: a private copy of the corpus and an instant index over it.

The "hash" embedder is deterministic and model-free, so index tests run in
milliseconds; tests of the real embedders live in test_embedders_real.py.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.assistant import Assistant
from rag.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPUS_FILE = SEEDS / "chongqing_digital_economy_2025.txt"
GOLD = ROOT / "evals" / "gold.jsonl"


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    d = tmp_path / "corpus"
    shutil.copytree(SEEDS, d)
    return d


@pytest.fixture
def hash_settings(tmp_path, corpus_dir) -> Settings:
    return Settings(embedder="hash", corpus_dir=str(corpus_dir), index_dir=str(tmp_path / "index"))


@pytest.fixture
def hash_assistant(hash_settings) -> Assistant:
    return Assistant.load(hash_settings)


@pytest.fixture(scope="session")
def shared_hash_assistant(tmp_path_factory) -> Assistant:
    """One read-only index for tests that only query it."""
    base = tmp_path_factory.mktemp("shared")
    shutil.copytree(SEEDS, base / "corpus")
    return Assistant.load(Settings(embedder="hash", corpus_dir=str(base / "corpus"), index_dir=str(base / "index")))


@pytest.fixture
def env(monkeypatch, tmp_path, corpus_dir):
    """Environment for CLI tests: the hash embedder over a private corpus copy and index."""
    monkeypatch.setenv("RAG_EMBEDDER", "hash")
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    return tmp_path
