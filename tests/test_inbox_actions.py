"""Working the inbox (issue 17): archive, delete, star, done, snooze and undo, shown at once and mirrored
to a real Dovecot, whose own state (what another mail client sees) is read back over IMAP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.services.mail import emails, inbox, sync
from tests.conftest import apply_env
from tests.helpers import bearer, held_jobs, signed_up
from tests.mailhelpers import connect_account, folder_contents, message


@pytest.fixture
def env(monkeypatch, dovecot):  # noqa: ANN001
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path))


def _mailbox(mail_user, dovecot, relay, subjects: list[str]) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:  # noqa: ANN001
    account_id = connect_account(mail_user, dovecot, relay)
    for s in subjects:
        dovecot.deliver(mail_user.name, message(to=mail_user.address, subject=s))
    _sync(account_id)
    with session_scope() as db:
        rows = db.exec(select(Email.subject, Email.id).where(Email.account_id == account_id)).all()
    return account_id, dict(rows)


def _sync(account_id: uuid.UUID) -> None:
    with held_jobs():  # sorting and drafting are not what is tested here
        sync.sync_account(account_id=account_id)


def _owner(account_id: uuid.UUID) -> User:
    from openfyxer.models.account import EmailAccount

    with session_scope() as db:
        user = db.get(User, db.get(EmailAccount, account_id).user_id)
        db.expunge(user)
        return user


def _act(user: User, ids: list[uuid.UUID], action: str, until: datetime | None = None) -> tuple[str, list]:
    with held_jobs() as declared, session_scope() as db:
        _, token = inbox.act(db, user=user, email_ids=ids, action=action, until=until)
    return token, declared


def _row(email_id: uuid.UUID) -> Email:
    with session_scope() as db:
        e = db.get(Email, email_id)
        db.expunge(e)
        return e


def _mirror(declared: list) -> list[str]:
    """Run the mirror jobs the action declared, as a worker would."""
    return [inbox.mirror(email_id=uuid.UUID(d.args[0])) for d in declared if d.name == "mirror_email"]


def test_archive_delete_and_star_show_at_once_and_reach_thefolder_contents(env, mail_user, dovecot, relay, sqlite_url):
    """GIVEN three synced messages WHEN one is archived, one deleted and one starred THEN each shows at once
    here (the inbox list no longer holds the first two), the server then holds them in Archive, in Trash
    and flagged in INBOX, and a sync afterwards agrees without a second copy of anything."""
    account_id, ids = _mailbox(mail_user, dovecot, relay, ["Quarterly report", "Lunch offer", "Server down"])
    user = _owner(account_id)
    _, archived = _act(user, [ids["Quarterly report"]], "archive")
    _, trashed = _act(user, [ids["Lunch offer"]], "trash")
    _, starred = _act(user, [ids["Server down"]], "star")
    with session_scope() as db:
        shown, total = emails.list_emails(db, user=user)
        assert [e.subject for e in shown] == ["Server down"] and total == 1 and shown[0].starred
        assert _row(ids["Quarterly report"]).done_at is not None  # archived mail needs nothing more
    assert [d.name for d in archived + trashed + starred] == ["mirror_email"] * 3
    assert _mirror(archived) == ["moved"] and _mirror(trashed) == ["moved"] and _mirror(starred) == ["flagged"]
    assert set(folder_contents(mail_user, "INBOX")) == {"Server down"}
    assert "\\Flagged" in folder_contents(mail_user, "INBOX")["Server down"]
    assert set(folder_contents(mail_user, "Archive")) == {"Quarterly report"}
    assert set(folder_contents(mail_user, "Trash")) == {"Lunch offer"}
    _sync(account_id)
    with session_scope() as db:
        rows = db.exec(select(Email.subject, Email.folder_role, Email.starred, Email.mirror_pending_at)
                       .where(Email.account_id == account_id).order_by(Email.subject)).all()
    assert rows == [("Lunch offer", "trash", False, None), ("Quarterly report", "archive", False, None),
                    ("Server down", "inbox", True, None)]


def test_undo_puts_messages_back_here_and_on_thefolder_contents(env, mail_user, dovecot, relay, sqlite_url):
    """GIVEN two messages archived together and mirrored WHEN the action is undone THEN both are back in
    the inbox as they were (unread, not done), on the server too, though no sync has seen where the first
    mirror put them; the token works once only."""
    account_id, ids = _mailbox(mail_user, dovecot, relay, ["First", "Second"])
    user = _owner(account_id)
    token, declared = _act(user, [ids["First"], ids["Second"]], "archive")
    _mirror(declared)
    assert set(folder_contents(mail_user, "Archive")) == {"First", "Second"}
    with held_jobs() as again, session_scope() as db:  # no sync between: the mirror finds the new copies
        back = inbox.undo(db, user=user, token=token)
        assert {e.folder_role for e in back} == {"inbox"} and all(e.done_at is None and not e.is_read for e in back)
    assert _mirror(again) == ["moved", "moved"]
    assert set(folder_contents(mail_user, "INBOX")) == {"First", "Second"} and folder_contents(mail_user, "Archive") == {}
    with session_scope() as db, pytest.raises(Exception, match="nothing to undo"):
        inbox.undo(db, user=user, token=token)


def test_snooze_hides_then_returns_as_new_on_a_moved_clock(env, mail_user, dovecot, relay, sqlite_url):
    """GIVEN a read message snoozed for ten hours WHEN a sync runs meanwhile THEN it stays
    snoozed (in the server's Snoozed folder, out of the inbox list); WHEN the clock passes that time THEN
    it is back in the inbox, unread, here and on the server, and a sync keeps one copy of it."""
    account_id, ids = _mailbox(mail_user, dovecot, relay, ["Contract draft", "Other"])
    user = _owner(account_id)
    contract = ids["Contract draft"]
    _act(user, [contract], "read")
    with pytest.raises(Exception, match="coming year"):
        _act(user, [contract], "snooze", datetime.now(UTC) + timedelta(days=400))
    until = datetime.now(UTC) + timedelta(hours=10)
    _, declared = _act(user, [contract], "snooze", until)
    _mirror(declared)
    assert set(folder_contents(mail_user, "INBOX")) == {"Other"} and set(folder_contents(mail_user, "Snoozed")) == {"Contract draft"}
    _sync(account_id)
    e = _row(contract)
    assert e.folder_role == "snoozed" and e.snoozed_until == until and e.is_read
    with session_scope() as db:
        assert [x.subject for x in emails.list_emails(db, user=user)[0]] == ["Other"]
        assert inbox.wake_snoozed(db, now=until - timedelta(minutes=1)) == 0
    with held_jobs() as woke, session_scope() as db:
        assert inbox.wake_snoozed(db, now=until + timedelta(seconds=30)) == 1
    e = _row(contract)
    assert (e.folder_role, e.is_read, e.snoozed_until) == ("inbox", False, None)
    assert _mirror(woke) == ["moved"]
    assert "\\Seen" not in folder_contents(mail_user, "INBOX")["Contract draft"] and folder_contents(mail_user, "Snoozed") == {}
    _sync(account_id)
    with session_scope() as db:
        rows = db.exec(select(Email.folder_role, Email.is_read).where(Email.account_id == account_id,
                                                                      Email.subject == "Contract draft")).all()
    assert rows == [("inbox", False)]


def test_a_sync_keeps_a_change_not_yet_mirrored_and_later_takes_the_servers(env, mail_user, dovecot, relay,
                                                                             sqlite_url):
    """GIVEN a message archived here whose mirror has not run WHEN a sync runs THEN it stays archived here;
    GIVEN another client then moves a message back to INBOX after the mirror WHEN a sync runs THEN the
    server's state is taken."""
    account_id, ids = _mailbox(mail_user, dovecot, relay, ["Invoice 44"])
    user = _owner(account_id)
    _, declared = _act(user, [ids["Invoice 44"]], "archive")
    _sync(account_id)  # the server still has it in INBOX
    assert _row(ids["Invoice 44"]).folder_role == "archive"
    _mirror(declared)
    _sync(account_id)
    conn = mail_user.imap()
    try:  # another client moves it back
        conn.select('"Archive"')
        assert conn.uid("MOVE", "1:*", "INBOX")[0] == "OK"
    finally:
        conn.logout()
    _sync(account_id)
    assert _row(ids["Invoice 44"]).folder_role == "inbox"


def test_the_api_acts_on_the_callers_mail_only_and_refuses_bad_requests(env, mail_user, dovecot, relay, client):
    """GIVEN a user with synced mail and another user WHEN they act through the API THEN the owner's action
    is applied and mirrored (the app's jobs run), a stranger's is a 404, a snooze without a zone or an
    unknown action is a 422, and done hides the message from the to-reply lists without moving it."""
    account_id, ids = _mailbox(mail_user, dovecot, relay, ["Please approve", "Hello"])
    user = _owner(account_id)
    from tests.helpers import login

    tokens = login(client, user.email, "correct horse battery")
    client.cookies.clear()
    h = bearer(tokens)
    r = client.post("/api/v1/emails/actions", headers=h, json={"email_ids": [str(ids["Hello"])], "action": "star"})
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["starred"] and r.json()["undo_token"]
    stranger = bearer(signed_up(client, "eve@example.com"))
    r = client.post("/api/v1/emails/actions", headers=stranger,
                    json={"email_ids": [str(ids["Hello"])], "action": "archive"})
    assert r.status_code == 404
    for bad in ({"action": "snooze", "until": "2031-01-01T08:00:00"}, {"action": "explode"}):
        r = client.post("/api/v1/emails/actions", headers=h, json={"email_ids": [str(ids["Hello"])], **bad})
        assert r.status_code == 422, bad
    r = client.post("/api/v1/emails/actions", headers=h,
                    json={"email_ids": [str(ids["Please approve"])], "action": "done"})
    assert r.status_code == 200 and r.json()["items"][0]["folder_role"] == "inbox"
    with session_scope() as db:
        waiting = emails.list_emails(db, user=user, awaiting_reply=True)[0]
    assert [e.subject for e in waiting] == ["Hello"]
    assert client.get("/api/v1/emails?starred=true", headers=h).json()["total"] == 1
    from tests.helpers import until

    assert until(lambda: "\\Flagged" in folder_contents(mail_user, "INBOX").get("Hello", set()), 10)


def test_snooze_choices_end_on_the_users_clock():
    """GIVEN Thursday 3 December 2026, 22:30 in Bucharest (20:30 UTC) WHEN a snooze is chosen by name THEN
    it ends three hours on (on the hour), tomorrow 08:00, Saturday 09:00 or Monday 08:00, Bucharest time."""
    now = datetime(2026, 12, 3, 20, 30, tzinfo=UTC)
    zone = "Europe/Bucharest"
    assert inbox.snooze_time("later", zone, now) == datetime(2026, 12, 3, 23, 0, tzinfo=UTC)
    assert inbox.snooze_time("tomorrow", zone, now) == datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    assert inbox.snooze_time("weekend", zone, now) == datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
    assert inbox.snooze_time("next_week", zone, now) == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert inbox.snooze_time("weekend", zone, datetime(2026, 12, 5, 10, 0, tzinfo=UTC)) == \
        datetime(2026, 12, 12, 7, 0, tzinfo=UTC)  # on a Saturday: the next one
    with pytest.raises(Exception, match="unknown snooze"):
        inbox.snooze_time("someday", zone, now)


def test_home_lists_what_still_wants_an_answer_whatever_was_read(env, mail_user, dovecot, relay, sqlite_url):
    """GIVEN two urgent messages, opened (read) WHEN the lists Home shows are read THEN both are there; WHEN
    one is answered from another mail client (its reply synced from Sent) and the other marked done THEN
    neither is, though both stay in the inbox."""
    from openfyxer.models.email import Email as EmailRow

    account_id, ids = _mailbox(mail_user, dovecot, relay, ["Server down, approve by noon", "Sign the order"])
    user = _owner(account_id)
    with session_scope() as db:
        for e in db.exec(select(EmailRow).where(EmailRow.account_id == account_id)).all():
            e.category, e.is_read = "urgent", True
            db.add(e)
    _act(user, [ids["Sign the order"]], "read")

    def home() -> set[str]:
        with session_scope() as db:
            return {e.subject for e in emails.list_emails(db, user=user, category="urgent", awaiting_reply=True)[0]}

    assert home() == {"Server down, approve by noon", "Sign the order"}
    server_down = _row(ids["Server down, approve by noon"])
    conn = mail_user.imap()
    try:  # the user answers from their phone: the reply lands in Sent
        reply = message(to="bob@example.org", sender=mail_user.address, subject="Re: Server down, approve by noon",
                        in_reply_to=server_down.message_id, references=[server_down.message_id],
                        when=datetime.now(UTC))
        assert conn.append('"Sent"', "(\\Seen)", None, reply)[0] == "OK"
    finally:
        conn.logout()
    _sync(account_id)
    assert home() == {"Sign the order"}
    _act(user, [ids["Sign the order"]], "done")
    assert home() == set()
    with session_scope() as db:
        assert emails.list_emails(db, user=user, category="urgent")[1] == 2


def test_a_reply_draft_is_withdrawn_with_its_email_and_back_with_undo(sqlite_url):
    """GIVEN an email with a pending reply draft WHEN the email is archived THEN the draft is withdrawn (kept,
    not counted as rejected by the user); WHEN the archive is undone THEN the draft is pending again; WHEN the
    email is corrected to FYI THEN it is withdrawn again."""
    from openfyxer.models.draft import WITHDRAWN, Draft, DraftCreate
    from openfyxer.services.mail import drafts
    from tests.assistanthelpers import add_email, make_user_account

    with session_scope() as db:
        user, account = make_user_account(db)
        email = add_email(db, account, subject="Can we meet?")
        draft = drafts.create(db, user=user, data=DraftCreate(account_id=account.id, email_id=email.id,
                                                              content="Yes, Tuesday works."))
        db.expunge(user)
        email_id, draft_id = email.id, draft.id
    token, _ = _act(user, [email_id], "archive")
    with session_scope() as db:
        d = db.get(Draft, draft_id)
        assert (d.status, d.reject_reason) == ("rejected", WITHDRAWN)
        assert drafts.quality(db, user=user).rejected == 0
    with held_jobs(), session_scope() as db:
        inbox.undo(db, user=user, token=token)
    with session_scope() as db:
        assert db.get(Draft, draft_id).status == "pending"
    from openfyxer.models.email_api import EmailUpdate

    with held_jobs(), session_scope() as db:  # corrected to FYI: no reply wanted either
        emails.update_email(db, user=user, email_id=email_id, data=EmailUpdate(category="fyi"))
    with session_scope() as db:
        assert db.get(Draft, draft_id).reject_reason == WITHDRAWN
