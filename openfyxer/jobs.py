"""Background jobs: the only module that knows about RQ or the in-process queue.

`enqueue("name", *ids)` runs `workers.tasks.name(*ids)` later: on RQ when OPENFYXER_REDIS_URL is
set, otherwise on a worker thread inside this process. The job id is deterministic
(name + arguments), so asking twice for a job that is still queued or running adds nothing.
Periodic jobs are started by `run_scheduler`, the same loop for both backends.

Services never call `enqueue`: they declare the jobs that follow their change with
`core.later.later(session, ...)`, and importing this module installs `send_declared` as the
receiver of what a unit of work declared, called once it has committed.
"""

from __future__ import annotations

import importlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openfyxer.core.config import get_settings
from openfyxer.core import later
from openfyxer.core.errors import JobError

log = logging.getLogger(__name__)

QUEUE = "openfyxer"
TASK_MODULE = "workers.tasks"
PENDING = ("queued", "started", "scheduled", "deferred")


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: int


def periodic() -> tuple[Periodic, ...]:
    """What the scheduler enqueues, and how often."""
    return (
        Periodic("purge_expired", 3600),
        Periodic("sync_all", get_settings().sync_interval_seconds),
        Periodic("send_due", 60),
    )


job_id_for = later.job_id_for


def resolve(name: str) -> Callable[..., Any]:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise JobError(f"invalid task name {name!r}")
    fn = getattr(importlib.import_module(TASK_MODULE), name, None)
    if not callable(fn):
        raise JobError(f"no task named {name!r} in {TASK_MODULE}")
    return fn


def enqueue(name: str, *args: Any, job_id: str | None = None, timeout_s: int = 1800) -> str:
    """Queue task `name` with id arguments; returns the job id (an existing one if pending)."""
    resolve(name)  # fail here, not in the worker, for a typo
    jid = job_id or job_id_for(name, *args)
    url = get_settings().redis_url
    if url:
        return _rq_enqueue(url, name, args, jid, timeout_s)
    return _local().submit(name, args, jid)


def send_declared(declared: list[later.Declared]) -> None:
    """After a commit: queue what the unit of work declared. The change is already saved, so a
    queue that cannot take a job is logged, not raised; the periodic jobs (sync_all, send_due)
    pick up what it missed."""
    for job in declared:
        try:
            enqueue(job.name, *job.args, job_id=job.job_id)
        except Exception:
            log.exception("could not queue %s after the commit", job.job_id)


later.install(send_declared)


def status(job_id: str) -> str | None:
    """queued / started / finished / failed, or None for an unknown job."""
    url = get_settings().redis_url
    if url:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        from openfyxer.integrations.redis_store import client

        try:
            return Job.fetch(job_id, connection=client(url)).get_status(refresh=True).value
        except NoSuchJobError:
            return None
    return _local().status(job_id)


def _rq_enqueue(url: str, name: str, args: tuple, jid: str, timeout_s: int) -> str:
    import redis
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from openfyxer.integrations.redis_store import client

    conn = client(url)
    try:
        try:
            if Job.fetch(jid, connection=conn).get_status(refresh=True).value in PENDING:
                return jid
        except NoSuchJobError:
            pass
        Queue(QUEUE, connection=conn).enqueue_call(
            f"{TASK_MODULE}.{name}", args=args, job_id=jid, timeout=timeout_s,
            result_ttl=3600, failure_ttl=7 * 86400,
        )
    except redis.RedisError as e:
        raise JobError(f"could not queue {name}: {e}") from e
    return jid


class LocalQueue:
    """One worker thread running tasks in order, with the same de-duplication as RQ."""

    def __init__(self) -> None:
        self._q: queue.Queue[tuple[str, tuple, str]] = queue.Queue()
        self._states: dict[str, str] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, name: str, args: tuple, jid: str) -> str:
        with self._lock:
            if self._states.get(jid) in PENDING:
                return jid
            self._states[jid] = "queued"
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="openfyxer-jobs", daemon=True)
                self._thread.start()
        self._q.put((name, args, jid))
        return jid

    def status(self, jid: str) -> str | None:
        return self._states.get(jid)

    def join(self, timeout_s: float = 60) -> bool:
        """Wait until every queued job has run (tests and shutdown)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._q.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        while True:
            name, args, jid = self._q.get()
            self._states[jid] = "started"
            try:
                resolve(name)(*args)
                self._states[jid] = "finished"
            except Exception:  # one failed job must not stop the ones after it
                log.exception("job %s failed", jid)
                self._states[jid] = "failed"
            finally:
                self._q.task_done()


_LOCAL = LocalQueue()


def _local() -> LocalQueue:
    return _LOCAL


def local_queue() -> LocalQueue:
    return _LOCAL


def _claim_period(item: Periodic, now: float) -> bool:
    """True for the one scheduler that claims this period: several may run at once."""
    url = get_settings().redis_url
    period = int(now // item.every_s)
    if url:
        from openfyxer.integrations.redis_store import client

        return bool(client(url).set(f"openfyxer:cron:{item.name}:{period}", "1", nx=True, ex=item.every_s * 2))
    return True


def run_scheduler(stop: threading.Event, items: tuple[Periodic, ...] | None = None, tick_s: float = 1.0) -> None:
    """Enqueue each periodic job once per period until `stop` is set."""
    last: dict[str, int] = {}
    items = items or periodic()
    while not stop.is_set():
        now = time.time()
        for item in items:
            period = int(now // item.every_s)
            if last.get(item.name) == period:
                continue
            try:
                if _claim_period(item, now):
                    enqueue(item.name, job_id=job_id_for(item.name, "periodic", period))
                last[item.name] = period
            except Exception:  # a dead Redis must not kill the scheduler: retry next tick
                log.exception("scheduling %s failed", item.name)
        stop.wait(tick_s)
