"""Incremental IMAP sync against a real Dovecot: parsing, threads, folders, flags, moves, UIDVALIDITY."""

from __future__ import annotations

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.account import MailFolder
from openfyxer.models.document import Document
from openfyxer.models.email import Email, EmailLocation
from openfyxer.services.mail import sync
from tests.conftest import apply_env
from tests.mailhelpers import connect_account, message


@pytest.fixture
def env(monkeypatch, dovecot, database_url):
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url)


def _emails(account_id) -> dict[str, Email]:
    with session_scope() as db:
        return {e.message_id: e for e in db.exec(select(Email).where(Email.account_id == account_id)).all()}


def _snapshot(account_id) -> tuple:
    """Every stored row of the account's mail, to compare two syncs."""
    with session_scope() as db:
        emails = sorted((e.id, e.message_id, e.is_read, e.folder_role, e.category) for e in
                        db.exec(select(Email).where(Email.account_id == account_id)).all())
        locs = sorted((l.id, l.folder_id, l.uidvalidity, l.uid, tuple(l.flags)) for l in
                      db.exec(select(EmailLocation).where(EmailLocation.account_id == account_id)).all())
        folders = sorted((f.id, f.uidvalidity, f.last_uid, f.highest_modseq, f.last_synced_at) for f in
                         db.exec(select(MailFolder).where(MailFolder.account_id == account_id)).all())
    return emails, locs, folders


def test_first_sync_stores_inbox_and_sent_with_threads_and_attachments(env, mail_user, dovecot, relay):
    """GIVEN mail in INBOX and Sent, one reply, an attachment and a malformed message
    WHEN the account syncs THEN each is stored once with folder, thread, attachment document and the
    broken one kept raw and flagged."""
    root = message(to=mail_user.address, subject="Budget 2027", msgid="<root@example.org>")
    reply = message(to="bob@example.org", sender=mail_user.address, subject="Re: Budget 2027",
                    msgid="<reply@example.test>", in_reply_to="<root@example.org>", references=["<root@example.org>"])
    with_file = message(to=mail_user.address, subject="Contract", attachment=("contract.pdf", b"%PDF-1.4 fake"))
    broken = b"From: \xff\xfe broken\r\nSubject: =?utf-8?B?not base64!?=\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain; charset=unknown-8bit\r\n\r\n\xe2\x28\xa1 half"
    for raw in (root, with_file, broken):
        dovecot.deliver(mail_user.name, raw)
    dovecot.deliver(f"{mail_user.name}+Sent", reply)
    account_id = connect_account(mail_user, dovecot, relay)
    result = sync.sync_account(account_id=account_id)
    assert result.new == 4 and result.parse_errors <= 1
    emails = _emails(account_id)
    assert emails["<root@example.org>"].folder_role == "inbox"
    assert emails["<reply@example.test>"].folder_role == "sent"
    assert emails["<reply@example.test>"].thread_id == emails["<root@example.org>"].thread_id == "<root@example.org>"
    contract = next(e for e in emails.values() if e.subject == "Contract")
    assert contract.has_attachments
    with session_scope() as db:
        doc = db.exec(select(Document).where(Document.email_id == contract.id)).one()
    assert doc.filename == "contract.pdf" and doc.file_size == len(b"%PDF-1.4 fake") and doc.storage_path
    kept = [e for e in emails.values() if e.parse_error]
    assert len(kept) == 1
    # A message the parser could not read fully is still there, never dropped.
    assert len(emails) == 4
    for e in kept:
        assert e.raw and b"not base64!" in e.raw


def test_a_stranger_naming_a_private_message_does_not_join_its_thread(env, mail_user, dovecot, relay):
    """GIVEN a conversation between the user and Bob, and a message from a stranger whose References name
    Bob's Message-ID (learned somehow) WHEN it syncs THEN the stranger's message starts its own thread, while
    Bob's real follow-up, which names the same message, joins it (and so does one written to Bob by the user)."""
    root = message(to=mail_user.address, sender="Bob <bob@example.org>", subject="Salary review",
                   msgid="<private@example.org>")
    follow_up = message(to=mail_user.address, sender="Bob <bob@example.org>", subject="Re: Salary review",
                        msgid="<bob2@example.org>", in_reply_to="<private@example.org>", references=["<private@example.org>"])
    stranger = message(to=mail_user.address, sender="Mallory <mallory@evil.example>", subject="Re: Salary review",
                       msgid="<mallory@evil.example>", in_reply_to="<private@example.org>",
                       references=["<private@example.org>"])
    for raw in (root, follow_up, stranger):
        dovecot.deliver(mail_user.name, raw)
    account_id = connect_account(mail_user, dovecot, relay)
    sync.sync_account(account_id=account_id)
    dovecot.deliver(f"{mail_user.name}+Sent", message(
        to="bob@example.org", sender=mail_user.address, subject="Re: Salary review", msgid="<ana@example.test>",
        in_reply_to="<bob2@example.org>", references=["<private@example.org>", "<bob2@example.org>"]))
    dovecot.deliver(mail_user.name, message(
        to=mail_user.address, sender="Mallory <mallory@evil.example>", subject="Re: Salary review",
        msgid="<mallory2@evil.example>", references=["<private@example.org>", "<ana@example.test>"]))
    sync.sync_account(account_id=account_id)
    emails = _emails(account_id)
    assert emails["<bob2@example.org>"].thread_id == emails["<ana@example.test>"].thread_id == "<private@example.org>"
    assert emails["<mallory@evil.example>"].thread_id == "<mallory@evil.example>"
    assert emails["<mallory2@evil.example>"].thread_id == "<mallory2@evil.example>"


def test_second_sync_without_changes_writes_nothing(env, mail_user, dovecot, relay):
    """GIVEN a synced mailbox WHEN it syncs again with no change on the server THEN no mail row changes."""
    for i in range(5):
        dovecot.deliver(mail_user.name, message(to=mail_user.address, subject=f"m{i}"))
    account_id = connect_account(mail_user, dovecot, relay)
    sync.sync_account(account_id=account_id)
    before = _snapshot(account_id)
    result = sync.sync_account(account_id=account_id)
    assert (result.new, result.removed, result.flag_changes, result.located) == (0, 0, 0, 0)
    assert _snapshot(account_id) == before


def test_new_mail_read_state_and_moves_follow_the_server(env, mail_user, dovecot, relay):
    """GIVEN a synced INBOX WHEN on the server one message is read, one moved to Archive, one deleted and one arrives
    THEN the next sync mirrors each change, keeping the moved message's identity."""
    ids = [f"<m{i}@example.org>" for i in range(4)]
    for mid in ids[:3]:
        dovecot.deliver(mail_user.name, message(to=mail_user.address, msgid=mid))
    account_id = connect_account(mail_user, dovecot, relay)
    sync.sync_account(account_id=account_id)
    first = _emails(account_id)
    assert not any(e.is_read for e in first.values())

    imap = mail_user.imap()
    imap.select("INBOX")
    imap.uid("STORE", "1", "+FLAGS", "(\\Seen)")
    assert imap.uid("MOVE", "2", "Archive")[0] == "OK"
    imap.uid("STORE", "3", "+FLAGS", "(\\Deleted)")
    imap.expunge()
    imap.logout()
    dovecot.deliver(mail_user.name, message(to=mail_user.address, msgid=ids[3]))

    result = sync.sync_account(account_id=account_id)
    after = _emails(account_id)
    assert result.new == 1
    assert after[ids[0]].is_read and after[ids[0]].folder_role == "inbox"
    assert after[ids[1]].id == first[ids[1]].id and after[ids[1]].folder_role == "archive"
    assert after[ids[2]].folder_role is None  # gone from every synced folder
    assert after[ids[3]].folder_role == "inbox"
    with session_scope() as db:
        locs = db.exec(select(EmailLocation).where(EmailLocation.email_id == first[ids[1]].id)).all()
    assert len(locs) == 1


def test_same_message_in_two_folders_is_one_email(env, mail_user, dovecot, relay):
    """GIVEN one Message-ID in INBOX and in Archive WHEN synced THEN one email with two locations, shown in the inbox."""
    raw = message(to=mail_user.address, msgid="<twice@example.org>")
    dovecot.deliver(mail_user.name, raw)
    dovecot.deliver(f"{mail_user.name}+Archive", raw)
    account_id = connect_account(mail_user, dovecot, relay)
    sync.sync_account(account_id=account_id)
    emails = _emails(account_id)
    assert list(emails) == ["<twice@example.org>"] and emails["<twice@example.org>"].folder_role == "inbox"
    with session_scope() as db:
        assert len(db.exec(select(EmailLocation).where(EmailLocation.account_id == account_id)).all()) == 2


def test_uidvalidity_change_rematches_by_message_id(env, mail_user, dovecot, relay):
    """GIVEN a synced INBOX WHEN the server resets its UIDVALIDITY (index lost) THEN the next sync re-matches every
    message by Message-ID: same emails, new UIDs, nothing duplicated or re-downloaded."""
    for i in range(3):
        dovecot.deliver(mail_user.name, message(to=mail_user.address, msgid=f"<v{i}@example.org>"))
    account_id = connect_account(mail_user, dovecot, relay)
    sync.sync_account(account_id=account_id)
    before = _emails(account_id)
    with session_scope() as db:
        old_validity = db.exec(select(MailFolder).where(MailFolder.account_id == account_id,
                                                        MailFolder.name == "INBOX")).one().uidvalidity
    # Dovecot takes the clock's second as a new UIDVALIDITY: reset the index until the server really
    # reports a different value (a busy machine can land two resets in one second).
    import time

    maildir = dovecot.maildir(mail_user.name)
    for _ in range(6):
        time.sleep(1.1)
        for f in maildir.glob("dovecot*"):
            if f.is_file():
                f.unlink()
        conn = mail_user.imap()
        conn.select("INBOX", readonly=True)
        now_validity = int(conn.untagged_responses["UIDVALIDITY"][-1])
        conn.logout()
        if now_validity != old_validity:
            break
    result = sync.sync_account(account_id=account_id)
    after = _emails(account_id)
    with session_scope() as db:
        folder = db.exec(select(MailFolder).where(MailFolder.account_id == account_id, MailFolder.name == "INBOX")).one()
        locs = db.exec(select(EmailLocation).where(EmailLocation.folder_id == folder.id)).all()
    assert folder.uidvalidity != old_validity
    assert result.new == 0 and result.located == 3
    assert {k: v.id for k, v in after.items()} == {k: v.id for k, v in before.items()}
    assert {l.uidvalidity for l in locs} == {folder.uidvalidity} and len(locs) == 3


def test_condstore_is_used_when_offered(env, mail_user, dovecot, relay):
    """GIVEN Dovecot (CONDSTORE) WHEN synced THEN the folder's HIGHESTMODSEQ is kept for the next delta."""
    dovecot.deliver(mail_user.name, message(to=mail_user.address))
    account_id = connect_account(mail_user, dovecot, relay)
    sync.sync_account(account_id=account_id)
    with session_scope() as db:
        inbox = db.exec(select(MailFolder).where(MailFolder.account_id == account_id, MailFolder.name == "INBOX")).one()
    assert inbox.highest_modseq and inbox.last_uid == 1


def test_periodic_job_syncs_every_active_account(env, make_mail_user, dovecot, relay, live_jobs):  # noqa: ANN001
    """GIVEN two active accounts and a paused one WHEN the periodic sync_all job runs THEN one sync job per active
    account runs (in-process queue) and the paused account is left alone."""
    from openfyxer import jobs
    from openfyxer.models.account import EmailAccount
    from workers import tasks

    users = [make_mail_user("p") for _ in range(3)]
    ids = []
    for u in users:
        dovecot.deliver(u.name, message(to=u.address))
        ids.append(connect_account(u, dovecot, relay))
    with session_scope() as db:
        db.get(EmailAccount, ids[2]).is_active = False
    assert tasks.sync_all() == 2
    assert jobs.local_queue().join(60)
    assert [len(_emails(i)) for i in ids] == [1, 1, 0]
    assert jobs.status(jobs.job_id_for("sync_account", str(ids[0]))) == "finished"
