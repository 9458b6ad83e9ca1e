"""Background jobs: the only module that knows about RQ or the in-process queue.

`enqueue("name", *ids, owner=user_id)` runs `workers.tasks.name(*ids)` later: on RQ when
OPENFYXER_REDIS_URL is set, otherwise on a small pool of threads inside this process that takes the
owners (users) in turn. The job id is deterministic (name + arguments), so asking twice for a job
that is still queued or running adds nothing. Every task has a deadline (`workers.tasks.DEADLINES`):
RQ's job timeout, and in process the moment a job is marked failed and its worker replaced.
Periodic jobs are started by `run_scheduler`, the same loop for both backends.

Services never call `enqueue`: they declare the jobs that follow their change with
`core.later.later(session, ...)`, and importing this module installs `send_declared` as the
receiver of what a unit of work declared, called once it has committed.
"""

from __future__ import annotations

import importlib
import logging
import math
import re
import threading
import time
from collections import deque
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
SYSTEM = "system"  # the lane of jobs no user owns (the periodic ones)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: int


def periodic() -> tuple[Periodic, ...]:
    """What the scheduler enqueues, and how often."""
    return (
        Periodic("purge_expired", 3600),
        Periodic("sync_all", get_settings().sync_interval_seconds),
        Periodic("sync_calendars", get_settings().sync_interval_seconds),
        Periodic("send_due", 60),
        Periodic("wake_snoozed", 60),
        Periodic("mirror_due", 60),  # inbox changes a restart or a dead server left unmirrored
        Periodic("deliver_due", 15),  # notification retries and what quiet hours held
        Periodic("send_digests", 300),  # each user's digest at their local time, once a day
        Periodic("remind_follow_ups", 300),
        Periodic("resume_meetings", 300),  # transcriptions a killed worker or a restart left unfinished
        Periodic("index_meetings", 3600),  # meeting (re)indexing or removal a restart made the queue forget
    )


job_id_for = later.job_id_for


def resolve(name: str) -> Callable[..., Any]:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise JobError(f"invalid task name {name!r}")
    fn = getattr(importlib.import_module(TASK_MODULE), name, None)
    if not callable(fn):
        raise JobError(f"no task named {name!r} in {TASK_MODULE}")
    return fn


def deadline_for(name: str) -> float:
    """The task's overall deadline in seconds; a task without one is refused, not run unbounded."""
    seconds = getattr(importlib.import_module(TASK_MODULE), "DEADLINES", {}).get(name)
    if not seconds or seconds <= 0:
        raise JobError(f"task {name!r} has no deadline in {TASK_MODULE}.DEADLINES")
    return float(seconds)


def enqueue(name: str, *args: Any, job_id: str | None = None, owner: str | None = None) -> str:
    """Queue task `name` with id arguments for `owner` (a user id; None: the system); returns the job
    id (an existing one if pending)."""
    resolve(name)  # fail here, not in the worker, for a typo
    deadline = deadline_for(name)
    jid = job_id or job_id_for(name, *args)
    url = get_settings().redis_url
    if url:
        return _rq_enqueue(url, name, args, jid, deadline)
    return _local().submit(name, args, jid, owner=owner, deadline_s=deadline)


def send_declared(declared: list[later.Declared]) -> None:
    """After a commit: queue what the unit of work declared. The change is already saved, so a
    queue that cannot take a job is logged, not raised; the periodic jobs (sync_all, send_due)
    pick up what it missed."""
    for job in declared:
        try:
            enqueue(job.name, *job.args, job_id=job.job_id, owner=job.owner)
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


def depth() -> dict[str, int]:
    """How many jobs wait and run (for /health's details to an administrator)."""
    url = get_settings().redis_url
    if url:
        from rq import Queue

        from openfyxer.integrations.redis_store import client

        q = Queue(QUEUE, connection=client(url))
        return {"queued": q.count, "running": q.started_job_registry.count, "failed": q.failed_job_registry.count}
    return _local().depth()


later.install_depth(depth)


def _rq_enqueue(url: str, name: str, args: tuple, jid: str, deadline_s: float) -> str:
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
        # The deadline is RQ's job timeout: the work horse is killed past it. Fairness between users
        # comes from running several workers (each a process of its own), not from this queue's order.
        Queue(QUEUE, connection=conn).enqueue_call(
            f"{TASK_MODULE}.{name}", args=args, job_id=jid, timeout=math.ceil(deadline_s),
            result_ttl=3600, failure_ttl=7 * 86400,
        )
    except redis.RedisError as e:
        raise JobError(f"could not queue {name}: {e}") from e
    return jid


@dataclass(frozen=True)
class _Job:
    name: str
    args: tuple
    jid: str
    owner: str
    deadline_s: float


@dataclass(frozen=True, eq=False)
class _Run:
    job: _Job
    worker: threading.Thread
    ends_at: float  # time.monotonic()


class LocalQueue:
    """Jobs on a small pool of threads in this process, with the same de-duplication as RQ.

    Each owner (a user; SYSTEM for the periodic jobs) has a lane whose jobs start in the order they
    were asked. A free worker serves the owners in turn, those with nothing running first, and no
    owner takes the last free worker: one user's slow mail server or long model call holds one or
    two workers, never everyone's sync, sends and drafts. A job past its deadline is marked failed
    and its worker replaced at once; a thread cannot be stopped, so it finishes on its own (socket
    timeouts see to that) and what it returns then is dropped. Until it has, the same job is not
    started again: two syncs of one account must not overlap."""

    def __init__(self, workers: int | None = None) -> None:
        self._size = workers  # None: the setting, read when the pool starts
        self._cv = threading.Condition()
        self._lanes: dict[str, deque[_Job]] = {}
        self._turns: deque[str] = deque()  # owners with jobs waiting, the next one to serve first
        self._running: dict[str, _Run] = {}  # by job id, within their deadline
        self._overdue: dict[str, _Run] = {}  # failed at their deadline, their thread still going
        self._busy: dict[str, int] = {}  # running jobs per owner
        self._states: dict[str, str] = {}
        self._workers: set[threading.Thread] = set()
        self._watchdog: threading.Thread | None = None

    def submit(self, name: str, args: tuple, jid: str, *, owner: str | None = None,
               deadline_s: float = 1800) -> str:
        with self._cv:
            if self._states.get(jid) in PENDING:
                return jid
            self._states[jid] = "queued"
            lane = self._lanes.get(owner := owner or SYSTEM)
            if lane is None:
                lane = self._lanes[owner] = deque()
                self._turns.append(owner)
            lane.append(_Job(name, tuple(args), jid, owner, deadline_s))
            self._start()
            self._cv.notify_all()
        return jid

    def status(self, jid: str) -> str | None:
        return self._states.get(jid)

    def depth(self) -> dict[str, int]:
        with self._cv:
            return {"queued": sum(len(lane) for lane in self._lanes.values()), "running": len(self._running),
                    "overdue": len(self._overdue), "workers": self._size or get_settings().job_workers}

    def join(self, timeout_s: float = 60) -> bool:
        """Wait until every queued job has run or passed its deadline (tests and shutdown)."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while self._lanes or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def _start(self) -> None:
        """Top the pool up (on first use, and after a fork, which keeps no threads)."""
        self._size = self._size or get_settings().job_workers
        self._workers = {t for t in self._workers if t.is_alive()}
        while len(self._workers) < self._size:
            self._spawn()
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(target=self._watch, name="openfyxer-jobs-deadlines", daemon=True)
            self._watchdog.start()

    def _spawn(self) -> None:
        worker = threading.Thread(target=self._work, name="openfyxer-jobs", daemon=True)
        self._workers.add(worker)
        worker.start()

    def _take(self) -> _Job | None:
        """The next job for a free worker, or None (called with the lock held)."""
        cap = max(1, self._size - 1)  # an owner never takes the last worker
        chosen = None
        for owner in self._turns:
            busy = self._busy.get(owner, 0)
            if busy >= cap or self._lanes[owner][0].jid in self._overdue:
                continue
            if chosen is None or busy < self._busy.get(chosen, 0):
                chosen = owner
                if busy == 0:
                    break
        if chosen is None:
            return None
        self._turns.remove(chosen)
        lane = self._lanes[chosen]
        job = lane.popleft()
        if lane:
            self._turns.append(chosen)  # its next job waits behind the other owners' turns
        else:
            del self._lanes[chosen]
        return job

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._cv:
                while (job := self._take()) is None:
                    self._cv.wait()
                run = _Run(job, me, time.monotonic() + job.deadline_s)
                self._running[job.jid] = run
                self._busy[job.owner] = self._busy.get(job.owner, 0) + 1
                self._states[job.jid] = "started"
                self._cv.notify_all()  # the watchdog learns the new deadline
            outcome = self._call(job)
            with self._cv:
                self._cv.notify_all()
                if self._running.get(job.jid) is run:
                    self._finish(run, outcome)
                    continue
                # Past its deadline: already failed, and a replacement took this worker's place.
                if self._overdue.get(job.jid) is run:
                    del self._overdue[job.jid]
                log.warning("job %s finished %.0f s after its deadline; its result is dropped", job.jid,
                            time.monotonic() - run.ends_at)
                return

    @staticmethod
    def _call(job: _Job) -> str:
        try:
            resolve(job.name)(*job.args)
            return "finished"
        except Exception:  # one failed job must not stop the ones after it
            log.exception("job %s failed", job.jid)
            return "failed"

    def _finish(self, run: _Run, outcome: str) -> None:
        del self._running[run.job.jid]
        self._busy[run.job.owner] -= 1
        if not self._busy[run.job.owner]:
            del self._busy[run.job.owner]
        self._states[run.job.jid] = outcome

    def _watch(self) -> None:
        """Fails each job at its deadline and gives its worker's place to a new thread."""
        with self._cv:
            while True:
                now = time.monotonic()
                for run in [r for r in self._running.values() if r.ends_at <= now]:
                    self._finish(run, "failed")
                    self._overdue[run.job.jid] = run
                    self._workers.discard(run.worker)
                    self._spawn()
                    log.error("job %s passed its deadline of %.0f s: marked failed (deadline), its worker replaced",
                              run.job.jid, run.job.deadline_s)
                    self._cv.notify_all()
                ends = [r.ends_at for r in self._running.values()]
                self._cv.wait(max(0.0, min(ends) - now) if ends else None)


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
