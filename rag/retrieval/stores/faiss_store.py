"""The default store: files under index_dir, unchanged since index format 2.

    manifest.json    what built the index + the sha256 of every data file (written last)
    chunks.jsonl     one Chunk per line, in FAISS row order
    dense.faiss      IndexFlatIP over L2-normalised vectors (inner product == cosine)
    lexical.json     per chunk, its character n-gram counts (rag.retrieval.lexical) + the analyser's name

Every file is written to a temporary name and renamed into place, manifest last, so a
crash mid-build leaves either the old index or a manifest whose checksums do not match
(detected on load), never a silently half-written index. Several processes can share
the folder: each notices a new index by the manifest file changing (version()).
"""
from __future__ import annotations

import json
import os


from ...errors import DependencyError, IndexCorruptError, IndexMissingError
from ...types import Chunk
from .base import IndexStore, Loaded
from .files import atomic_write, sha256_file, write_text

MANIFEST = "manifest.json"
DATA_FILES = ("chunks.jsonl", "dense.faiss", "lexical.json")


def _faiss():
    try:
        import faiss
    except ImportError as e:
        raise DependencyError("faiss-cpu", purpose="the vector index") from e
    return faiss


class FaissStore(IndexStore):
    name = "faiss"

    @property
    def location(self) -> str:
        return str(self.index_dir)

    def write(self, chunks, matrix, counts, manifest):
        from .. import lexical

        faiss = _faiss()
        dense = faiss.IndexFlatIP(matrix.shape[1])
        dense.add(matrix)
        d = self.index_dir
        d.mkdir(parents=True, exist_ok=True)
        # data files first, manifest (with their checksums) last
        write_text(d / "chunks.jsonl", "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks))
        atomic_write(d / "dense.faiss", lambda tmp: faiss.write_index(dense, tmp))
        write_text(d / "lexical.json", json.dumps({"analyzer": lexical.ANALYZER, "counts": counts}, ensure_ascii=False))
        manifest["files"] = {name: sha256_file(d / name) for name in DATA_FILES}
        write_text(d / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        (d / "bm25.json").unlink(missing_ok=True)  # jieba-word postings of format 1, now unused
        return dense

    def read_manifest(self) -> dict:
        path = self.index_dir / MANIFEST
        if not path.is_file():
            raise IndexMissingError(
                f"No index in {self.index_dir}. Build it with: rag index --corpus seeds/ --out {self.index_dir}"
            )
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            manifest["files"]  # noqa: B018 - presence check
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
            raise IndexCorruptError(f"{path} is damaged ({e}). {self.rebuild_hint}") from None
        return manifest

    def load(self, manifest: dict) -> Loaded:
        d = self.index_dir
        for name, expected in manifest["files"].items():
            path = d / name
            if not path.is_file():
                raise IndexCorruptError(f"Index file {path} is missing. {self.rebuild_hint}")
            if sha256_file(path) != expected:
                raise IndexCorruptError(f"Index file {path} is truncated or corrupted (checksum mismatch). {self.rebuild_hint}")
        try:
            chunks = [Chunk(**json.loads(line)) for line in (d / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
            dense = _faiss().read_index(str(d / "dense.faiss"))
            lex = json.loads((d / "lexical.json").read_text(encoding="utf-8"))
            analyzer, counts = lex["analyzer"], lex["counts"]
        except Exception as e:  # checksums matched but the content does not parse: still corrupt
            raise IndexCorruptError(f"Index in {d} cannot be read ({e}). {self.rebuild_hint}") from None
        return Loaded(chunks, dense, analyzer, counts)

    def version(self) -> str | None:
        # the manifest is renamed into place last: a new inode and mtime for every build
        try:
            st = os.stat(self.index_dir / MANIFEST)
        except OSError:
            return None
        return f"{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"
