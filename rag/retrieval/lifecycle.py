"""Open the index for a corpus: load it when it matches the corpus and settings, build or
rebuild it when it is missing, stale or damaged (settings.auto_rebuild), else say why not."""
from __future__ import annotations

from collections.abc import Callable

from . import lexical
from ..config import Settings
from ..ingest import limits, ocr
from ..ingest.corpus import CHUNKER_VERSION, chunk_documents, corpus_hash, load_documents
from .embedders import Embedder
from ..errors import IndexCorruptError, IndexMissingError, IndexStaleError
from .hybrid import FORMAT_VERSION, HybridIndex
from .stores import make_store

Log = Callable[[str], None]


def stale_reason(manifest: dict, embedder: Embedder, settings: Settings, current_hash: str | None) -> str | None:
    """Why an index on disk does not match the current corpus and settings (None when it does)."""
    if manifest.get("format") != FORMAT_VERSION:
        return f"index format {manifest.get('format')} is not the current {FORMAT_VERSION}"
    if manifest.get("embedder_key") != embedder.key:
        return f"it was built with embedder {manifest.get('embedder_key')!r}, but the settings use {embedder.key!r}"
    if manifest.get("analyzer") != lexical.ANALYZER:
        return f"its terms were cut by {manifest.get('analyzer')!r}, not the current {lexical.ANALYZER!r}"
    if manifest.get("chunker_version") != CHUNKER_VERSION or manifest.get("chunk_max_chars") != settings.chunk_max_chars:
        return "it was built with other chunking settings"
    if current_hash is not None and manifest.get("corpus_hash") != current_hash:
        return "the corpus has changed since it was built"
    return None


def build_from_corpus(settings: Settings, embedder: Embedder, progress: bool | Callable = False, log: Log | None = None,
                      on_total: Callable[[int], None] | None = None,
                      on_pages: ocr.PageProgress | None = None) -> HybridIndex:
    # how scans are read, and who hears of it; the page and archive limits of these settings
    with ocr.using(ocr.options_from(settings, on_pages)), limits.using(limits.Limits.of(settings)):
        docs = load_documents(settings.corpus_path, log=log)
    chunks = chunk_documents(docs, settings.chunk_max_chars)
    return HybridIndex.build(
        chunks, embedder, settings.index_path, settings, corpus_hash(docs), progress=progress,
        extra_manifest={"corpus_files": sorted(d.source for d in docs),
                        # files that could not be read, and why (rag.ingest.corpus.load_documents)
                        "skipped": [s.to_dict() for s in docs.skipped]},
        on_total=on_total,
    )


def open_index(settings: Settings, embedder: Embedder, progress: bool = False, log: Log | None = None) -> HybridIndex:
    """Load the index for settings.corpus_dir; build or rebuild it when missing, stale or
    corrupted if settings.auto_rebuild, else raise the matching IndexError_ subclass."""
    say = log or (lambda _msg: None)
    index_dir = settings.index_path
    store = make_store(settings, index_dir)
    current = None
    if settings.corpus_path.is_dir():
        with ocr.using(ocr.options_from(settings, ocr.log_pages(say))), \
                limits.using(limits.Limits.of(settings)):  # a new scan is read here, once
            current = corpus_hash(load_documents(settings.corpus_path))
    else:
        say(f"Corpus folder {settings.corpus_path} not found; using the index as built, without a staleness check.")
    try:
        manifest = store.read_manifest()
        reason = stale_reason(manifest, embedder, settings, current)
        if reason is None:
            return HybridIndex.load(index_dir, embedder, settings)
        if not settings.auto_rebuild:
            raise IndexStaleError(f"The index in {store.location} is stale: {reason}. {store.rebuild_hint}")
        say(f"Rebuilding the index in {store.location}: {reason}.")
    except IndexMissingError as e:
        if current is None:
            raise IndexMissingError(f"{e} (and the corpus folder {settings.corpus_path} does not exist either: "
                                    "point --corpus / corpus_dir at your documents)") from None
        if not settings.auto_rebuild:
            raise
        say(f"No index in {store.location} yet; building it from {settings.corpus_path}.")
    except IndexCorruptError as e:
        if not settings.auto_rebuild or current is None:
            raise
        say(f"{e} Rebuilding it now.")
    return build_from_corpus(settings, embedder, progress=progress, log=log)
