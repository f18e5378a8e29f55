"""Old flat module paths still import, as the very modules that now hold the code."""
import importlib

import pytest

import rag
from rag._moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_path_is_the_new_module(old):
    assert importlib.import_module(f"rag.{old}") is importlib.import_module(f"rag.{MOVED[old]}")


def test_names_import_from_old_paths():
    from rag.corpus import chunk_documents
    from rag.stores.files import atomic_write
    from rag.answering import AskOptions, answer_stream
    from rag.ingest.corpus import chunk_documents as new_chunk
    from rag.retrieval.stores.files import atomic_write as new_write

    assert chunk_documents is new_chunk and atomic_write is new_write
    from rag.answering.pipeline import AskOptions as PipelineOptions, answer_stream as pipeline_stream
    assert AskOptions is PipelineOptions and answer_stream is pipeline_stream


def test_unknown_module_still_fails():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("rag.no_such_module")
    assert rag.__version__
