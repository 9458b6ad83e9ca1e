"""Crash safety: a sync killed at random points, then resumed, ends with exactly the messages of an
uninterrupted sync."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from bench.corpus import messages
from openfyxer.core.db import session_scope
from openfyxer.models.email import Email, EmailLocation
from openfyxer.services.mail import sync
from tests.conftest import ROOT, apply_env
from tests.mailhelpers import connect_account

KILLS = 10
SIZE = 1500


def _state(account_id) -> set[tuple]:
    with session_scope() as db:
        rows = db.exec(
            select(Email.message_id, Email.subject, Email.is_read, Email.folder_role, EmailLocation.uid)
            .join(EmailLocation, EmailLocation.email_id == Email.id).where(Email.account_id == account_id)
        ).all()
    return set(rows)


def _count(account_id) -> int:
    with session_scope() as db:
        return db.exec(select(func.count()).select_from(Email).where(Email.account_id == account_id)).one()


def _no_duplicates(account_id) -> None:
    with session_scope() as db:
        total = db.exec(select(func.count()).select_from(EmailLocation).where(EmailLocation.account_id == account_id)).one()
        distinct = db.exec(select(func.count(func.distinct(EmailLocation.uid))).where(
            EmailLocation.account_id == account_id)).one()
        emails = db.exec(select(func.count()).select_from(Email).where(Email.account_id == account_id)).one()
        ids = db.exec(select(func.count(func.distinct(Email.message_id))).where(Email.account_id == account_id)).one()
    assert total == distinct and emails == ids


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_sync_killed_at_random_points_resumes_to_the_same_result(database_url, monkeypatch, dovecot, relay,
                                                                 make_mail_user):
    """GIVEN a mailbox of 1,500 real messages WHEN a sync process is killed (SIGKILL) at ten random moments and then
    run to the end THEN the stored mail equals that of one uninterrupted sync: nothing lost, nothing twice."""
    # Small chunks give the kills many transaction boundaries, and insides of transactions, to hit.
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url, sync_chunk_size="40")
    user = make_mail_user("crash")
    dovecot.deliver_many_maildir(user.name, "INBOX", [raw for _, raw in messages()[:SIZE]])
    killed = connect_account(user, dovecot, relay)
    reference = connect_account(user, dovecot, relay)
    seed = int(os.environ.get("CRASH_SEED", time.time()))
    rng = random.Random(seed)
    # The killed process is a bare sync: the processing it declares at the end is not under test.
    code = ("from openfyxer.core import later; later.install(lambda jobs: None); import uuid; "
            f"from openfyxer.services.mail import sync; sync.sync_account(account_id=uuid.UUID('{killed}'))")
    progress = []
    # Kill points spread over the whole sync: each run resumes, so every target lies ahead of what
    # is stored, and two kills land during start-up or folder reconciliation instead.
    early = set(rng.sample(range(KILLS), 2))
    for i in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ),
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stored = _count(killed)
        if i in early or stored >= SIZE - 1:
            time.sleep(rng.uniform(0.2, 1.2))
        else:
            target = stored + rng.randint(1, max(1, (SIZE - stored) // 2))
            deadline = time.monotonic() + 60
            while _count(killed) < target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.03))  # land anywhere inside the next chunk
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        _no_duplicates(killed)
        progress.append(len(_state(killed)))
    sync.sync_account(account_id=killed)
    sync.sync_account(account_id=reference)
    got, want = _state(killed), _state(reference)
    assert len(want) == SIZE, f"seed {seed}"
    assert {r[0] for r in got} == {r[0] for r in want} and {(r[0], r[4]) for r in got} == {(r[0], r[4]) for r in want}, \
        f"seed {seed}, stored after each kill: {progress}"
    assert {r[:4] for r in got} == {r[:4] for r in want}
    _no_duplicates(killed)
    # The kills must have interrupted real work, not only idle imports or a finished sync.
    assert sum(0 < p < SIZE for p in progress) >= 3, f"too few kills landed mid-sync (seed {seed}): {progress}"
    print(f"seed {seed}: stored after each kill {progress}")
