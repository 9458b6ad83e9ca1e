"""Jobs: deterministic ids, the in-process worker, and RQ on a real Redis with the same task functions."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from openfyxer import jobs
from openfyxer.core.errors import JobError
from tests.conftest import apply_env


def _expired_token(db_url: str) -> None:
    from openfyxer.core.db import session_scope
    from openfyxer.models.user import AuthSession, RefreshToken, User

    with session_scope() as db:
        user = User(email=f"{time.time_ns()}@example.com", hashed_password="x")
        db.add(user)
        db.flush()
        s = AuthSession(user_id=user.id)
        db.add(s)
        db.flush()
        db.add(RefreshToken(session_id=s.id, user_id=user.id, token_hash=str(time.time_ns()).ljust(64, "0"),
                            expires_at=datetime.now(UTC) - timedelta(minutes=1)))


def _tokens_left() -> int:
    from sqlmodel import func, select

    from openfyxer.core.db import session_scope
    from openfyxer.models.user import RefreshToken

    with session_scope() as db:
        return db.exec(select(func.count()).select_from(RefreshToken)).one()


def test_job_ids_are_deterministic_and_safe():
    """GIVEN a task and ids WHEN a job id is made THEN it is stable and only has characters RQ accepts."""
    assert jobs.job_id_for("sync_account", "a/b c", 3) == jobs.job_id_for("sync_account", "a/b c", 3) == "sync_account-a_b_c-3"
    with pytest.raises(JobError):
        jobs.enqueue("no_such_task")
    with pytest.raises(JobError):
        jobs.enqueue("../../os.system")


def test_in_process_queue_runs_the_task(sqlite_url):
    """GIVEN no Redis WHEN a job is queued THEN the in-process worker runs the real task function."""
    _expired_token(sqlite_url)
    jid = jobs.enqueue("purge_expired")
    assert jobs.local_queue().join(30)
    assert jobs.status(jid) == "finished" and _tokens_left() == 0


def test_in_process_queue_deduplicates_pending_jobs(sqlite_url, monkeypatch):
    """GIVEN a job that is still running WHEN the same job is queued again THEN it runs once."""
    import workers.tasks

    gate, runs = threading.Event(), []

    def slow():
        runs.append(1)
        gate.wait(10)

    monkeypatch.setattr(workers.tasks, "purge_expired", slow, raising=True)
    a = jobs.enqueue("purge_expired")
    for _ in range(50):
        if jobs.status(a) == "started":
            break
        time.sleep(0.02)
    assert jobs.enqueue("purge_expired") == a  # still running: nothing new
    gate.set()
    assert jobs.local_queue().join(10)
    assert runs == [1]
    jobs.enqueue("purge_expired")  # finished: may run again
    assert jobs.local_queue().join(10) and runs == [1, 1]


@pytest.fixture
def rq_env(redis_server, sqlite_url, monkeypatch):
    apply_env(monkeypatch, redis_url=redis_server.url, database_url=sqlite_url)
    conn = redis.Redis.from_url(redis_server.url)
    conn.flushall()
    return conn


def test_rq_enqueue_dedupes_and_a_worker_runs_it(rq_env, sqlite_url):
    """GIVEN Redis WHEN the same job is queued twice and a worker drains the queue THEN one RQ job ran the task."""
    from rq import Queue, SimpleWorker

    _expired_token(sqlite_url)
    jid = jobs.enqueue("purge_expired")
    assert jobs.enqueue("purge_expired") == jid
    q = Queue(jobs.QUEUE, connection=rq_env)
    assert q.count == 1 and jobs.status(jid) == "queued"
    SimpleWorker([q], connection=rq_env).work(burst=True)
    assert jobs.status(jid) == "finished" and _tokens_left() == 0
    assert q.fetch_job(jid).return_value() == {"refresh_tokens": 1, "sessions": 0, "totp_steps": 0}


def test_rq_worker_entry_point_runs_jobs(rq_env, sqlite_url):
    """GIVEN a queued job WHEN `python -m workers.worker --burst` runs THEN the job finishes."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    _expired_token(sqlite_url)
    jid = jobs.enqueue("purge_expired")
    out = subprocess.run([sys.executable, "-m", "workers.worker", "--burst"], cwd=ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert jobs.status(jid) == "finished" and _tokens_left() == 0


def test_dead_redis_is_a_clear_job_error(monkeypatch, sqlite_url):
    """GIVEN OPENFYXER_REDIS_URL pointing at nothing WHEN a job is queued THEN JobError, not a hang."""
    from tests.servers import free_port

    apply_env(monkeypatch, redis_url=f"redis://127.0.0.1:{free_port()}/0", database_url=sqlite_url)
    with pytest.raises(JobError, match="could not queue"):
        jobs.enqueue("purge_expired")


def test_two_schedulers_enqueue_each_period_once(rq_env):
    """GIVEN two schedulers on one Redis WHEN they tick through the same period THEN the job is queued once."""
    from rq import Queue

    stop = threading.Event()
    item = (jobs.Periodic("purge_expired", 3600),)  # noqa: F841
    threads = [threading.Thread(target=jobs.run_scheduler, args=(stop, item, 0.05)) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(5)
    assert Queue(jobs.QUEUE, connection=rq_env).count == 1
