"""Reading a corpus folder into documents: every readable file, sorted by path for stable
ids; a file that cannot be read is skipped with its reason, not fatal."""
from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from .formats import LOADERS, read_file


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the corpus folder, with forward slashes
    text: str
    page_starts: tuple[int, ...] = ()  # offset in text where each page starts (PDF); () for unpaged text

    def page_at(self, offset: int) -> int | None:
        """1-based page of the character at offset, or None for unpaged documents."""
        return bisect.bisect_right(self.page_starts, offset) if self.page_starts else None


@dataclass(frozen=True)
class Skipped:
    file: str  # path relative to the corpus folder
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason}


class DocumentList(list):
    """The documents that were read (a plain list of Document), plus `.skipped`: the files
    that were not, each with the reason."""

    def __init__(self, docs=(), skipped=()):
        super().__init__(docs)
        self.skipped: list[Skipped] = list(skipped)


def id_stem(source: str) -> str:
    """Chunk id prefix: the path without .txt/.md; other formats keep their extension
    ("report.pdf", "report.docx") so a PDF and a Word file of the same name do not clash."""
    path = Path(source)
    base = path.with_suffix("") if path.suffix.lower() in (".txt", ".md") else path
    return base.as_posix().replace("/", "__")


def load_documents(corpus_dir: Path, log: Callable[[str], None] | None = None) -> DocumentList:
    """Every readable file under corpus_dir (recursively), sorted by path for stable ids.

    A file that cannot be read (unknown type, corrupt or scanned PDF, undecodable text,
    no permission, a missing package for its format) is skipped, not fatal: it goes into
    the result's `.skipped` with the reason, and `log` gets one line naming it and why."""
    from ..errors import DependencyError
    from .loaders import UnreadableFileError

    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus folder {corpus_dir} does not exist. Put documents there "
                          f"({', '.join(LOADERS)}), or pass --corpus DIR / set RAG_CORPUS_DIR to your documents' folder.")
    docs, skipped = [], []
    stems: dict[str, str] = {}  # chunk id prefix -> the file that has it
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(corpus_dir).as_posix()
        reason = None
        try:
            text, pages = read_file(path)
            if not text.strip():
                reason = "empty: no text in it"
        except (UnreadableFileError, DependencyError) as e:
            reason = str(e)
        except PermissionError:
            reason = "permission denied; check the file's permissions"
        except OSError as e:
            reason = f"cannot be read ({e.strerror or e})"
        except Exception as e:  # a parser failing in a way its loader did not foresee: still one file
            reason = f"could not be read ({type(e).__name__}: {e})"
        if reason is None and (other := stems.get(id_stem(rel))) is not None:
            reason = f"its passages would get the same ids as {other}'s; rename one of the two files"
        if reason is not None:
            skipped.append(Skipped(rel, reason))
            if log:
                log(f"Skipped {rel}: {reason}")
            continue
        stems[id_stem(rel)] = rel
        docs.append(Document(rel, text, pages))
    if not docs:
        detail = "; ".join(f"{s.file}: {s.reason}" for s in skipped[:5])
        raise CorpusError(
            f"Corpus folder {corpus_dir} holds no non-empty readable documents ({', '.join(LOADERS)})"
            f"{' (skipped ' + detail + ')' if detail else ''}. "
            "Add documents there or point --corpus at another folder."
        )
    return DocumentList(docs, skipped)


def corpus_hash(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.source.encode() + b"\0" + hashlib.sha256(d.text.encode()).digest())
        if d.page_starts:  # unpaged documents hash as they always did
            h.update(b"pages:" + ",".join(map(str, d.page_starts)).encode())
    return h.hexdigest()
