"""Running risky work (parsing a stranger's file) in a child process with hard limits.

`run(fn, *args, limits=...)` starts a fresh interpreter (`python -m openfyxer.core.sandbox`), sends
it the function (by reference: a top-level, importable function) and its arguments pickled on
stdin, and reads one pickled reply on stdout. The child caps its own address space (RLIMIT_AS)
and processor time (RLIMIT_CPU) before it unpickles anything; the parent kills it at the
wall-clock deadline. So a file that would take a gigabyte or a minute costs at most the limits,
in another process, at a lower priority than the server's own requests.

A fresh interpreter rather than `fork`: the web server runs threads, and a forked copy of a
threaded process can inherit a lock some other thread held. A fresh interpreter rather than a
multiprocessing forkserver: that re-imports the parent's `__main__` in each child and lives in
the process that first used it (an RQ work-horse forks per job), so its cost would depend on how
the server was started; this one costs the same everywhere: about 40 ms for the interpreter and
this module, plus the imports of the function's module (reading a small PDF: ~140 ms in all, of
which pypdf's import is ~65 ms).

This bounds resources, not privileges: the child runs as the same user, and its reply is
unpickled by the parent.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from openfyxer.core.errors import OpenFyxerError

T = TypeVar("T")

# Below the server's own threads: a parse that is busy to its limit must not slow the requests
# of everyone else on a small machine.
NICENESS = 10
# One child per core at a time. Without a cap, N uploads at once would cost N times the memory
# limit; with it, the next one waits for a free slot (its own limits start when it starts).
_slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class Limits:
    # 768 MB of address space: an interpreter with lxml and pypdf loaded maps about 150 MB, which
    # leaves room for a long real document and none for a bomb.
    memory_mb: int = 768
    cpu_seconds: int = 20
    wall_seconds: float = 30.0  # above cpu_seconds: a busy machine gives the child less than a core


class SandboxError(OpenFyxerError):
    """The work in the sandbox failed."""

    status = 500
    code = "sandbox_failed"


class SandboxLimit(SandboxError):
    """The work in the sandbox went over one of its limits: `limit` is "memory", "cpu" or "time"."""

    code = "sandbox_limit"

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit


def run(fn: Callable[..., T], *args: Any, limits: Limits = Limits()) -> T:
    """`fn(*args)` in a child process within `limits`: its value, or the exception it raised (when
    that can be rebuilt here, else a SandboxError with its text), or SandboxLimit."""
    payload = pickle.dumps((list(sys.path), fn, args), protocol=pickle.HIGHEST_PROTOCOL)
    with _slots:
        child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(limits.memory_mb), str(limits.cpu_seconds),
             str(limits.wall_seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        try:
            out, _ = child.communicate(payload, timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise SandboxLimit("time", f"took longer than {limits.wall_seconds:g} s") from None
        except BaseException:
            child.kill()
            child.wait()
            raise
    return _answer(out, child.returncode, limits)


def _answer(out: bytes, returncode: int, limits: Limits) -> Any:
    try:
        reply = pickle.loads(out) if out else None
    except Exception:  # cut short: the child died while it was answering
        reply = None
    if reply is None:
        raise _death(returncode, limits)
    kind, *rest = reply
    if kind == "ok":
        return rest[0]
    if kind == "limit":
        raise SandboxLimit("memory", f"needed more than {limits.memory_mb} MB of memory")
    blob, text, trace = rest
    try:
        error = pickle.loads(blob) if blob else None
    except Exception:  # a class that cannot be rebuilt from its pickle
        error = None
    if isinstance(error, Exception):
        error.add_note(f"raised in the sandbox:\n{trace}")
        raise error
    raise SandboxError(f"the sandboxed work failed: {text}"[:500])


def _death(returncode: int, limits: Limits) -> SandboxError:
    """Why a child ended without a reply, from how it ended."""
    if returncode == -signal.SIGXCPU:
        return SandboxLimit("cpu", f"used more than {limits.cpu_seconds} s of processor time")
    if returncode == -signal.SIGALRM:
        return SandboxLimit("time", f"took longer than {limits.wall_seconds:g} s")
    how = f"signal {signal.Signals(-returncode).name}" if returncode < 0 else f"exit status {returncode}"
    return SandboxError(f"the sandboxed process ended without an answer ({how})")


def _confine(memory_mb: int, cpu_seconds: int, wall_seconds: float) -> None:
    """The child's own limits, set before it reads any of the work."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # The soft limit sends SIGXCPU, which ends the process; the hard one a second later cannot be caught.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed child must not write a core file that size
    # Its own deadline a second after the parent's: it ends even if the parent is gone.
    signal.alarm(int(wall_seconds) + 2)
    os.nice(NICENESS)
    # The parent reports the outcome; a broken file's thousand parser warnings are noise in its log.
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")


def _raised(error: BaseException) -> bytes:
    text = "".join(traceback.format_exception_only(error)).strip()
    try:
        blob: bytes | None = pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(blob)  # some exceptions pickle but cannot be rebuilt: then the text alone
    except Exception:
        blob = None
    return pickle.dumps(("raised", blob, text, traceback.format_exc()), protocol=pickle.HIGHEST_PROTOCOL)


def _child() -> None:
    """The child's side: limits, then the work, then one pickled reply on the real stdout."""
    reply = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what the work prints goes to stderr, never into the reply
    out_of_memory = pickle.dumps(("limit",))  # made now: there may be no memory to make it later
    try:
        _confine(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
        path, fn, args = pickle.load(sys.stdin.buffer)
        sys.path[:] = path
        answer = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        answer = out_of_memory
    except BaseException as e:  # noqa: BLE001 (every failure is the caller's to see)
        try:
            answer = _raised(e)
        except MemoryError:
            answer = out_of_memory
    reply.write(answer)
    reply.flush()


if __name__ == "__main__":
    _child()
