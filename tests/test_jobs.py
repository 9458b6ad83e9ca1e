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
from tests.helpers import until


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




def test_every_task_has_a_deadline():
    """GIVEN every task in workers.tasks WHEN its deadline is asked THEN it has one, of at most half an hour;
    a task without one is refused rather than run unbounded."""
    import inspect

    import workers.tasks

    names = [n for n, f in inspect.getmembers(workers.tasks, inspect.isfunction)
             if f.__module__ == "workers.tasks" and not n.startswith("_")]
    assert "sync_account" in names and "send_draft" in names
    for name in names:
        assert 0 < jobs.deadline_for(name) <= 1800, name
    assert jobs.deadline_for("send_draft") <= 180 and jobs.deadline_for("sync_all") <= 120


@pytest.fixture
def recorded_task(monkeypatch):
    """`index_document` replaced by a task that records each start (its argument, in order) and, for an
    argument in `block`, waits on `gate` first; `threads` holds the thread of each blocked run."""
    import workers.tasks

    class Task:
        started: list[str] = []
        block: set[str] = set()
        gate = threading.Event()
        entered: dict[str, threading.Event] = {}
        threads: dict[str, threading.Thread] = {}

        left: set[str] = set()  # blocked runs that have returned

    def task(arg: str) -> None:
        Task.started.append(arg)
        if arg in Task.block:
            Task.threads.setdefault(arg, threading.current_thread())
            Task.entered.setdefault(arg, threading.Event()).set()
            Task.gate.wait(30)
            Task.left.add(arg)

    monkeypatch.setattr(workers.tasks, "index_document", task, raising=True)
    yield Task
    Task.gate.set()  # never leave a run behind, whatever failed
    # The runs, not their threads: a pool worker lives on after its job and would be waited out.
    until(lambda: set(Task.entered) <= Task.left, timeout_s=30)
    jobs.local_queue().join(30)


def test_one_users_slow_jobs_do_not_hold_another_users(sqlite_url, recorded_task):
    """GIVEN user A's two jobs stuck on a slow server WHEN user B's job and another of A's are queued THEN
    B's runs to its end meanwhile, A's third waits (A never takes the last worker), and A's jobs start in
    the order they were asked."""
    task = recorded_task
    task.block = {"a1", "a2"}
    a1 = jobs.enqueue("index_document", "a1", owner="user-a")
    assert until(lambda: "a1" in task.entered)
    a2 = jobs.enqueue("index_document", "a2", owner="user-a")
    assert until(lambda: "a2" in task.entered)
    a3 = jobs.enqueue("index_document", "a3", owner="user-a")
    b1 = jobs.enqueue("index_document", "b1", owner="user-b")
    assert until(lambda: jobs.status(b1) == "finished"), jobs.local_queue().depth()
    assert jobs.status(a1) == jobs.status(a2) == "started" and jobs.status(a3) == "queued"
    task.gate.set()
    assert jobs.local_queue().join(30)
    assert [a for a in task.started if a.startswith("a")] == ["a1", "a2", "a3"]
    assert {jobs.status(j) for j in (a1, a2, a3)} == {"finished"}


def test_a_job_past_its_deadline_fails_and_the_pool_keeps_working(sqlite_url, recorded_task, monkeypatch):
    """GIVEN three users' jobs that never answer, as many as the pool has workers WHEN their deadline passes
    THEN each is marked failed and its worker replaced: a fourth user's job runs; the same job asked again
    waits for the stuck run to end (two runs never overlap); the stuck runs' late results change nothing."""
    import workers.tasks

    monkeypatch.setitem(workers.tasks.DEADLINES, "index_document", 0.5)
    task = recorded_task
    task.block = {"stuck-a", "stuck-b", "stuck-c"}
    stuck = {o: jobs.enqueue("index_document", f"stuck-{o}", owner=o) for o in "abc"}
    assert until(lambda: all(jobs.status(j) == "failed" for j in stuck.values()))
    assert all(t.is_alive() for t in task.threads.values())  # a thread cannot be stopped: it goes on

    other = jobs.enqueue("index_document", "d1", owner="d")
    assert until(lambda: jobs.status(other) == "finished")
    again = jobs.enqueue("index_document", "stuck-a", owner="a")
    assert again == stuck["a"] and jobs.status(again) == "queued"
    assert not jobs.local_queue().join(0.5) and task.started.count("stuck-a") == 1

    task.gate.set()
    for t in task.threads.values():
        t.join(10)
    assert jobs.local_queue().join(10)
    assert jobs.status(stuck["b"]) == jobs.status(stuck["c"]) == "failed"  # their late results were dropped
    assert task.started.count("stuck-a") == 2 and jobs.status(again) == "finished"


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
    """GIVEN Redis WHEN the same job is queued twice and a worker drains the queue THEN one RQ job ran the
    task, with the task's deadline as its timeout."""
    from rq import Queue, SimpleWorker

    import workers.tasks

    _expired_token(sqlite_url)
    jid = jobs.enqueue("purge_expired")
    assert jobs.enqueue("purge_expired") == jid
    q = Queue(jobs.QUEUE, connection=rq_env)
    assert q.count == 1 and jobs.status(jid) == "queued"
    assert q.fetch_job(jid).timeout == workers.tasks.DEADLINES["purge_expired"]  # the deadline is RQ's timeout
    SimpleWorker([q], connection=rq_env).work(burst=True)
    assert jobs.status(jid) == "finished" and _tokens_left() == 0
    assert q.fetch_job(jid).return_value() == {"refresh_tokens": 1, "sessions": 0, "totp_steps": 0, "invitations": 0}


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


# --- jobs that follow a change: declared by services, sent after the commit ------------------------

def test_declared_jobs_are_sent_after_the_commit_and_dropped_on_rollback(sqlite_url, declared_jobs):
    """GIVEN a unit of work that declares jobs WHEN it commits THEN they are sent once, in order, only
    then; WHEN another rolls back (or a savepoint inside one does) THEN what it declared is dropped."""
    from openfyxer.core.db import session_scope
    from openfyxer.core.later import later

    with session_scope() as s:
        assert later(s, "sync_account", "a") == "sync_account-a"
        later(s, "send_draft", 7)
        later(s, "sync_account", "a")  # the same job twice is one job
        assert declared_jobs == []  # nothing leaves before the commit
    assert [(j.name, j.args) for j in declared_jobs] == [("sync_account", ("a",)), ("send_draft", ("7",))]

    with pytest.raises(RuntimeError), session_scope() as s:
        later(s, "send_draft", 8)
        raise RuntimeError("the change failed")
    with session_scope() as s:
        later(s, "index_account", "b")
        with s.begin_nested() as inner:
            inner.rollback()
    assert [j.job_id for j in declared_jobs] == ["sync_account-a", "send_draft-7", "index_account-b"]


def test_a_job_declared_with_no_job_layer_fails_where_it_is_declared(sqlite_url):
    """GIVEN no sender installed WHEN a service declares a job THEN it fails at once instead of losing it."""
    from openfyxer.core import later as later_module
    from openfyxer.core.db import session_scope

    previous = later_module.install(None)
    try:
        with pytest.raises(JobError), session_scope() as s:
            later_module.later(s, "sync_account", "a")
    finally:
        later_module.install(previous)


def test_each_change_declares_the_job_that_follows_it(sqlite_url, declared_jobs):
    """GIVEN a user with an account, mail, a draft and a document WHEN each change is made through its
    service THEN the service itself declares the follow-up job (no route or page decides it): read
    state -> push, approval -> send, document added / removed -> index / forget, sync now and the
    periodic sync -> sync, due drafts -> send, account removed -> forget its knowledge; each job names the
    user as its owner, the periodic ones included, so the in-process runner can take users in turn."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.draft import DraftCreate
    from openfyxer.models.email_api import EmailUpdate
    from openfyxer.models.user import User
    from openfyxer.services.knowledge import documents
    from openfyxer.services.mail import accounts, drafts, emails, outbox
    from tests.assistanthelpers import add_email, make_user_account

    owners = set()

    def made(action) -> list[tuple[str, tuple]]:  # noqa: ANN001
        declared_jobs.clear()
        with session_scope() as s:
            action(s)
        owners.update(j.owner for j in declared_jobs)
        return [(j.name, j.args) for j in declared_jobs]

    with session_scope() as s:
        user, account = make_user_account(s)
        email = add_email(s, account)
        user_id, account_id, email_id = user.id, account.id, email.id

    def u(s):  # noqa: ANN001, ANN202
        return s.get(User, user_id)

    assert made(lambda s: emails.update_email(s, user=u(s), email_id=email_id, data=EmailUpdate(category="fyi"))) == []
    assert made(lambda s: emails.open_email(s, user=u(s), email_id=email_id)) == [("push_read_state", (str(email_id),))]
    assert made(lambda s: emails.open_email(s, user=u(s), email_id=email_id)) == []  # already read
    draft_id = None

    def write(s):  # noqa: ANN001, ANN202
        nonlocal draft_id
        draft_id = drafts.create(s, user=u(s), data=DraftCreate(account_id=account_id, email_id=email_id,
                                                                 content="Thanks, Bob.")).id
    assert made(write) == []
    assert made(lambda s: outbox.approve(s, user=u(s), draft_id=draft_id, content="Thanks, Bob!")) == \
        [("send_draft", (str(draft_id),))]
    with session_scope() as s:
        assert drafts.get(s, user=u(s), draft_id=draft_id).content == "Thanks, Bob!"  # the edit went with it
    assert made(outbox.send_due) == [("send_draft", (str(draft_id),))]

    doc_id = None

    def upload(s):  # noqa: ANN001, ANN202
        nonlocal doc_id
        doc_id = documents.add(s, user=u(s), filename="notes.txt", content_type="text/plain", data=b"Brasov, 12 March").id
    assert made(upload) == [("index_document", (str(doc_id),))]
    assert made(lambda s: documents.remove(s, user=u(s), document_id=doc_id)) == \
        [("forget_document", (str(user_id), str(doc_id)))]
    assert made(lambda s: accounts.request_sync(s, user=u(s), account_id=account_id)) == \
        [("sync_account", (str(account_id),))]
    assert made(accounts.sync_all) == [("sync_account", (str(account_id),))]
    assert made(lambda s: accounts.remove_account(s, user=u(s), account_id=account_id)) == \
        [("forget_account", (str(user_id), str(account_id)))]
    assert owners == {str(user_id)}
