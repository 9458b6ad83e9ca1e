"""New mail in seconds: IMAP IDLE watchers against the suite's real Dovecot (a TCP relay in front of it
where a test cuts the line), the STATUS poll, Exchange's timed sync, backoff and shutdown."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email
from openfyxer.services.mail import supervisor as watching_supervisor, sync, watch
from openfyxer.services.mail.supervisor import Supervisor
from tests.conftest import apply_env
from tests.helpers import until
from tests.mailhelpers import connect_account, message
from tests.tcpproxy import TcpProxy


@pytest.fixture
def env(monkeypatch, dovecot, sqlite_url):  # noqa: ANN001
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), idle_backoff_base_seconds="0.2",
              idle_backoff_max_seconds="1", idle_accounts_seconds="0.3", idle_recheck_seconds="1")


@pytest.fixture
def watching(env):  # noqa: ANN001
    """Starts supervisors; each is stopped before the test's database goes away."""
    made: list[Supervisor] = []

    def start() -> Supervisor:
        made.append(Supervisor().start())
        return made[-1]

    yield start
    for s in made:
        s.stop()


@pytest.fixture
def proxy(dovecot):  # noqa: ANN001
    p = TcpProxy(dovecot.imap_port)
    yield p
    p.cut()


def _subjects(account_id: uuid.UUID) -> set[str]:
    with session_scope() as db:
        return set(db.exec(select(Email.subject).where(Email.account_id == account_id)).all())


def _append(mail_user, subject: str) -> None:  # noqa: ANN001
    """A message put in INBOX by another client (APPEND), as a phone or a filter would."""
    conn = mail_user.imap()
    try:
        typ, _ = conn.append("INBOX", None, None, message(to=mail_user.address, subject=subject))
        assert typ == "OK"
    finally:
        conn.logout()


def _state(sup: Supervisor, account_id: uuid.UUID):  # noqa: ANN202
    return sup.status().get(account_id)


def _idling(sup: Supervisor, account_id: uuid.UUID, idles: int = 1) -> bool:
    s = _state(sup, account_id)
    return s is not None and s.mode == "idle" and s.connected and s.idles >= idles


def _synced_account(mail_user, dovecot, relay, **overrides) -> uuid.UUID:  # noqa: ANN001
    account_id = connect_account(mail_user, dovecot, relay, **overrides)
    sync.sync_account(account_id=account_id)  # where the periodic sync left it; no scheduler runs here
    return account_id


def test_new_mail_is_synced_within_seconds_without_the_periodic_sync(watching, mail_user, dovecot, relay,
                                                                      live_jobs):  # noqa: ANN001
    """GIVEN a synced account, the in-process queue and a watcher idling on its INBOX (no scheduler)
    WHEN another client APPENDs a message and a second arrives over LMTP
    THEN each is a stored Email within seconds, through the usual sync job."""
    account_id = _synced_account(mail_user, dovecot, relay)
    sup = watching()
    assert until(lambda: _idling(sup, account_id), 10)
    started = time.monotonic()
    _append(mail_user, "Arrived while idling")
    assert until(lambda: "Arrived while idling" in _subjects(account_id), 10)
    assert time.monotonic() - started < 5
    dovecot.deliver(mail_user.name, message(to=mail_user.address, subject="Delivered over LMTP"))
    assert until(lambda: "Delivered over LMTP" in _subjects(account_id), 10)
    assert _state(sup, account_id).attempts == 1  # one connection did it all


def test_watcher_survives_the_server_going_away_and_picks_up_mail_after(watching, mail_user, dovecot, relay, proxy,
                                                                        live_jobs):  # noqa: ANN001
    """GIVEN a watcher idling through a line the test can cut
    WHEN the line is cut (open connection dropped, new ones refused), mail arrives meanwhile, and the line
    comes back
    THEN the watcher records the failures, reconnects with backoff, syncs what came while it was away, and
    idles again for what comes next."""
    account_id = _synced_account(mail_user, dovecot, relay, imap_port=proxy.port)
    sup = watching()
    assert until(lambda: _idling(sup, account_id), 10)
    proxy.cut()
    assert until(lambda: _state(sup, account_id).failures >= 2, 10)
    assert not _state(sup, account_id).connected and _state(sup, account_id).last_error
    shown = watch.published(account_id)  # what the Settings page shows of it
    assert shown["mode"] == "waiting" and shown["last_error"] and shown["retry_in"] > 0
    _append(mail_user, "Came while away")  # straight to Dovecot: only the watcher's line is down
    proxy.restore()
    assert until(lambda: "Came while away" in _subjects(account_id), 15)
    assert until(lambda: _idling(sup, account_id), 10)
    assert until(lambda: watch.published(account_id)["mode"] == "idle", 5)
    _append(mail_user, "Came after")
    assert until(lambda: "Came after" in _subjects(account_id), 10)
    assert _state(sup, account_id).failures == 0  # a good round: the next failure starts its backoff over


def test_oauth_account_idles_over_xoauth2_with_a_token_refreshed_for_each_connection(
        watching, mail_user, dovecot, relay, proxy, oauth, monkeypatch, live_jobs):  # noqa: ANN001
    """GIVEN an OAuth account (XOAUTH2 at Dovecot, tokens from the local provider) whose access token is
    within the refresh margin
    WHEN its watcher connects, loses its line and connects again
    THEN a fresh token is fetched (and stored) before each connection, and new mail arrives after both."""
    from datetime import UTC, datetime, timedelta

    from openfyxer.services import auth

    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the local provider speaks plain http
    oauth.register_client("openfyxer-test", "client-secret-123", ["http://127.0.0.1:3000/cb"])
    apply_env(monkeypatch, custom_oauth_authorize_url=oauth.authorize_url, custom_oauth_token_url=oauth.token_url,
              custom_oauth_client_id="openfyxer-test",
              custom_oauth_client_secret="client-secret-123", custom_oauth_scope="mail")
    oauth.access_ttl = 60  # inside the two-minute margin: every connection refreshes
    tokens = oauth.issue_tokens(mail_user.name, client_id="openfyxer-test")
    with session_scope() as db:
        user = auth.register(db, email=f"{uuid.uuid4().hex[:8]}@owner.test", password="correct horse battery")
        account = EmailAccount(user_id=user.id, provider="imap", email_address=mail_user.address,
                               username=mail_user.address, imap_host=dovecot.host, imap_port=proxy.port,
                               imap_security="none", smtp_host=relay.host, smtp_port=relay.port,
                               smtp_security="starttls", oauth_token=tokens["access_token"],
                               oauth_refresh_token=tokens["refresh_token"],
                               oauth_expires_at=datetime.now(UTC) + timedelta(seconds=60))
        db.add(account)
    sync.sync_account(account_id=account.id)

    def token() -> str:
        with session_scope() as db:
            return db.get(EmailAccount, account.id).oauth_token

    synced_with = token()
    sup = watching()
    assert until(lambda: _idling(sup, account.id), 10)
    first = token()
    assert first not in (tokens["access_token"], synced_with)
    _append(mail_user, "Over XOAUTH2")
    assert until(lambda: "Over XOAUTH2" in _subjects(account.id), 10)
    proxy.cut()
    assert until(lambda: _state(sup, account.id).failures >= 1, 10)
    before = token()  # the sync above refreshed it too
    proxy.restore()
    assert until(lambda: _idling(sup, account.id) and _state(sup, account.id).attempts >= 2, 15)
    assert token() != before
    _append(mail_user, "After reconnecting")
    assert until(lambda: "After reconnecting" in _subjects(account.id), 10)


def test_wrong_password_backs_off_and_says_why(watching, mail_user, dovecot, relay, caplog):  # noqa: ANN001
    """GIVEN an account whose stored password the server now refuses (backoff 0.2 s doubling, capped at 1 s)
    WHEN its watcher runs for three seconds
    THEN it tries a bounded number of times, never twice without a pause, and records and logs the refusal
    without the password."""
    account_id = connect_account(mail_user, dovecot, relay)
    with session_scope() as db:
        db.get(EmailAccount, account_id).imap_password = "not-the-password"
    caplog.set_level("WARNING", logger="openfyxer.services.mail.watchers")
    sup = watching()
    time.sleep(3.0)  # the window the attempts are counted over
    state = _state(sup, account_id)
    # Delays drawn from [0.1, 0.2], [0.2, 0.4], [0.4, 0.8], then [0.5, 1]: 5 to 8 tries in 3 s.
    assert 3 <= state.attempts <= 9, state
    # Every attempt that has ended failed; the one the watcher may be making as we look has not ended yet.
    assert state.attempts - 1 <= state.failures <= state.attempts and not state.connected
    assert "refused the sign-in" in state.last_error and 0.1 <= state.retry_in <= 1.0
    assert dovecot.log().count(f"({mail_user.name},") >= state.attempts - 1  # the server saw each one
    lines = [r.getMessage() for r in caplog.records if "mail watcher failed" in r.getMessage()]
    assert lines and "refused the sign-in" in lines[0]
    assert not any("not-the-password" in line for line in lines)


def test_idle_is_reissued_before_the_server_would_drop_it(watching, mail_user, dovecot, relay, proxy, monkeypatch,
                                                          live_jobs):  # noqa: ANN001
    """GIVEN IDLE refreshed every 0.4 s (25 minutes by default)
    WHEN the watcher has idled a while
    THEN the server received IDLE and DONE again and again on one connection, and new mail still arrives."""
    apply_env(monkeypatch, idle_refresh_seconds="0.4")
    account_id = _synced_account(mail_user, dovecot, relay, imap_port=proxy.port)
    before = proxy.accepted  # the account's sign-in check and first sync
    sup = watching()
    assert until(lambda: proxy.sent.count(b" IDLE\r\n") >= 4 and proxy.sent.count(b"DONE\r\n") >= 3, 10)
    assert proxy.accepted == before + 1 and _state(sup, account_id).attempts == 1
    _append(mail_user, "After refreshes")
    assert until(lambda: "After refreshes" in _subjects(account_id), 10)


def test_stop_ends_every_watcher_promptly(watching, make_mail_user, dovecot, relay, monkeypatch):  # noqa: ANN001
    """GIVEN watchers idling on two accounts, one backing off from an unreachable server, and an Exchange one
    WHEN the supervisor is stopped
    THEN every thread it started has ended within about two seconds."""
    from tests import servers

    idle_ids = [_synced_account(make_mail_user("w"), dovecot, relay) for _ in range(2)]
    dead = connect_account(make_mail_user("w"), dovecot, relay)
    with session_scope() as db:
        db.get(EmailAccount, dead).imap_port = servers.free_port()  # nothing listens there
    exchange = _exchange_account()
    apply_env(monkeypatch, idle_exchange_poll_seconds="600")
    sup = watching()
    assert until(lambda: all(_idling(sup, a) for a in idle_ids) and _state(sup, dead)
                 and _state(sup, dead).failures >= 1 and _state(sup, exchange), 10)
    threads = sup.threads()
    assert len(threads) == 5
    started = time.monotonic()
    left = sup.stop()
    assert left == [] and time.monotonic() - started < 2.5
    assert not any(t.is_alive() for t in threads)


def test_poll_fallback_syncs_new_mail(watching, mail_user, dovecot, relay, monkeypatch, live_jobs):  # noqa: ANN001
    """GIVEN the STATUS poll forced (as for a server without IDLE), every 0.3 s
    WHEN a message is APPENDed
    THEN the watcher polls instead of idling and the message is stored within seconds."""
    apply_env(monkeypatch, idle_force_poll="true", idle_poll_seconds="0.3")
    account_id = _synced_account(mail_user, dovecot, relay)
    sup = watching()
    assert until(lambda: _state(sup, account_id) and _state(sup, account_id).polls >= 2, 10)
    assert _state(sup, account_id).mode == "poll" and _state(sup, account_id).idles == 0
    _append(mail_user, "Found by polling")
    assert until(lambda: "Found by polling" in _subjects(account_id), 10)


def test_exchange_account_gets_a_timed_sync(watching, monkeypatch, declared_jobs):  # noqa: ANN001
    """GIVEN an Exchange account (no IDLE here) and its poll every 0.2 s
    WHEN the supervisor runs
    THEN the account's usual sync job is declared again and again, for its owner."""
    apply_env(monkeypatch, idle_exchange_poll_seconds="0.2")
    account_id = _exchange_account()
    watching()

    def syncs() -> list:
        return [j for j in list(declared_jobs) if j.name == "sync_account" and j.args == (str(account_id),)]

    assert until(lambda: len(syncs()) >= 3, 5)
    assert syncs()[0].owner is not None


def test_paused_account_loses_its_watcher(watching, mail_user, dovecot, relay):  # noqa: ANN001
    """GIVEN a watcher idling for an account WHEN the account is paused THEN its watcher is stopped and
    ends at the supervisor's next look at the accounts."""
    account_id = _synced_account(mail_user, dovecot, relay)
    sup = watching()
    assert until(lambda: _idling(sup, account_id), 10)
    thread = next(t for t in sup.threads() if t.name.endswith(str(account_id)[:8]))
    with session_scope() as db:
        db.get(EmailAccount, account_id).is_active = False
    assert until(lambda: account_id not in sup.status() and not thread.is_alive(), 5)


def test_watching_can_be_turned_off(env, monkeypatch):  # noqa: ANN001
    """GIVEN OPENFYXER_IDLE=false WHEN watching would start THEN nothing starts."""
    apply_env(monkeypatch, idle="false")
    before = threading.active_count()
    assert watching_supervisor.start() is None
    assert threading.active_count() == before


def _exchange_account() -> uuid.UUID:
    from openfyxer.services import auth

    with session_scope() as db:
        user = auth.register(db, email=f"{uuid.uuid4().hex[:8]}@owner.test", password="correct horse battery")
        account = EmailAccount(user_id=user.id, provider="exchange", email_address=f"x{uuid.uuid4().hex[:6]}@ex.test",
                               ews_url="https://127.0.0.1:9/EWS/Exchange.asmx", imap_password="pw")
        db.add(account)
        db.flush()
        return account.id


def test_scheduler_process_watches_mailboxes_and_ends_on_sigterm(env, mail_user, dovecot, relay, redis_server,
                                                                 tmp_path, monkeypatch):  # noqa: ANN001
    """GIVEN `python -m workers.scheduler` on Redis (the scaled deployment) and a synced account
    WHEN a message is APPENDed once its watcher idles
    THEN the account's sync job is queued on RQ within seconds, and the web process reads the watcher's
    state from Redis; and on SIGTERM the process ends promptly."""
    import os
    import signal
    import subprocess
    import sys

    from rq.job import Job

    from openfyxer.core.later import job_id_for
    from openfyxer.integrations.redis_store import client
    from tests.conftest import ROOT

    account_id = _synced_account(mail_user, dovecot, relay)
    out = tmp_path / "scheduler.log"
    with open(out, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "workers.scheduler"], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT,
                                env={**os.environ, "OPENFYXER_REDIS_URL": redis_server.url})
    try:
        assert until(lambda: f"account {account_id}: watching INBOX (IDLE)" in out.read_text(), 30), out.read_text()
        apply_env(monkeypatch, redis_url=redis_server.url)
        assert until(lambda: (watch.published(account_id) or {}).get("mode") == "idle", 10)
        jid = job_id_for("sync_account", str(account_id))
        assert not Job.exists(jid, connection=client(redis_server.url))  # the inbox was in step until now
        _append(mail_user, "Seen by the scheduler")
        assert until(lambda: Job.exists(jid, connection=client(redis_server.url)), 10), out.read_text()
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - started < 4, out.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
