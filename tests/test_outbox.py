"""Sending approved drafts exactly once, with faults injected at every step of the SMTP exchange."""

from __future__ import annotations

import email
import imaplib
import time

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.account import EmailAccount
from openfyxer.models.draft import Draft, DraftCreate
from openfyxer.models.user import User
from openfyxer.services.mail import drafts, outbox, sync
from tests.conftest import apply_env
from tests.mailhelpers import connect_account, message


@pytest.fixture
def env(monkeypatch, dovecot, database_url):
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url)


def _inbox_count(user, msgid: str) -> int:
    """How many copies of msgid reached user's INBOX (read back over IMAP)."""
    conn = user.imap()
    try:
        conn.select("INBOX", readonly=True)
        typ, data = conn.uid("SEARCH", "HEADER", "Message-ID", f'"{msgid}"')
        return len(data[0].split())
    finally:
        conn.logout()


def _folder_ids(user, folder: str) -> list[bytes]:
    conn = user.imap()
    try:
        conn.select(folder, readonly=True)
        typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        return [item[1] for item in data if isinstance(item, tuple)]
    finally:
        conn.logout()


def _draft(account_id, to: str, *, reply_to_subject: str | None = None, reply=None) -> Draft:  # noqa: ANN001
    with session_scope() as db:
        account = db.get(EmailAccount, account_id)
        user = db.get(User, account.user_id)
        d = drafts.create(db, user=user, data=DraftCreate(account_id=account_id, email_id=reply, to=[] if reply else [to],
                                                          subject=None if reply else (reply_to_subject or "Hello"), content="Hi,\nyes.\nAna"))
        return d


def _approve(draft_id) -> Draft:
    with session_scope() as db:
        d = db.get(Draft, draft_id)
        return outbox.approve(db, user=db.get(User, d.user_id), draft_id=draft_id)


def _state(draft_id) -> Draft:
    with session_scope() as db:
        return db.get(Draft, draft_id)


@pytest.fixture
def pair(env, make_mail_user, dovecot, relay):
    """A sender account (synced) and a recipient mailbox."""
    sender, recipient = make_mail_user("s"), make_mail_user("r")
    return connect_account(sender, dovecot, relay), sender, recipient


def test_a_reply_is_sent_threaded_and_filed_in_sent(pair, dovecot, relay):
    """GIVEN a synced message and a reply draft WHEN approved and delivered THEN the recipient gets it once with
    In-Reply-To and References, a copy lands in the sender's Sent, and the draft is sent."""
    account_id, sender, recipient = pair
    dovecot.deliver(sender.name, message(to=sender.address, sender=recipient.address, subject="Lunch?",
                                         msgid="<ask@example.org>"))
    sync.sync_account(account_id=account_id)
    with session_scope() as db:
        from openfyxer.models.email import Email

        original = db.exec(select(Email).where(Email.message_id == "<ask@example.org>")).one()
    d = _draft(account_id, recipient.address, reply=original.id)
    assert d.to_addresses == [recipient.address] and d.subject == "Re: Lunch?"
    approved = _approve(d.id)
    assert outbox.deliver(draft_id=d.id) == "sent"
    assert _inbox_count(recipient, approved.message_id) == 1
    conn = recipient.imap()
    conn.select("INBOX", readonly=True)
    raw = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")[1][0][1]
    conn.logout()
    got = email.message_from_bytes(raw)
    assert got["In-Reply-To"] == "<ask@example.org>" and "<ask@example.org>" in got["References"]
    assert got["Subject"] == "Re: Lunch?"
    assert any(approved.message_id.encode() in h for h in _folder_ids(sender, "Sent"))
    state = _state(d.id)
    assert state.status == "sent" and state.sent_at and state.send_attempts == 1
    # Delivering again does nothing: the draft is no longer approved.
    assert outbox.deliver(draft_id=d.id) == "skipped"
    assert _inbox_count(recipient, approved.message_id) == 1


def test_a_forward_carries_the_message_and_its_attachment_to_whom_the_user_names(pair, dovecot, relay):
    """GIVEN a synced message with a PDF attached WHEN the user forwards it THEN the draft names nobody and
    cannot be sent until a recipient is added; then the recipient gets "Fwd: ..." with the forwarded text
    and the same PDF, once, and no In-Reply-To (a forward starts its own conversation)."""
    from openfyxer.core.errors import Conflict
    from openfyxer.models.draft import DraftUpdate
    from openfyxer.models.email import Email
    from openfyxer.services.mail import forward

    account_id, sender, recipient = pair
    pdf = b"%PDF-1.4 the signed contract"
    dovecot.deliver(sender.name, message(to=sender.address, sender="Bob <bob@example.org>", subject="Contract",
                                         body="Signed copy attached.", attachment=("contract.pdf", pdf)))
    sync.sync_account(account_id=account_id)
    with session_scope() as db:
        original = db.exec(select(Email).where(Email.account_id == account_id, Email.subject == "Contract")).one()
        user = db.get(User, db.get(EmailAccount, account_id).user_id)
        d = forward.forward(db, user=user, email_id=original.id)
        assert d.to_addresses == [] and d.subject == "Fwd: Contract" and d.in_reply_to is None
        assert "Signed copy attached." in d.content and "From: Bob <bob@example.org>" in d.content
        with pytest.raises(Conflict, match="recipient"):
            outbox.approve(db, user=user, draft_id=d.id)
    with session_scope() as db:
        user = db.get(User, d.user_id)
        drafts.update(db, user=user, draft_id=d.id, data=DraftUpdate(to=[recipient.address],
                                                                     content="FYI, see below.\n" + d.content))
    approved = _approve(d.id)
    assert outbox.deliver(draft_id=d.id) == "sent"
    assert _inbox_count(recipient, approved.message_id) == 1
    conn = recipient.imap()
    conn.select("INBOX", readonly=True)
    raw = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")[1][0][1]
    conn.logout()
    got = email.message_from_bytes(raw)
    assert got["Subject"] == "Fwd: Contract" and got["In-Reply-To"] is None
    files = [(p.get_filename(), p.get_payload(decode=True)) for p in got.walk() if p.get_filename()]
    assert files == [("contract.pdf", pdf)]
    body = next(p for p in got.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert body.startswith("FYI, see below.") and "Signed copy attached." in body


def test_nothing_is_sent_without_approval(pair, relay):
    """GIVEN a pending draft WHEN the send job runs anyway THEN it is skipped and nothing is delivered."""
    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    assert outbox.deliver(draft_id=d.id) == "skipped"
    assert relay.delivered == [] and _state(d.id).status == "pending"


def test_undo_send_inside_the_window_sends_nothing_after_it_exactly_once(pair, relay, monkeypatch):
    """GIVEN a 3 s undo window WHEN a draft is approved and its send job starts at once THEN the job waits;
    undone inside the window, the draft is pending again and the job sends nothing; approved again and left,
    it is delivered once when the window closes, and undo is then refused."""
    import threading

    from openfyxer.core.errors import Conflict

    apply_env(monkeypatch, undo_send_seconds="3")
    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    approved = _approve(d.id)
    assert approved.next_attempt_at is not None
    outcome: list[str] = []
    job = threading.Thread(target=lambda: outcome.append(outbox.deliver(draft_id=d.id)))
    job.start()
    time.sleep(1.0)
    with session_scope() as db:
        back = outbox.unsend(db, user=db.get(User, d.user_id), draft_id=d.id)
        assert back.status == "pending" and back.approved_at is None
    job.join(10)
    assert outcome == ["skipped"] and relay.delivered == []
    time.sleep(3.0)
    assert relay.delivered == []
    _approve(d.id)
    started = time.monotonic()
    assert outbox.deliver(draft_id=d.id) == "sent" and time.monotonic() - started >= 2.0
    assert _inbox_count(recipient, _state(d.id).message_id) == 1
    with session_scope() as db, pytest.raises(Conflict, match="too late"):
        outbox.unsend(db, user=db.get(User, d.user_id), draft_id=d.id)


@pytest.mark.parametrize("fault, status_after", [
    ("connect", "approved"), ("rcpt_4xx", "approved"), ("data_4xx", "approved"),
])
def test_transient_failures_retry_and_deliver_once(pair, relay, fault, status_after):
    """GIVEN a fault before the message was accepted (connect, 4xx at RCPT or DATA) WHEN sending THEN nothing is
    delivered, the draft waits for a retry, and the retry delivers exactly one copy."""
    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id
    relay.fault = fault
    assert outbox.deliver(draft_id=d.id) == status_after
    state = _state(d.id)
    assert state.last_error and state.next_attempt_at and _inbox_count(recipient, msgid) == 0
    with session_scope() as db:  # time passes
        db.get(Draft, d.id).next_attempt_at = None
    assert outbox.deliver(draft_id=d.id) == "sent"
    assert _inbox_count(recipient, msgid) == 1 and _state(d.id).send_attempts == 2


@pytest.mark.parametrize("fault", ["rcpt_5xx", "data_5xx"])
def test_permanent_refusals_are_never_retried(pair, relay, fault):
    """GIVEN a 5xx at RCPT or DATA WHEN sending THEN the draft fails with the server's reason and is not retried."""
    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id
    relay.fault = fault
    assert outbox.deliver(draft_id=d.id) == "failed"
    state = _state(d.id)
    assert state.status == "failed" and "5" in state.last_error and _inbox_count(recipient, msgid) == 0
    assert outbox.deliver(draft_id=d.id) == "skipped"
    with session_scope() as db:
        assert d.id not in outbox.due(db)


def test_ambiguous_failure_checks_sent_and_never_delivers_twice(pair, relay):
    """GIVEN a provider that files sent mail, and a connection lost after DATA (the message was delivered)
    WHEN the outbox tries again THEN it finds the Message-ID in Sent and marks the draft sent without resending."""
    account_id, sender, recipient = pair
    with session_scope() as db:
        db.get(EmailAccount, account_id).smtp_saves_sent = True
    relay.save_sent = True
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id
    relay.fault = "after_data"
    assert outbox.deliver(draft_id=d.id) == "approved"
    state = _state(d.id)
    assert state.delivery_uncertain and _inbox_count(recipient, msgid) == 1
    with session_scope() as db:
        db.get(Draft, d.id).next_attempt_at = None
    assert outbox.deliver(draft_id=d.id) == "sent"
    assert _inbox_count(recipient, msgid) == 1 and len(relay.delivered) == 1


def test_ambiguous_failure_without_a_sent_copy_is_not_resent_blindly(pair, relay):
    """GIVEN a provider that does not file sent mail, and a connection lost after DATA
    WHEN the outbox tries again THEN it cannot prove delivery either way, so it fails the draft for the user
    instead of risking a second copy."""
    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id
    relay.fault = "after_data"
    assert outbox.deliver(draft_id=d.id) == "approved"
    with session_scope() as db:
        db.get(Draft, d.id).next_attempt_at = None
    assert outbox.deliver(draft_id=d.id) == "failed"
    assert "uncertain" in _state(d.id).last_error and _inbox_count(recipient, msgid) == 1


def test_lost_connection_after_the_final_reply_is_a_success(pair, relay):
    """GIVEN the server accepted (250) then dropped the connection WHEN sending THEN the draft is sent once."""
    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id
    relay.fault = "after_reply"
    assert outbox.deliver(draft_id=d.id) == "sent"
    assert _inbox_count(recipient, msgid) == 1


def test_a_worker_killed_mid_send_is_recovered_without_a_second_copy(pair, relay):
    """GIVEN a draft left in 'sending' by a worker that died after the server accepted the message (provider files
    sent mail) WHEN the periodic recovery runs THEN the draft is found in Sent and marked sent, not resent."""
    from datetime import UTC, datetime, timedelta

    account_id, _, recipient = pair
    with session_scope() as db:
        db.get(EmailAccount, account_id).smtp_saves_sent = True
    relay.save_sent = True
    d = _draft(account_id, recipient.address)
    _approve(d.id)
    assert outbox.deliver(draft_id=d.id) == "sent"
    msgid = _state(d.id).message_id
    with session_scope() as db:  # as if the worker died before recording the result
        row = db.get(Draft, d.id)
        row.status, row.sent_at = "sending", None
        row.sending_started_at = datetime.now(UTC) - timedelta(hours=1)
    with session_scope() as db:
        assert d.id in outbox.due(db)
    assert outbox.deliver(draft_id=d.id) == "sent"
    assert _inbox_count(recipient, msgid) == 1


def test_two_workers_racing_send_once(pair, relay):
    """GIVEN one approved draft WHEN two workers run the send job at the same time THEN exactly one sends."""
    import threading

    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id
    results = []
    threads = [threading.Thread(target=lambda: results.append(outbox.deliver(draft_id=d.id))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["sent", "skipped"] and _inbox_count(recipient, msgid) == 1


def test_a_reject_that_lands_first_wins_over_a_stale_approval(pair, relay):
    """GIVEN a draft read as pending WHEN it is rejected before the approval is written (another tab, another
    device) THEN the approval is refused as a conflict, the draft stays rejected and nothing is sent."""
    from openfyxer.core.errors import Conflict

    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    read = outbox.get

    def read_then_rejected_elsewhere(session, **kw):  # noqa: ANN001, ANN003, ANN202
        draft = read(session, **kw)  # what the approving request read: pending
        # The other request's reject, on the table (not the ORM), so the object read above stays as read.
        table = Draft.__table__
        session.connection().execute(table.update().where(table.c.id == draft.id).values(status="rejected"))
        return draft

    with session_scope() as db:
        user = db.get(User, d.user_id)
        outbox.get = read_then_rejected_elsewhere
        try:
            with pytest.raises(Conflict) as refused:
                outbox.approve(db, user=user, draft_id=d.id)
        finally:
            outbox.get = read
    assert refused.value.code == "draft_locked" and _state(d.id).status == "rejected"
    assert outbox.deliver(draft_id=d.id) == "skipped" and relay.delivered == []


def test_a_failure_before_the_hand_over_returns_the_draft_to_the_user(pair, relay, monkeypatch):
    """GIVEN an approved draft WHEN the mailbox cannot even be opened (an expired sign-in) THEN the draft is not
    left in 'sending': it fails with the reason and nothing was sent; approved again, it goes out once."""
    from openfyxer.core.errors import OpenFyxerError

    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id

    def expired(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise OpenFyxerError("the provider refused the saved sign-in", code="oauth_refresh_failed")

    working = outbox.open_mailbox
    monkeypatch.setattr(outbox, "open_mailbox", expired)
    assert outbox.deliver(draft_id=d.id) == "failed"
    state = _state(d.id)
    assert state.status == "failed" and "refused the saved sign-in" in state.last_error
    assert not state.delivery_uncertain and relay.delivered == []
    monkeypatch.setattr(outbox, "open_mailbox", working)
    _approve(d.id)
    assert outbox.deliver(draft_id=d.id) == "sent" and _inbox_count(recipient, msgid) == 1


def test_an_unexpected_error_during_the_hand_over_is_an_uncertain_attempt(pair, relay, monkeypatch):
    """GIVEN an approved draft WHEN the send breaks with an error that is no SMTP answer THEN the draft waits for
    a retry marked uncertain (Sent is checked first), never stuck in 'sending'."""
    from openfyxer.integrations import mailbox as mailbox_module

    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    _approve(d.id)

    def broken(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("connection object vanished")

    for cls in (mailbox_module.ImapMailbox, mailbox_module.EwsMailbox):
        monkeypatch.setattr(cls, "send", broken)
    assert outbox.deliver(draft_id=d.id) == "approved"
    state = _state(d.id)
    assert state.status == "approved" and state.delivery_uncertain and "interrupted" in state.last_error


def test_an_uncertain_failure_is_sent_again_only_knowingly(pair, relay):
    """GIVEN a draft that failed with its delivery uncertain (no Sent copy to settle it) WHEN approved again as
    usual THEN it is refused with the reason (409 delivery_uncertain) and nothing is sent; WHEN the user approves it
    knowingly (resend) THEN it goes out without the Sent check: a second copy, the user's decision, in the audit."""
    from openfyxer.core.errors import Conflict
    from openfyxer.models.audit import AuditLog

    account_id, _, recipient = pair
    d = _draft(account_id, recipient.address)
    msgid = _approve(d.id).message_id
    relay.fault = "after_data"
    assert outbox.deliver(draft_id=d.id) == "approved"
    with session_scope() as db:
        db.get(Draft, d.id).next_attempt_at = None
    assert outbox.deliver(draft_id=d.id) == "failed" and _state(d.id).delivery_uncertain
    with pytest.raises(Conflict) as refused:
        _approve(d.id)
    assert refused.value.code == "delivery_uncertain" and _state(d.id).status == "failed"
    relay.fault = None
    with session_scope() as db:
        user = db.get(User, _state(d.id).user_id)
        again = outbox.approve(db, user=user, draft_id=d.id, resend=True)
        assert again.status == "approved" and not again.delivery_uncertain
    assert outbox.deliver(draft_id=d.id) == "sent" and _inbox_count(recipient, msgid) == 2
    with session_scope() as db:
        approvals = db.exec(select(AuditLog.details).where(AuditLog.action == "draft.approve",
                                                            AuditLog.entity_id == d.id)
                           .order_by(AuditLog.created_at)).all()
    assert [a.get("resend", False) for a in approvals] == [False, True]
