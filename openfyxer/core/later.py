"""Jobs that follow a change, declared by the service that made it and sent only once it is committed.

A service that changes something calls `later(session, "send_draft", draft.id)` on its unit of
work. Nothing is queued yet: the job layer (`openfyxer.jobs`, installed at import) receives the
declared jobs after the session commits, and they are dropped if it rolls back. So no route or
page decides what happens next, a job never runs before the row it reads exists, and a failed
change never leaves a job behind. Services stay free of rq and of the job layer itself.

A job names its owner (the user whose data it works on) when it has one: the in-process runner
takes owners in turn, so one user's slow jobs never hold everyone's. Periodic jobs have none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from openfyxer.core.errors import JobError

_KEY = "openfyxer.later"


@dataclass(frozen=True)
class Declared:
    name: str
    args: tuple[str, ...]
    job_id: str
    owner: str | None = None  # the user id, as a string; None: a job of the system's own


Sender = Callable[[list[Declared]], None]
_sender: Sender | None = None
_depth: Callable[[], dict[str, int]] | None = None


def job_id_for(name: str, *args: Any) -> str:
    """Deterministic: asking twice for a job that is still waiting adds nothing."""
    raw = "-".join([name, *(str(a) for a in args)])
    return re.sub(r"[^\w-]", "_", raw)[:200]


def later(session: Session, name: str, *args: Any, owner: Any = None) -> str:
    """Declare job `name(*args)` to run after this unit of work commits; returns its job id.
    `owner` is the id of the user the job works for (None for the system's own jobs)."""
    if _sender is None:  # a declared job that nobody would send is lost work: fail where it is declared
        raise JobError("no job layer is installed (import openfyxer.jobs at the process's entry point)")
    plain = tuple(str(a) for a in args)  # jobs take ids, as strings, on RQ and in process alike
    jid = job_id_for(name, *plain)
    session.info.setdefault(_KEY, {})[jid] = Declared(name, plain, jid, None if owner is None else str(owner))
    return jid


def declared(session: Session) -> list[Declared]:
    """What this unit of work will send when it commits (in the order declared)."""
    return list(session.info.get(_KEY, {}).values())


def install(sender: Sender | None) -> Sender | None:
    """Make `sender` the receiver of committed jobs; returns the one it replaces (tests swap it)."""
    global _sender
    previous, _sender = _sender, sender
    return previous


def install_depth(counter: Callable[[], dict[str, int]] | None) -> None:
    """The job layer's count of the jobs it holds (waiting, running), for /health's details: a service
    may not ask the job layer itself."""
    global _depth
    _depth = counter


def depth() -> dict[str, int] | None:
    """What the installed job layer holds, or None when it does not say."""
    return _depth() if _depth is not None else None


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    jobs = session.info.pop(_KEY, None)
    if jobs and _sender is not None:
        _sender(list(jobs.values()))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:  # a savepoint's rollback keeps what the outer transaction declared
        session.info.pop(_KEY, None)
