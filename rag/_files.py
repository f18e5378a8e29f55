"""Writing files so that a reader never sees half of one: write to a temporary name in the
same folder, then rename over the target (a rename within one file system is atomic).

The one implementation for the whole package: the index, the embedding caches, the model
stamp and assembly, uploaded documents and evaluation reports all write through it."""
from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call write(tmp_path), then rename tmp_path over path (same folder, so the rename is
    atomic). When write raises, the temporary file is removed and path is left as it was."""
    path = Path(path)
    # a fresh unique name, not created here: the writer creates it with the usual
    # permissions (a mkstemp file would be private to its owner)
    tmp = str(path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"))
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    def w(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    atomic_write(path, w)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
