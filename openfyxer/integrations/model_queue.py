"""Turns at a model that answers one request at a time (the embedded llama.cpp context).

Each owner (a user) has a line, served first come first served, and the owners take turns: one
user's ten drafts do not keep another's question waiting behind them all. `position` says where a
user's request stands, for the page that shows "Waiting for the model (2 ahead)".
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SYSTEM = "system"  # the turn of calls that name no user


class Ticket:
    """One caller's place in the model queue."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.left = False


@dataclass(frozen=True)
class Place:
    """Where a request stands: waiting with `ahead` requests before it (the one the model is writing
    counted), or being answered now."""

    waiting: bool
    ahead: int
    generating: bool


class ModelQueue:
    """Turns at the model, the owners in turn and first come first served within one. Every call of
    the embedded model in this process goes through `model_queue`."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._lines: dict[str, deque[Ticket]] = {}
        self._turns: deque[str] = deque()  # owners with a request waiting, the next one served first
        self._holder: Ticket | None = None

    def enter(self, owner: str | None) -> Ticket:
        """Take a place at once (it shows in `position` from now), without waiting."""
        ticket = Ticket(owner or SYSTEM)
        with self._cv:
            line = self._lines.get(ticket.owner)
            if line is None:
                line = self._lines[ticket.owner] = deque()
                self._turns.append(ticket.owner)
            line.append(ticket)
        return ticket

    def wait(self, ticket: Ticket) -> bool:
        """Block until it is this ticket's turn (True), or it has left the queue (False)."""
        with self._cv:
            while not ticket.left:
                if self._holder is None and self._lines[self._turns[0]][0] is ticket:
                    self._serve()
                    return True
                self._cv.wait()
            return False

    def leave(self, ticket: Ticket) -> None:
        """Give up a place that is still waiting; from any thread, any number of times. The turn of a
        ticket being served ends with `done` only, when the model has really stopped."""
        with self._cv:
            if ticket.left or self._holder is ticket:
                return
            ticket.left = True
            line = self._lines[ticket.owner]
            line.remove(ticket)
            if not line:
                del self._lines[ticket.owner]
                self._turns.remove(ticket.owner)
            self._cv.notify_all()

    def done(self, ticket: Ticket) -> None:
        with self._cv:
            ticket.left = True
            if self._holder is ticket:
                self._holder = None
                self._cv.notify_all()

    @contextmanager
    def turn(self, owner: str | None) -> Iterator[None]:
        ticket = self.enter(owner)
        try:
            self.wait(ticket)
            yield
        finally:
            self.leave(ticket)
            self.done(ticket)

    def _serve(self) -> None:
        owner = self._turns.popleft()
        line = self._lines[owner]
        self._holder = line.popleft()
        if line:
            self._turns.append(owner)  # its next request waits behind the other owners' turns
        else:
            del self._lines[owner]

    def _order(self) -> list[Ticket]:
        """The waiting tickets in the order they will be served, if nobody else comes."""
        lines = {owner: list(line) for owner, line in self._lines.items()}
        turns, order = deque(self._turns), []
        while turns:
            owner = turns.popleft()
            order.append(lines[owner].pop(0))
            if lines[owner]:
                turns.append(owner)
        return order

    def position(self, owner: str) -> Place | None:
        """Where the owner's first request stands; None when they have none."""
        return self._locate(lambda t: t.owner == owner)

    def place(self, ticket: Ticket) -> Place | None:
        """Where this request stands; None once it has left."""
        return self._locate(lambda t: t is ticket)

    def _locate(self, match: Callable[[Ticket], bool]) -> Place | None:
        with self._cv:
            busy = self._holder is not None
            for ahead, ticket in enumerate(self._order()):
                if match(ticket):
                    return Place(True, ahead + busy, False)
            if busy and match(self._holder):
                return Place(False, 0, True)
            return None

    def depth(self) -> dict[str, int]:
        with self._cv:
            return {"waiting": sum(len(line) for line in self._lines.values()), "generating": int(self._holder is not None)}


model_queue = ModelQueue()
