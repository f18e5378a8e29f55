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

One caller, one slot: tickets entered with the same `owner` (a browser session) run one at
a time. A second request from a session whose first still holds a slot waits, while those
behind it who own no slot go ahead; so parallel requests from one browser cannot take
several of a batching server's slots.
"""
from __future__ import annotations

import threading
from collections import deque


class Ticket:
    __slots__ = ("admitted", "left", "owner")

    def __init__(self, owner: str | None = None) -> None:
        self.admitted = False
        self.left = False
        self.owner = owner


class Gate:
    def __init__(self, slots: int | None):
        """slots: generations at once; None = no limit (a backend that needs no line)."""
        if slots is not None and slots < 1:
            raise ValueError(f"slots must be at least 1 or None (got {slots})")
        self.slots = slots
        self._cond = threading.Condition()
        self._line: deque[Ticket] = deque()
        self._running = 0
        self._owners: dict[str, int] = {}  # owner -> tickets of theirs running (0 or 1)

    def _admit(self) -> None:
        """First come, first served, skipping a ticket whose owner already runs one."""
        i = 0
        while i < len(self._line) and (self.slots is None or self._running < self.slots):
            t = self._line[i]
            if t.owner is not None and self._owners.get(t.owner):
                i += 1
                continue
            del self._line[i]
            t.admitted = True
            self._running += 1
            if t.owner is not None:
                self._owners[t.owner] = self._owners.get(t.owner, 0) + 1
        self._cond.notify_all()

    def enter(self, owner: str | None = None) -> Ticket:
        """Join the end of the line (admitted at once when a slot is free and `owner`, if
        given, holds none)."""
        t = Ticket(owner)
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
                if ticket.owner is not None:
                    left = self._owners.get(ticket.owner, 1) - 1
                    if left > 0:
                        self._owners[ticket.owner] = left
                    else:
                        self._owners.pop(ticket.owner, None)
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
