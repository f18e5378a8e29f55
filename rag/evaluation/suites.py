"""The development suites declared in evals/suites.toml: what each one asks, over which
corpus, and how that corpus is built.

    specs = load_suites("evals/suites.toml")
    built = build_suite(specs[0], base_settings)   # -> settings for Assistant.load + gold items

Kinds of suite:
- "cmrc-split": half of the CMRC 2018 dev articles written as documents and indexed through
  the real `rag index` path (Assistant.load on a cache folder), answerable questions about
  them, unanswerable ones about the other half (rag.evaluation.cmrc_split); `script` =
  "simplified" or "traditional" (OpenCC).
- "questions": a gold-format file asked over a "cmrc-split" suite's corpus (`corpus_of`),
  e.g. the hand-translated English questions.
- "nomiracl": NoMIRACL questions, each answered from its own passages only
  (rag.evaluation.nomiracl).
- "cmrc-given": CMRC questions about articles a "cmrc-split" suite (`exclude_of`) does not
  index, each answered from five given passages: topical ones that do not answer and noise,
  with or without the answer's own (rag.evaluation.cmrc_given).
- "gold": a gold file over the settings' own corpus (the seed).

A suite marked `test_only = true` is never fitted on: code that fits a value on suite rows
reads them through `fit_rows` (rag.evaluation.suite_run), which leaves such suites out.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigError
from . import cmrc_split
from .gold import GoldItem, load_gold

KINDS = ("cmrc-split", "questions", "nomiracl", "cmrc-given", "gold")
GIVEN_PASSAGE_KINDS = ("nomiracl", "cmrc-given")  # answered from their own passages: no index
SHARED_DATA_ENV = "RAG_SHARED_DATA"  # where "shared:" paths point; default <repo>/../shared/data


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    kind: str
    test_only: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = Path(".")  # relative paths in options resolve against the toml's folder
    cache_dir: Path = Path(".cache")

    def path(self, key: str, default: str | None = None) -> Path:
        value = self.options.get(key, default)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"suite {self.name!r}: '{key}' must be a path string.")
        if value.startswith("shared:"):
            shared = os.environ.get(SHARED_DATA_ENV) or str(self.base_dir.parent.parent / "shared" / "data")
            return Path(shared) / value[len("shared:"):].lstrip("/")
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def number(self, key: str, default: int) -> int:
        value = self.options.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"suite {self.name!r}: '{key}' must be a whole number >= 0, got {value!r}.")
        return value


@dataclass
class BuiltSuite:
    spec: SuiteSpec
    items: list[GoldItem]
    settings: Settings | None  # for Assistant.load; None for given passages (no index)
    passages: dict[str, list] | None = None  # "nomiracl", "cmrc-given": question -> its own Chunks
    note: str = ""


def load_suites(path: str | os.PathLike) -> list[SuiteSpec]:
    """Parse suites.toml: optional [defaults] (cache, seed) and one [[suite]] table per suite
    with at least `name` and `kind`."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"Suite file {p} does not exist; see evals/suites.toml for the format.")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p} is not valid TOML ({e}).") from None
    defaults = data.get("defaults", {})
    suites = data.get("suite", [])
    if not isinstance(suites, list) or not suites:
        raise ConfigError(f"{p} declares no [[suite]] tables.")
    base = p.resolve().parent
    cache = Path(str(defaults.get("cache", ".cache/suites"))).expanduser()
    cache = cache if cache.is_absolute() else base / cache
    specs: list[SuiteSpec] = []
    for n, raw in enumerate(suites, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
            raise ConfigError(f"{p}: suite #{n} needs a non-empty 'name'.")
        name, kind = raw["name"].strip(), raw.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{p}: suite {name!r} has kind {kind!r}; use one of {', '.join(KINDS)}.")
        if any(s.name == name for s in specs):
            raise ConfigError(f"{p}: two suites are named {name!r}.")
        test_only = raw.get("test_only", False)
        if not isinstance(test_only, bool):
            raise ConfigError(f"{p}: suite {name!r}: test_only must be true or false.")
        options = {k: v for k, v in {**defaults, **raw}.items() if k not in ("name", "kind", "test_only", "cache")}
        specs.append(SuiteSpec(name, kind, test_only, options, base, cache))
    by_name = {s.name: s for s in specs}
    for s in specs:
        if s.kind == "questions" and by_name.get(s.options.get("corpus_of", "")) is None:
            raise ConfigError(f"{p}: suite {s.name!r} needs corpus_of = the name of a cmrc-split suite.")
        if s.kind == "cmrc-given" and getattr(by_name.get(s.options.get("exclude_of", "")), "kind", "") != "cmrc-split":
            raise ConfigError(f"{p}: suite {s.name!r} needs exclude_of = the name of a cmrc-split suite.")
    return specs


def select(specs: list[SuiteSpec], only: list[str] | None) -> list[SuiteSpec]:
    if not only:
        return specs
    unknown = [n for n in only if n not in {s.name for s in specs}]
    if unknown:
        raise ConfigError(f"Unknown suite(s) {', '.join(unknown)}; declared: {', '.join(s.name for s in specs)}.")
    return [s for s in specs if s.name in only]


# ---------------------------------------------------------------------- building
def _split_folder(spec: SuiteSpec) -> Path:
    """One corpus and index per (script, seed): the sample sizes do not change the corpus,
    and the English questions share the simplified one."""
    return spec.cache_dir / f"cmrc-split-{spec.options.get('script', 'simplified')}-{spec.number('seed', cmrc_split.SPLIT_SEED)}"


def _split_settings(spec: SuiteSpec, base: Settings, files: dict[str, str]) -> Settings:
    folder = _split_folder(spec)
    cmrc_split.write_corpus(files, folder / "corpus")
    _ignore_in_git(spec.cache_dir)
    return base.replace(corpus_dir=str(folder / "corpus"), index_dir=str(folder / "index"), auto_rebuild=True)


def _ignore_in_git(folder: Path) -> None:
    """The built corpora and indexes are not committed: the cache folder ignores itself."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".gitignore"
    if not marker.is_file():
        marker.write_text("*\n", encoding="utf-8")


def _split_suite(spec: SuiteSpec, sizes: bool = True) -> cmrc_split.SplitSuite:
    articles = cmrc_split.load_articles(spec.path("cmrc"))
    return cmrc_split.build_split_suite(
        articles, n_answerable=spec.number("answerable", 150) if sizes else 0,
        n_unanswerable=spec.number("unanswerable", 60) if sizes else 0,
        seed=spec.number("seed", cmrc_split.SPLIT_SEED), script=str(spec.options.get("script", "simplified")))


def build_suite(spec: SuiteSpec, base: Settings, specs: list[SuiteSpec] | None = None) -> BuiltSuite:
    """The suite's questions, and the settings whose corpus and index it is asked over
    (corpus files written into the cache folder; the index is built on Assistant.load)."""
    if spec.kind == "cmrc-split":
        suite = _split_suite(spec)
        answerable = [GoldItem(q.id, q.question, q.answers, (q.evidence,), True, "zh") for q in suite.answerable]
        unanswerable = [GoldItem(q.id, q.question, (), (), False, "zh") for q in suite.unanswerable]
        items = _interleave(answerable, unanswerable)
        return BuiltSuite(spec, items, _split_settings(spec, base, suite.corpus_files),
                          note=f"{len(suite.corpus_files)} articles indexed ({spec.options.get('script', 'simplified')})")
    if spec.kind == "questions":
        source = next((s for s in specs or [] if s.name == spec.options.get("corpus_of")), None)
        if source is None or source.kind != "cmrc-split":
            raise ConfigError(f"suite {spec.name!r}: corpus_of must name a cmrc-split suite.")
        suite = _split_suite(source, sizes=False)
        questions = load_gold(spec.path("questions"))
        # mixed in proportion like the split's own questions, so any prefix (--limit N) holds both kinds
        items = _interleave([q for q in questions if q.answerable], [q for q in questions if not q.answerable])
        return BuiltSuite(spec, items, _split_settings(source, base, suite.corpus_files),
                          note=f"over the corpus of {source.name}")
    if spec.kind == "nomiracl":
        from .nomiracl import load_nomiracl

        items, passages = load_nomiracl(spec.path("path"), relevant=spec.number("relevant", 50),
                                        non_relevant=spec.number("non_relevant", 50), seed=spec.number("seed", 13))
        return BuiltSuite(spec, items, None, passages, note="each question sees only its own 10 passages")
    if spec.kind == "cmrc-given":
        return _given_suite(spec, specs or [])
    gold = load_gold(spec.path("gold"))
    overrides = {key: str(spec.path(key)) for key in ("corpus_dir", "index_dir") if key in spec.options}
    return BuiltSuite(spec, gold, base.replace(**overrides) if overrides else base, note="test only" if spec.test_only else "")


def _given_suite(spec: SuiteSpec, specs: list[SuiteSpec]) -> BuiltSuite:
    from .cmrc_given import PASSAGES, build_given_suite

    source = next(s for s in specs if s.name == spec.options.get("exclude_of"))
    split = _split_suite(source)
    asked = {q.id for q in split.answerable + split.unanswerable}
    answerable, unanswerable, passages = build_given_suite(
        cmrc_split.load_articles(spec.path("cmrc")), n_answerable=spec.number("answerable", 60),
        n_unanswerable=spec.number("unanswerable", 60), seed=spec.number("seed", cmrc_split.SPLIT_SEED),
        split_seed=source.number("seed", cmrc_split.SPLIT_SEED), exclude=asked)
    return BuiltSuite(spec, _interleave(answerable, unanswerable), None, passages,
                      note=f"each question sees only its own {PASSAGES} passages")


def _interleave(a: list, b: list) -> list:
    """a and b mixed in proportion, order kept within each, so that any prefix (--limit N)
    holds both kinds of question."""
    total = len(a) + len(b)
    out, i, j = [], 0, 0
    for n in range(1, total + 1):
        if j < len(b) and (i >= len(a) or j * total < n * len(b) - len(b) // 2):
            out.append(b[j])
            j += 1
        else:
            out.append(a[i])
            i += 1
    return out
