"""A line for generation: at most `slots` generations run at once, the rest wait first come,
first served, and each can see its place.

Why here and not in the web server's queue: the server's queue would hold the whole
request, retrieval included, so a user's evidence would wait behind other users' model
output. The Assistant retrieves and shows evidence for everyone at once and queues only
the model call (rag.assistant.Assistant.ask_stream), with a "queue" event telling each
waiting caller its place: 1 = next to run.

    gate = Gate(slots=1)
    ticket = gate.enter()
    place = gate.position(ticket)
    while place:                       # 0 = admitted
        show(place)
        place = gate.moved(ticket, place)
    try: ... generate ...
    finally: gate.leave(ticket)
"""
from __future__ import annotations

import threading
from collections import deque


class Ticket:
    __slots__ = ("admitted", "left")

    def __init__(self) -> None:
        self.admitted = False
        self.left = False


class Gate:
    def __init__(self, slots: int | None):
        """slots: generations at once; None = no limit (a backend that needs no line)."""
        if slots is not None and slots < 1:
            raise ValueError(f"slots must be at least 1 or None (got {slots})")
        self.slots = slots
        self._cond = threading.Condition()
        self._line: deque[Ticket] = deque()
        self._running = 0

    def _admit(self) -> None:
        while self._line and (self.slots is None or self._running < self.slots):
            t = self._line.popleft()
            t.admitted = True
            self._running += 1
        self._cond.notify_all()

    def enter(self) -> Ticket:
        """Join the end of the line (admitted at once when a slot is free)."""
        t = Ticket()
        with self._cond:
            self._line.append(t)
            self._admit()
        return t

    def wait(self, ticket: Ticket, timeout: float | None = None) -> bool:
        """Block until the ticket is admitted (True) or the timeout passes (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: ticket.admitted, timeout)

    def _place(self, ticket: Ticket) -> int:
        if ticket.admitted or ticket not in self._line:
            return 0
        return self._line.index(ticket) + 1

    def position(self, ticket: Ticket) -> int:
        """0 when running; otherwise the place in line, 1 = next."""
        with self._cond:
            return self._place(ticket)

    def moved(self, ticket: Ticket, place: int, timeout: float | None = None) -> int:
        """Block until the ticket's place differs from `place` (or the timeout passes);
        return the place then, 0 = admitted."""
        with self._cond:
            self._cond.wait_for(lambda: self._place(ticket) != place, timeout)
            return self._place(ticket)

    def leave(self, ticket: Ticket) -> None:
        """Give the slot back (or the place in line, for a caller that gave up waiting)."""
        with self._cond:
            if ticket.left:
                return
            ticket.left = True
            if ticket.admitted:
                self._running -= 1
            elif ticket in self._line:
                self._line.remove(ticket)
            self._admit()

    @property
    def running(self) -> int:
        with self._cond:
            return self._running

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._line)
