"""The facade's documents: listing, adding and removing uploads, and rebuilding the index
off the request path (rag.retrieval.worker). Mixed into rag.assistant.Assistant, whose
settings, index, embedder and _docs_lock these methods use."""
from __future__ import annotations

import logging

from .config import Settings
from .ingest.uploads import AddResult, DocumentInfo, ProgressCallback
from .retrieval.index import HybridIndex

log = logging.getLogger(__name__)


def recover_uploads(settings: Settings) -> None:
    """Before the index is opened: undo an upload that a killed process left half-done
    (rag.ingest.uploads.recover), unless another process is adding right now."""
    from .ingest import uploads as docs

    if not docs.upload_folder(settings.corpus_path).is_dir():
        return
    with docs.corpus_lock(settings.corpus_path, blocking=False) as lock:
        if lock.held:
            undone = docs.recover(settings.corpus_path)
            if undone:
                log.warning("uploads left half-done by a stopped process were taken out again: %s", ", ".join(undone))


class DocumentsMixin:
    def documents(self) -> list[DocumentInfo]:
        """The indexed documents: source, chunk count, pages (PDF), whether uploaded."""
        from .ingest.uploads import describe

        return describe(self.index.chunks)

    def add_documents(self, files, progress: ProgressCallback | None = None, *, user: str = "",
                      replace: bool = False) -> AddResult:
        """Store files (paths, or (name, bytes) pairs) under <corpus>/uploads/ and re-index:
        only their chunks are embedded, and they are searchable as soon as this returns.
        InputError, before anything is stored, for an unsupported format, a file over
        settings.max_upload_mb or an unusable name. A stored file that then cannot be read
        is removed again and listed in the result's `skipped` with the reason, as is one past
        an upload limit (rag.ingest.limits); a replaced upload that fails comes back as it
        was. An upload is either in (file and index) or out, also when the server is killed
        midway: the journal in uploads/ is undone at the next start (rag.ingest.uploads.recover).
        The index is rebuilt off the request path (settings.index_worker, rag.retrieval.worker):
        questions meanwhile use the old one."""
        from .ingest import uploads as docs
        from .retrieval.worker import UnreadableUploads

        corpus = self.settings.corpus_path
        with self._docs_lock, docs.corpus_lock(corpus):
            watch = docs.Stopwatch(progress)
            docs.recover(corpus)  # what a process killed mid-add left (we hold the lock: nobody else is adding)
            pending = docs.store_uploads(corpus, files, self.settings.max_upload_mb, user=user, replace=replace)
            watch.report("reading")
            # the upload limits (rag.ingest.limits); a file past one is out, with its reason
            admitted, refused = docs.admit(corpus, pending, self.settings, user)
            if not admitted:
                return docs.AddResult(skipped=refused, seconds=watch.elapsed)
            unreadable: list[dict] = []
            index = None
            try:
                try:
                    index = self._reindex(watch, on_chunks=lambda n: watch.report("embedding", n),
                                          sources=[p.source for p in admitted])
                except UnreadableUploads as e:  # nothing was embedded or written: out they go
                    bad = {s["file"] for s in e.skipped}
                    docs.settle(corpus, [p for p in admitted if p.source in bad], ok=False)
                    unreadable = e.skipped
                    admitted = [p for p in admitted if p.source not in bad]
                    if admitted:  # the others still go in
                        index = self._reindex(watch, on_chunks=lambda n: watch.report("embedding", n),
                                              sources=[p.source for p in admitted])
            except BaseException:  # fully out: the files go, a replaced one comes back
                docs.settle(corpus, admitted, ok=False)
                self._restore_index()
                raise
            docs.settle(corpus, admitted, ok=True)
            added = [p.source for p in admitted]
            watch.report("done")
            return docs.AddResult(
                added=added, replaced=[p.source for p in admitted if p.replaces],
                skipped=refused + unreadable,
                chunks=sum(c.source in added for c in index.chunks) if index is not None else 0,
                embedded=index.build_stats.embedded if index is not None else 0, seconds=watch.elapsed,
            )

    def remove_document(self, source: str, progress: ProgressCallback | None = None) -> int:
        """Delete an uploaded document and re-index; returns how many chunks it had. The
        seed documents cannot be removed this way (InputError)."""
        from .ingest import uploads as docs

        with self._docs_lock, docs.corpus_lock(self.settings.corpus_path):
            docs.recover(self.settings.corpus_path)
            chunks = sum(c.source == source for c in self.index.chunks)
            docs.remove_upload(self.settings.corpus_path, source)
            watch = docs.Stopwatch(progress)
            self._reindex(watch)
            watch.report("done")
            return chunks

    def _reindex(self, watch, on_chunks=None, sources=()) -> HybridIndex:
        """Rebuild the index from the corpus folder (cached vectors reused) with the new
        sentences' vectors for the evidence, off the request path (rag.retrieval.worker),
        then swap it in: questions meanwhile use the old one. `on_chunks(n)` hears how many
        chunks the build will embed; `sources`, the uploads whose failure to read raises
        UnreadableUploads before anything is embedded."""
        from .retrieval import worker

        class Watch:  # the stage "embedding" also tells on_chunks its total
            def report(_, stage, total=None):
                if stage == "embedding" and on_chunks is not None:
                    on_chunks(total or 0)
                else:
                    watch.report(stage, total)

            def advance(_, n):
                watch.advance(n)

        self._rebuilding = True  # refresh() leaves the index files alone meanwhile: this swaps them in
        try:
            index = worker.rebuild(self.settings, self.embedder, Watch(), sources=sources)
            self.index = index
        finally:
            self._rebuilding = False
        return index

    def _restore_index(self) -> None:
        """After a failed add: when the index files were already rewritten (the worker wrote
        them, then something failed), rebuild them from the corpus as it is again (every
        vector cached) so that neither a restart nor another worker sees the failed upload.
        The index in memory was never swapped."""
        store = getattr(self.index, "store", None)
        try:
            if store is None or store.version() == self.index.version:
                return
            from .ingest import uploads as docs

            log.warning("a failed upload had reached the index files; rebuilding them without it")
            self._reindex(docs.Stopwatch(None))
        except Exception:  # noqa: BLE001 - the index in memory is right; a restart rebuilds the files
            log.exception("rebuilding the index files after a failed upload failed; the next start rebuilds them")
