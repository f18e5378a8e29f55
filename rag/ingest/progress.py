"""Progress of an add or remove of documents: the records a progress bar reads
(IndexProgress) and the stopwatch that turns the index build's "n more done" calls into them."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

clock = time.perf_counter  # what progress is timed by (tests put a fake clock here)


@dataclass(frozen=True)
class IndexProgress:
    """Where an add or remove stands, for a progress bar: stage is "saving", "reading", "ocr"
    (done/total scanned pages of a file), "embedding" (done/total chunks), "sentences" or "done"."""

    stage: str
    done: int = 0
    total: int = 0
    elapsed: float = 0.0  # since the add (or remove) began
    # since this stage began: for "ocr", since this file's first page began (each scanned
    # file is a stage of its own); None: not known, elapsed is used
    stage_elapsed: float | None = None

    @property
    def eta(self) -> float | None:
        """Seconds left at this stage's rate so far: its time per item done, times the items
        left (None until there is a rate). For OCR that is this file's seconds per page, not
        the upload's time so far spread over pages (which counts saving, checking, other files)."""
        from .ocr import time_left

        return time_left(self.elapsed if self.stage_elapsed is None else self.stage_elapsed, self.done, self.total)


ProgressCallback = Callable[[IndexProgress], None]


class Stopwatch:
    """Turns the index build's "n more embedded" calls into IndexProgress reports."""

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self.t0 = self.stage_t0 = clock()
        self.stage, self.done, self.total = "saving", 0, 0

    def report(self, stage: str, total: int | None = None) -> None:
        """A stage begins (again, for the next scanned file): its count and clock restart."""
        self.stage, self.done, self.stage_t0 = stage, 0, clock()
        if total is not None:
            self.total = total
        self._send()

    @property
    def elapsed(self) -> float:
        return clock() - self.t0

    def advance(self, n: int) -> None:
        self.done += n
        self._send()

    def _send(self) -> None:
        if self.callback:
            now = clock()
            self.callback(IndexProgress(self.stage, self.done, self.total, now - self.t0, now - self.stage_t0))
