"""The index in Milvus: embedded Milvus Lite in a local file, or a Milvus server or cluster.

    milvus_uri = ""                       Milvus Lite, <index_dir>/milvus.db (one process at a time)
    milvus_uri = "http://host:19530"      a server; the token, if any, comes from $MILVUS_TOKEN

Everything a worker needs is in Milvus, so `rag serve` workers on several machines share
one index with no shared disk. Each build goes into a new collection
`<milvus_collection>_<generation>`: one row per chunk (row number, text key, the chunk as
JSON, its vector), plus the manifest as rows with negative row numbers. Only when the
collection is complete does the alias `<milvus_collection>` move to it (an atomic switch,
the counterpart of writing manifest.json last); the generation before it is kept for
readers still using it, older ones are dropped. A worker notices a new index by the alias
pointing elsewhere (version()).

Checks on load, the counterpart of the file checksums: the manifest rows parse, the
collection holds exactly manifest["chunks"] chunk rows, and the sha256 of their JSON
matches manifest["chunks_sha256"].

BM25 stays local (rag.retrieval.lexical counts recomputed from the chunk texts on load): Milvus'
own full-text search with the jieba analyser ranks worse on Chinese questions than the
character n-grams here (benchmarks/milvus_bm25.py; README "Scaling out").
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time

import numpy as np

from ...errors import BackendUnavailableError, ConfigError, DependencyError, IndexCorruptError, IndexMissingError
from ...ingest.corpus import index_text
from ...types import Chunk
from .. import lexical
from ..embedding_cache import text_key
from .base import IndexStore, Loaded

TOKEN_ENV = "MILVUS_TOKEN"
LITE_FILE = "milvus.db"
MAX_VARCHAR = 65535  # bytes, Milvus' limit for one VARCHAR value
PART_CHARS = 60000  # the manifest (ASCII JSON) is split into rows of at most this many characters
BATCH = 1000  # rows per insert / per range query

_clients: dict[tuple[str, str], object] = {}
_clients_lock = threading.Lock()


def _pymilvus():
    try:
        import pymilvus
    except ImportError as e:
        raise DependencyError("pymilvus", extra="milvus", purpose="the milvus vector store") from e
    return pymilvus


def chunks_digest(chunk_json: list[str]) -> str:
    return hashlib.sha256("\n".join(chunk_json).encode("utf-8")).hexdigest()


class MilvusDense:
    """The part of faiss.Index that HybridIndex uses, over one Milvus collection."""

    def __init__(self, client, collection: str, dim: int, ntotal: int):
        self.client, self.collection, self.d, self.ntotal = client, collection, dim, ntotal

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - pymilvus raises several kinds
            raise IndexMissingError(
                f"Milvus collection {self.collection} cannot be searched ({type(e).__name__}: {e}); "
                "another worker may have replaced the index: reload it, or rebuild with rag index."
            ) from e

    def search(self, q: np.ndarray, k: int):
        q = np.asarray(q, dtype=np.float32).reshape(-1, self.d)
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        ids = np.full((len(q), k), -1, dtype=np.int64)
        res = self._call(self.client.search, self.collection, data=q.tolist(), anns_field="vec", limit=k,
                         filter="row >= 0", output_fields=["row"], search_params={"metric_type": "IP"})
        for qi, hits in enumerate(res):
            # equal scores in FAISS' order (lower row first), so both stores rank alike
            ordered = sorted(((float(h["distance"]), int(h["row"])) for h in hits), key=lambda t: (-t[0], t[1]))
            for j, (s, i) in enumerate(ordered[:k]):
                scores[qi, j], ids[qi, j] = s, i
        return scores, ids

    def reconstruct_n(self, i0: int, n: int) -> np.ndarray:
        out = np.zeros((n, self.d), dtype=np.float32)
        for start in range(i0, i0 + n, BATCH):
            stop = min(i0 + n, start + BATCH)
            rows = self._call(self.client.query, self.collection, filter=f"row >= {start} and row < {stop}",
                              output_fields=["row", "vec"])
            for r in rows:
                out[int(r["row"]) - i0] = r["vec"]
        return out

    def reconstruct(self, i: int) -> np.ndarray:
        return self.reconstruct_n(int(i), 1)[0]


class MilvusStore(IndexStore):
    name = "milvus"

    def __init__(self, settings, index_dir):
        super().__init__(settings, index_dir)
        self.alias = settings.milvus_collection
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", self.alias):
            raise ConfigError(f"milvus_collection must be letters, digits and _ (starting with a letter), "
                              f"not {self.alias!r}.")
        uri = settings.milvus_uri.strip()
        if uri and not uri.startswith(("http://", "https://", "tcp://", "unix:")) and not uri.endswith(".db"):
            raise ConfigError(f"milvus_uri must be a server URI such as http://127.0.0.1:19530, or a Milvus Lite "
                              f"file ending in .db (got {uri!r}); leave it empty for {self.index_dir / LITE_FILE}.")
        self.uri = uri or str(self.index_dir / LITE_FILE)
        self.is_lite = not uri or uri.endswith(".db")

    @property
    def location(self) -> str:
        return f"Milvus {'Lite ' if self.is_lite else ''}{self.uri} (collection {self.alias})"

    @property
    def rebuild_hint(self) -> str:
        return "Rebuild it with: rag index (vector_store = milvus, the same milvus_uri and milvus_collection)"

    # ------------------------------------------------------------------ connection
    @property
    def client(self):
        key = (self.uri, os.environ.get(TOKEN_ENV, ""))
        with _clients_lock:
            if key not in _clients:
                pymilvus = _pymilvus()
                if self.is_lite:
                    os.makedirs(os.path.dirname(os.path.abspath(self.uri)), exist_ok=True)
                try:
                    _clients[key] = pymilvus.MilvusClient(uri=self.uri, token=key[1])
                except Exception as e:  # noqa: BLE001 - connection and lock failures
                    hint = ("Milvus Lite serves one process at a time: another program holds this file; "
                            "for several workers run a Milvus server and set milvus_uri"
                            if self.is_lite else f"Check that the server runs and that ${TOKEN_ENV} holds a valid token")
                    raise BackendUnavailableError(f"Cannot open {self.location}: {e}. {hint}.") from e
            return _clients[key]

    def _generations(self) -> list[str]:
        pattern = re.compile(re.escape(self.alias) + r"_g[0-9a-f]+")
        return sorted(c for c in self.client.list_collections() if pattern.fullmatch(c))

    def _target(self) -> str | None:
        """The collection the alias points at (None: no index built yet)."""
        c = self.client
        try:
            # listed first: describing a missing alias makes pymilvus log a traceback
            if self.alias not in (c.list_aliases().get("aliases") or []):
                return None
            return c.describe_alias(self.alias)["collection_name"]
        except Exception as e:  # noqa: BLE001 - pymilvus raises several kinds
            raise BackendUnavailableError(f"{self.location} does not answer ({type(e).__name__}: {e}).") from e

    # ------------------------------------------------------------------ write
    def _create(self, name: str, dim: int) -> None:
        from pymilvus import DataType

        c = self.client
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("key", DataType.VARCHAR, max_length=64)
        schema.add_field("chunk", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
        params = c.prepare_index_params()
        # FLAT: exact inner product, the same ranking as FAISS' IndexFlatIP
        params.add_index(field_name="vec", index_type=self.settings.milvus_index_type, metric_type="IP")
        c.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")

    def write(self, chunks, matrix, counts, manifest):
        c = self.client
        name = f"{self.alias}_g{time.time_ns():x}"
        dim = int(matrix.shape[1])
        chunk_json = [json.dumps(ch.to_dict(), ensure_ascii=False) for ch in chunks]
        for ch, js in zip(chunks, chunk_json):
            if len(js.encode("utf-8")) > MAX_VARCHAR:
                raise ConfigError(f"Chunk {ch.id} is too long for a Milvus VARCHAR ({MAX_VARCHAR} bytes); "
                                  "lower chunk_max_chars.")
        manifest.update({"store": "milvus", "collection": name, "chunks_sha256": chunks_digest(chunk_json)})
        rows = [{"row": i, "key": text_key(index_text(ch)), "chunk": js, "vec": matrix[i].tolist()}
                for i, (ch, js) in enumerate(zip(chunks, chunk_json))]
        # ASCII JSON (\u escapes), so parts cut at any character are whole bytes
        blob = json.dumps(manifest, ensure_ascii=True)
        zero = [0.0] * dim
        rows += [{"row": -1 - j, "key": "manifest", "chunk": blob[i:i + PART_CHARS], "vec": zero}
                 for j, i in enumerate(range(0, len(blob), PART_CHARS))]
        previous = self._target()
        self._create(name, dim)
        try:
            for i in range(0, len(rows), BATCH):
                c.insert(name, rows[i:i + BATCH])
            c.flush(name)
            if previous is None:
                c.create_alias(name, self.alias)
            else:
                c.alter_alias(name, self.alias)
        except BaseException:
            c.drop_collection(name)
            raise
        # keep the generation just replaced for workers still reading it; drop older ones
        for old in self._generations():
            if old not in (name, previous):
                try:
                    c.drop_collection(old)
                except Exception:  # noqa: BLE001 - another worker may have dropped it already
                    pass
        return MilvusDense(c, name, dim, len(chunks))

    # ------------------------------------------------------------------ read
    def read_manifest(self) -> dict:
        target = self._target()
        if target is None:
            raise IndexMissingError(f"No index in {self.location}. Build it with: rag index "
                                    "(vector_store = milvus)")
        try:
            rows = self.client.query(target, filter="row < 0", output_fields=["row", "chunk"])
            rows = sorted(rows, key=lambda r: -int(r["row"]))
            manifest = json.loads("".join(r["chunk"] for r in rows))
            manifest["chunks_sha256"]  # noqa: B018 - presence check
        except (ValueError, KeyError, TypeError, UnicodeError) as e:
            raise IndexCorruptError(f"The manifest in {self.location} is damaged ({e}). {self.rebuild_hint}") from None
        except Exception as e:  # noqa: BLE001 - the collection behind the alias is gone or unreadable
            raise IndexCorruptError(f"{self.location}: collection {target} cannot be read ({e}). {self.rebuild_hint}") from None
        if manifest.get("collection") != target:
            raise IndexCorruptError(f"{self.location}: the manifest names collection {manifest.get('collection')}, "
                                    f"but the alias points at {target}. {self.rebuild_hint}")
        return manifest

    def load(self, manifest: dict) -> Loaded:
        name = manifest["collection"]
        n = int(manifest.get("chunks", -1))
        by_row: dict[int, str] = {}
        try:
            for start in range(0, max(n, 0) + BATCH, BATCH):  # one range past n: extra rows are damage too
                for r in self.client.query(name, filter=f"row >= {start} and row < {start + BATCH}",
                                           output_fields=["row", "chunk"]):
                    by_row[int(r["row"])] = r["chunk"]
        except Exception as e:  # noqa: BLE001
            raise IndexCorruptError(f"{self.location}: collection {name} cannot be read ({e}). {self.rebuild_hint}") from None
        if sorted(by_row) != list(range(n)):
            raise IndexCorruptError(f"{self.location}: collection {name} holds {len(by_row)} chunk rows, "
                                    f"the manifest says {n}. {self.rebuild_hint}")
        chunk_json = [by_row[i] for i in range(n)]
        if chunks_digest(chunk_json) != manifest["chunks_sha256"]:
            raise IndexCorruptError(f"{self.location}: the chunks in {name} do not match the manifest's checksum. "
                                    f"{self.rebuild_hint}")
        try:
            chunks = [Chunk(**json.loads(js)) for js in chunk_json]
        except (ValueError, TypeError) as e:
            raise IndexCorruptError(f"{self.location}: a chunk in {name} cannot be read ({e}). {self.rebuild_hint}") from None
        # BM25 term counts are a pure function of the text: recomputed rather than stored
        counts = [lexical.term_counts(index_text(c)) for c in chunks]
        dense = MilvusDense(self.client, name, int(manifest["dim"]), n)
        return Loaded(chunks, dense, manifest.get("analyzer", ""), counts)

    def version(self) -> str | None:
        return self._target()

    def stored_vectors(self, keys: list[str], embedder_key: str) -> dict[str, np.ndarray]:
        """Vectors of the current collection by text key, if the same embedder made them: a
        worker without the local embedding cache re-embeds only what changed since the last
        build, wherever that build ran."""
        if not keys:
            return {}
        out: dict[str, np.ndarray] = {}
        try:
            manifest = self.read_manifest()
            if manifest.get("embedder_key") != embedder_key:
                return {}
            target = manifest["collection"]
            for i in range(0, len(keys), BATCH):
                batch = json.dumps(keys[i:i + BATCH])
                for r in self.client.query(target, filter=f"row >= 0 and key in {batch}", output_fields=["key", "vec"]):
                    out[r["key"]] = np.asarray(r["vec"], dtype=np.float32)
        except Exception:  # noqa: BLE001 - no index, or an unreadable one: that only costs re-embedding
            return {}
        return out
