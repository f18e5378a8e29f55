"""Plain value types passed between the stages of the pipeline.

All are frozen dataclasses so a Hit or an Answer handed to a caller cannot be
changed behind the library's back; `to_dict()` gives the JSON shapes that the
CLI's `--json` output and the eval reports use (see DESIGN.md).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


def _known(cls, d: dict[str, Any]) -> dict[str, Any]:
    """The entries of d that are fields of cls (newer or older dicts load alike)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


AUTHOR_SEPARATOR = "；"  # between author entries in a chunk's display line


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage: a paragraph (or a sentence-aligned slice of a long one)."""

    id: str
    text: str
    source: str  # file path relative to the corpus folder
    section: str  # title of the piece the paragraph belongs to
    author: str  # byline / affiliation line of that piece ("" when it has none)
    paragraph: int  # 1-based paragraph number inside the source file
    char_start: int  # offsets into the source file's text (end exclusive)
    char_end: int
    kind: str = "body"  # body | intro | caption | byline
    page: int | None = None  # 1-based page where the chunk starts (PDF); None for unpaged formats
    # the author entries of the piece one by one (names, affiliation lines); `author` is
    # their display line. An index written before this field existed has only `author`.
    authors: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.authors, tuple):  # a list, as read back from JSON
            object.__setattr__(self, "authors", tuple(self.authors))
        if not self.authors and self.author:  # an index written before `authors` was stored
            object.__setattr__(self, "authors", tuple(self.author.split(AUTHOR_SEPARATOR)))

    @staticmethod
    def author_line(authors) -> str:
        """The display line of author entries ("唐于渝；作者系…")."""
        return AUTHOR_SEPARATOR.join(authors)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        """From `to_dict()` or a `Hit.to_dict()` row (which names the id `chunk_id` and
        leaves the offsets out)."""
        text = d.get("text", "")
        return cls(
            id=d.get("id") or d.get("chunk_id", ""), text=text, source=d.get("source", ""),
            section=d.get("section", ""), author=d.get("author", ""), paragraph=int(d.get("paragraph", 0)),
            char_start=int(d.get("char_start", 0)), char_end=int(d.get("char_end", len(text))),
            kind=d.get("kind", "body"), page=d.get("page"), authors=tuple(d.get("authors", ())),
        )


@dataclass(frozen=True)
class Hit:
    """A chunk returned by retrieval, with its 1-based rank and the score that ranked it."""

    rank: int
    score: float
    chunk: Chunk
    # per-retriever scores/ranks that went into a fused score, for debugging and reports
    sources: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The `rag search --json` row shape."""
        return {
            "rank": self.rank,
            "chunk_id": self.chunk.id,
            "score": round(float(self.score), 6),
            "section": self.chunk.section,
            "author": self.chunk.author,
            "paragraph": self.chunk.paragraph,
            "page": self.chunk.page,
            "source": self.chunk.source,
            "text": self.chunk.text,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Hit":
        return cls(rank=int(d.get("rank", 0)), score=float(d.get("score", 0.0)), chunk=Chunk.from_dict(d))


@dataclass(frozen=True)
class Citation:
    """A [n] marker in an answer, resolved to the passage it points at."""

    n: int
    chunk_id: str
    text: str
    section: str = ""
    supported: bool = True  # does the sentence carrying [n] overlap passage n?
    support: float = 1.0  # the overlap score behind `supported`
    sentences: tuple[str, ...] = ()  # answer sentences that carry this marker
    # the sentences of the passage that back those answer sentences (what a front end
    # highlights); decided here so no front end re-implements the support check
    spans: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sentences"] = list(self.sentences)
        d["spans"] = list(self.spans)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Citation":
        return cls(**{**_known(cls, d), "sentences": tuple(d.get("sentences", ())), "spans": tuple(d.get("spans", ()))})


@dataclass(frozen=True)
class Evidence:
    """A passage sentence selected as the likely answer-bearing evidence for a question.

    `n` is the number of the passage it comes from in the answer's numbering
    ([1] = the first retrieved hit), so "sentence [n]" reads the same as a citation."""

    n: int
    chunk_id: str
    text: str
    section: str = ""
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Evidence":
        return cls(**_known(cls, d))


# How many of an answer's evidence sentences (best first) a front end shows before the
# answer arrives, and with it: the "evidence" stream event carries this many.
EVIDENCE_SHOWN_FIRST = 2


# Why an answer was refused; a front end picks its wording by code, not by parsing text.
REFUSAL_CODES = (
    "no_passages",  # retrieval found nothing
    "not_in_documents",  # the decision: the passages do not hold the answer
    "model_declined",  # the model said the passages do not answer it
    "unsupported_answer",  # the draft answer is not backed by the passages (invented figures, content), or no one passage backs it, so it would cite none
    "not_verified",  # asked afterwards (rag.answering.check), the model did not find its answer in the passages
    "other_subject",  # the answer cites a passage on another thing of the kind asked about (rag.answering.subject)
    "false_premise",  # the question states a figure the answer's passage does not give, or contradicts
)


@dataclass(frozen=True)
class Refusal:
    code: str  # one of REFUSAL_CODES
    message: str  # one sentence for people, in English
    confidence: float = 0.0  # the decision's probability that the documents hold no answer
    signals: dict[str, float] = field(default_factory=dict)  # what the decision was made from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Refusal":
        return cls(**_known(cls, d))


@dataclass(frozen=True)
class Answer:
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    notes: tuple[str, ...] = ()  # what the checks found and did, for reports and curious users
    timings: dict[str, float] = field(default_factory=dict)
    question: str = ""
    standalone_question: str = ""  # the question after condensing it with chat history
    generator: str = ""
    evidence: tuple[Evidence, ...] = ()  # the sentences the answer was drawn from, best first
    refusal: Refusal | None = None  # set exactly when refused
    # what the answer-or-refuse decision was made from (rag.answering.refusal), refused or not
    signals: dict[str, float] = field(default_factory=dict)
    # the decision's probability that the documents hold no answer (None: no decision was taken)
    p_no_answer: float | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notes plus the refusal reason, as plain strings (the pre-0.2 field)."""
        extra = (f"refused: {self.refusal.message}",) if self.refusal else ()
        return self.notes + extra

    @property
    def first_evidence(self) -> tuple[Evidence, ...]:
        """The evidence sentences a front end shows with the answer: those the "evidence"
        event showed before it."""
        return self.evidence[:EVIDENCE_SHOWN_FIRST]

    def hit_for(self, chunk_id: str) -> Hit | None:
        """The retrieved passage a citation points at (None when it is not among the hits)."""
        return next((h for h in self.hits if h.chunk.id == chunk_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The `rag ask --json` shape."""
        return {
            "answer": self.text,
            "refused": self.refused,
            "refusal": self.refusal.to_dict() if self.refusal else None,
            "citations": [c.to_dict() for c in self.citations],
            "evidence": [e.to_dict() for e in self.evidence],
            "signals": dict(self.signals),
            "p_no_answer": self.p_no_answer,
            "hits": [h.to_dict() for h in self.hits],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "timings": dict(self.timings),
            "question": self.question,
            "standalone_question": self.standalone_question,
            "generator": self.generator,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Answer":
        """The Answer back from its `to_dict()` shape (a saved conversation, a log line).
        Chunk offsets are not in that shape and come back as 0..len(text)."""
        return cls(
            text=d.get("answer", ""), refused=bool(d.get("refused", False)),
            citations=tuple(Citation.from_dict(c) for c in d.get("citations", ())),
            hits=tuple(Hit.from_dict(h) for h in d.get("hits", ())),
            notes=tuple(d.get("notes", ())), timings=dict(d.get("timings", {})),
            question=d.get("question", ""), standalone_question=d.get("standalone_question", ""),
            generator=d.get("generator", ""),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence", ())),
            refusal=Refusal.from_dict(d["refusal"]) if d.get("refusal") else None,
            signals=dict(d.get("signals", {})), p_no_answer=d.get("p_no_answer"),
        )


@dataclass(frozen=True)
class StreamEvent:
    """What `Assistant.ask_stream()` yields.

    kind is "status" (a progress message such as the rewritten question),
    "evidence" (before any model output: the best passage sentences, `evidence` set and
    `text` holding them with their [n] markers), "queue" (waiting for the model: `position`
    in line, 1 = next; rag.answering.model_line), "token" (a piece of answer text),
    "checking" (the model's answer is written and is being checked against the passages
    it cites: it may still be withdrawn; `text` says so) or "answer" (last event;
    `answer` is set). Callers that only read "token" and "answer" events keep working.
    """

    kind: str
    text: str = ""
    answer: Answer | None = None
    evidence: tuple[Evidence, ...] = ()
    position: int = 0  # "queue" events: the caller's place in line for the model, 1 = next
