"""Documents added to (and removed from) a running assistant: uploads from the chat page.

Uploads are stored under the corpus folder, in `<corpus>/uploads/`, next to the seed
documents, which stay where they are and cannot be removed from here. A stored file gets
a safe name (its base name only, characters outside letters, digits and a few marks
replaced, so "../../etc/passwd" or "a/b\\c.pdf" cannot leave the folder), must be one of
the formats the loaders read (rag.ingest.formats.LOADERS), and no larger than
settings.max_upload_mb. The index is then rebuilt from the corpus folder: the embedding
cache means only the new file's chunks are embedded, everything else is reused, so a new
document is searchable seconds later, in the same session.

Fully in or fully out: an upload is written under a hidden pending name, checked against
the limits (`admit`), written to the journal (uploads/.journal.json), moved in (a version
it replaces moved aside under a hidden name), indexed, and then `settle`d: kept (journal
entry dropped first, then the replaced version) or undone (file out, replaced version
back). A process killed in between leaves the journal; `recover`, run by the next add or
start while holding `corpus_lock`, undoes what it lists.
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .formats import LOADERS
from .progress import IndexProgress, ProgressCallback, Stopwatch  # noqa: F401  (re-exported)
from .._files import write_bytes, write_text
from ..errors import InputError

UPLOAD_FOLDER = "uploads"  # under the corpus folder
MAX_NAME_CHARS = 120
OWNERS_FILE = ".owners.json"  # in uploads/: who uploaded each file (only they may replace it)
# hidden names (the corpus loader skips dot files): an upload not yet checked, a replaced one kept until done
PENDING, BACKUP = ".pending-", ".replaced-"
# in uploads/: the uploads moved in but not yet settled (what to undo after a crash); in the
# corpus folder: the lock an add or remove holds while it works (one at a time, across processes)
JOURNAL, LOCK = ".journal.json", ".uploads.lock"
_UNSAFE = re.compile(r"[^\w.\-()（）\u3000-\u303f]+")


@dataclass(frozen=True)
class DocumentInfo:
    source: str  # path relative to the corpus folder
    chunks: int
    pages: int | None  # last page a chunk starts on (PDF); None for unpaged formats
    uploaded: bool  # under uploads/: can be removed from the page
    # sentences that address the assistant (rag.ingest.instructions): their passages are never evidence
    instructions: int = 0

    def to_dict(self) -> dict:
        return {"source": self.source, "chunks": self.chunks, "pages": self.pages, "uploaded": self.uploaded,
                "instructions": self.instructions}


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)  # sources now in the index
    replaced: list[str] = field(default_factory=list)  # of those, uploads that existed before
    skipped: list[dict] = field(default_factory=list)  # {"file", "reason"}: stored, but unreadable (removed again)
    chunks: int = 0  # chunks of the added documents
    embedded: int = 0  # of them, how many needed the embedder
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)



def upload_folder(corpus: Path) -> Path:
    return Path(corpus) / UPLOAD_FOLDER


def safe_filename(name: str) -> str:
    """The base name of an uploaded file, made safe to store: no folders, no leading dots,
    only letters (any script), digits and . - _ ( ); raises InputError when nothing usable
    is left or the format is not one the loaders read."""
    base = unicodedata.normalize("NFKC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._ ")
    stem, dot, ext = base.rpartition(".")
    ext = f".{ext.lower()}" if dot else ""
    if ext not in LOADERS:
        raise InputError(f"{name!r}: files of type {ext or '(no extension)'} cannot be read; "
                         f"upload one of {', '.join(LOADERS)}.")
    stem = stem.strip("._ ")[: MAX_NAME_CHARS - len(ext)]
    if not stem:
        raise InputError(f"{name!r} has no usable file name; rename it (letters or digits before {ext}).")
    return stem + ext


def check_size(name: str, size: int, max_mb: float) -> None:
    if size > max_mb * 1024 * 1024:
        raise InputError(f"{name!r} is {size / 1024 / 1024:.1f} MB; the upload limit is {max_mb:g} MB "
                         "(setting max_upload_mb). Split the document or raise the limit.")
    if size == 0:
        raise InputError(f"{name!r} is empty (0 bytes).")


def _data(item) -> tuple[str, bytes]:
    """(name, bytes) from a path or a (name, bytes or path) pair."""
    if isinstance(item, (str, os.PathLike)):
        return Path(item).name, Path(item).read_bytes()
    name, data = item
    return str(name), data if isinstance(data, (bytes, bytearray)) else Path(data).read_bytes()


def _owners_file(corpus: Path) -> Path:
    return upload_folder(corpus) / OWNERS_FILE


def owners(corpus: Path) -> dict[str, str]:
    """{stored file name: the user who uploaded it}."""
    try:
        data = json.loads(_owners_file(corpus).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _set_owner(corpus: Path, name: str, user: str | None) -> None:
    table = owners(corpus)
    if user is None:
        table.pop(name, None)
    else:
        table[name] = user
    write_text(_owners_file(corpus), json.dumps(table, ensure_ascii=False, indent=1))


def _existing_same_name(folder: Path, safe: str, corpus: Path, user: str, replace: bool) -> str | None:
    """The stored upload that `safe` would replace, or None; InputError when it may not.
    Names that differ only in case count as the same (x.md and X.md would be one file elsewhere)."""
    existing = ({p.name.lower(): p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}
                if folder.is_dir() else {})
    same = existing.get(safe.lower())
    if same is None:
        return None
    owner = owners(corpus).get(same, "")
    if not replace:
        raise InputError(f"{UPLOAD_FOLDER}/{same} is already uploaded{f' by {owner}' if owner else ''}. Rename "
                         "the new file, or ask to replace it (only whoever uploaded it may).")
    if owner != user:
        raise InputError(f"{UPLOAD_FOLDER}/{same} was uploaded by {owner or 'someone else'}; only they may replace "
                         "it. Rename the new file instead.")
    return same


@dataclass(frozen=True)
class Pending:
    """An upload written under a hidden name (the corpus loader skips dot files), not yet in."""

    name: str  # the name it will have in uploads/
    replaces: str | None  # the stored upload it replaces, if any

    @property
    def source(self) -> str:
        return f"{UPLOAD_FOLDER}/{self.name}"


def store_uploads(corpus: Path, items: Iterable, max_mb: float, *, user: str = "",
                  replace: bool = False) -> list[Pending]:
    """Check every file first (name, format, size, an upload of the same name: nothing is
    written if one fails), then write each under a hidden pending name in <corpus>/uploads/,
    where neither the index nor a restart sees it until `admit` moves it in. An existing
    upload of the same name is replaced only when `replace` is asked for by the user who
    uploaded it."""
    folder = upload_folder(corpus)
    checked = []
    for item in items:
        name, data = _data(item)
        safe = safe_filename(name)
        check_size(name, len(data), max_mb)
        checked.append((safe, bytes(data)))
    if not checked:
        raise InputError("No files were given to add.")
    names = [s.lower() for s, _ in checked]
    if len(set(names)) != len(names):
        raise InputError(f"Two of the files would be stored under the same name ({', '.join(names)}); rename one.")
    for safe, _ in checked:
        if (folder / safe).resolve().parent != folder.resolve():  # belt and braces: never outside uploads/
            raise InputError(f"{safe!r} cannot be stored safely; rename it.")
    replacing = [_existing_same_name(folder, safe, corpus, user, replace) for safe, _ in checked]
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for (safe, data), same in zip(checked, replacing):
        write_bytes(folder / f"{PENDING}{safe}", data)
        out.append(Pending(safe, same))
    return out


def _journal(corpus: Path) -> list[Pending]:
    try:
        rows = json.loads((upload_folder(corpus) / JOURNAL).read_text(encoding="utf-8"))
        return [Pending(str(r["name"]), r.get("replaces") and str(r["replaces"])) for r in rows]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def _write_journal(corpus: Path, entries: list[Pending]) -> None:
    path = upload_folder(corpus) / JOURNAL
    if entries:
        write_text(path, json.dumps([{"name": p.name, "replaces": p.replaces} for p in entries], ensure_ascii=False))
    else:
        path.unlink(missing_ok=True)


def admit(corpus: Path, pending: list[Pending], settings, user: str = "") -> tuple[list[Pending], list[dict]]:
    """Each pending upload checked against the limits (rag.ingest.limits, in a child process
    with a time limit): within them, moved into uploads/ (a replaced upload kept aside
    until `settle`); past one, deleted with the reason. Returns (admitted, refused).
    Every upload is written to the journal before it is moved in, so `recover` can undo
    the moves of a process killed before `settle`."""
    from .limits import inspect_upload

    folder = upload_folder(corpus)
    admitted, refused = [], []
    for p in pending:
        staged = folder / f"{PENDING}{p.name}"
        reason = inspect_upload(staged, settings)
        if reason is not None:
            staged.unlink(missing_ok=True)
            refused.append({"file": p.source, "reason": reason})
            continue
        _write_journal(corpus, _journal(corpus) + [p])
        if p.replaces:
            os.replace(folder / p.replaces, folder / f"{BACKUP}{p.replaces}")
        os.replace(staged, folder / p.name)
        _set_owner(corpus, p.name, user)
        admitted.append(p)
    return admitted, refused


def _undo(corpus: Path, p: Pending) -> None:
    """One admitted upload out again: its file goes, the version it replaced comes back."""
    folder = upload_folder(corpus)
    backup = folder / f"{BACKUP}{p.replaces}" if p.replaces else None
    if backup is not None and not backup.exists():
        return  # never moved aside (a crash before that): the old version is still in place
    (folder / p.name).unlink(missing_ok=True)
    if backup is not None:
        os.replace(backup, folder / p.replaces)
    else:
        _set_owner(corpus, p.name, None)


def settle(corpus: Path, admitted: list[Pending], ok: bool) -> None:
    """After indexing: keep these uploads and drop the versions they replaced (ok), or put
    everything back as it was. The journal loses their entries first when they are kept
    (from then on they are in), last when they are undone."""
    folder = upload_folder(corpus)
    names = {p.name for p in admitted}
    rest = [p for p in _journal(corpus) if p.name not in names]
    if ok:
        _write_journal(corpus, rest)
        for p in admitted:
            if p.replaces:
                (folder / f"{BACKUP}{p.replaces}").unlink(missing_ok=True)
        return
    for p in admitted:
        _undo(corpus, p)
    _write_journal(corpus, rest)


def recover(corpus: Path) -> list[str]:
    """Undo what a process killed mid-add left in uploads/: the uploads in the journal go
    (a replaced version comes back), pending files and stray backups are deleted. Call it
    holding `corpus_lock` (no add is running then). Returns the sources put back out."""
    folder = upload_folder(corpus)
    if not folder.is_dir():
        return []
    undone = _journal(corpus)
    for p in undone:
        _undo(corpus, p)
    _write_journal(corpus, [])
    for stray in folder.iterdir():
        if stray.name.startswith((PENDING, BACKUP)):
            stray.unlink(missing_ok=True)
    return [p.source for p in undone]


class corpus_lock:
    """An exclusive lock on the uploads across processes (flock on <corpus>/.uploads.lock;
    the kernel drops it when its holder dies, kill -9 included). `blocking=False`: `held`
    says whether it was got."""

    def __init__(self, corpus: Path, blocking: bool = True):
        self.path, self.blocking, self.held, self._fd = Path(corpus) / LOCK, blocking, False, None

    def __enter__(self) -> "corpus_lock":
        try:
            import fcntl
        except ImportError:  # not POSIX: one process at a time is the caller's business
            self.held = True
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if self.blocking else fcntl.LOCK_NB))
            self.held = True
        except BlockingIOError:
            self.held = False
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def remove_upload(corpus: Path, source: str) -> Path:
    """The uploaded file behind `source`, deleted; seed documents are refused."""
    rel = str(source).replace("\\", "/").strip("/")
    folder = upload_folder(corpus).resolve()
    path = (Path(corpus) / rel).resolve()
    if not rel.startswith(f"{UPLOAD_FOLDER}/") or path.parent != folder:
        raise InputError(f"{source!r} is not an uploaded document: the seed documents stay. "
                         f"To drop one, delete it from {corpus} and run rag index.")
    if not path.is_file():
        raise InputError(f"No uploaded document {source!r}; the list of documents shows what there is.")
    path.unlink()
    _set_owner(corpus, path.name, None)
    return path


def describe(chunks) -> list[DocumentInfo]:
    """One entry per source file of these chunks, in path order, with how many sentences
    in it give orders to the assistant."""
    from .instructions import carries_instructions, flagged_sentences

    by_source: dict[str, list] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    out = []
    for source in sorted(by_source):
        pages = [c.page for c in by_source[source] if getattr(c, "page", None)]
        orders = sum(len(flagged_sentences(c.text)) for c in by_source[source] if carries_instructions(c.text))
        out.append(DocumentInfo(source, len(by_source[source]), max(pages) if pages else None,
                                source.startswith(f"{UPLOAD_FOLDER}/"), orders))
    return out
