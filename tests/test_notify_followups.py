"""Follow-ups (sent mail awaiting a reply), the daily digest, and notifications by email through the
user's own account on the suite's real SMTP relay and Dovecot. The clock is passed in, never slept."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.draft import Draft
from openfyxer.models.notify import ChannelCreate, FollowUp, NotifyDelivery, NotifyPrefs
from openfyxer.models.user import User
from openfyxer.services.notify import channels, deliver, digest, events, followups
from tests.assistanthelpers import add_email, make_user_account
from tests.notify_receiver import Receiver

THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def _setup(receiver: Receiver, events_wanted: list[str]) -> tuple[uuid.UUID, uuid.UUID]:
    with session_scope() as s:
        user, account = make_user_account(s)
        channels.create(s, user_id=user.id, data=ChannelCreate(kind="webhook", target={"url": receiver.url()},
                                                               events=events_wanted))
        return user.id, account.id


def _sent(account_id: uuid.UUID, body: str, *, thread: str, at: datetime = THURSDAY,
          to: str = "dan.ionescu@client.example", subject: str = "Signed contract") -> uuid.UUID:
    from openfyxer.models.account import EmailAccount

    with session_scope() as s:
        account = s.get(EmailAccount, account_id)
        e = add_email(s, account, subject=subject, body=body, sender=account.email_address, to=[to],
                      thread=thread, received_at=at, folder_role="sent", category=None)
        user = s.get(User, account.user_id)
        followups.track_sent(s, user=user, emails=[e], now=at + timedelta(minutes=5))
        return e.id


def _remind(at: datetime) -> int:
    with session_scope() as s:
        return followups.remind_due(s, now=at)


def test_sent_mail_that_asks_is_followed_up_after_three_business_days_with_a_nudge_draft(sqlite_url, receiver,
                                                                                        monkeypatch):
    """GIVEN mail sent on Thursday that asks for something, and a thank-you that asks nothing WHEN no
    reply comes THEN on Tuesday (three business days) the question is due: notified once, with a
    nudge draft to the recipient in the thread, pending the user's approval."""
    user_id, account_id = _setup(receiver, ["follow_up"])
    asked = _sent(account_id, "Hi Dan,\n\nCould you send me the signed contract by Friday?\n\nThanks,\nAna",
                  thread="<t1@example>")
    _sent(account_id, "Thanks, received it.\n\nAna", thread="<t2@example>", subject="Invoice")
    with session_scope() as s:
        (f,) = s.exec(select(FollowUp)).all()
        assert f.email_id == asked and f.due_at == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert _remind(datetime(2026, 12, 7, 23, 0, tzinfo=UTC)) == 0
    assert _remind(datetime(2026, 12, 8, 10, 1, tzinfo=UTC)) == 1
    assert _remind(datetime(2026, 12, 9, 10, 1, tzinfo=UTC)) == 0  # due once, not every run
    with session_scope() as s:
        f = s.exec(select(FollowUp)).one()
        draft = s.get(Draft, f.nudge_draft_id)
        (delivery,) = s.exec(select(NotifyDelivery)).all()
        user = s.get(User, user_id)
        listed = [x.id for x in followups.due_now(s, user=user, now=datetime(2026, 12, 9, tzinfo=UTC))]
    assert f.state == "due" and listed == [f.id]
    assert draft.status == "pending" and draft.to_addresses == ["dan.ionescu@client.example"]
    assert draft.in_reply_to and draft.subject == "Re: Signed contract"
    assert draft.content.startswith("Hi Dan,") and "Signed contract" in draft.content
    assert delivery.event == "follow_up"
    monkeypatch.setattr(deliver, "_now", lambda: datetime(2026, 12, 8, 10, 2, tzinfo=UTC))  # the outbox's clock
    assert deliver.deliver(delivery_id=delivery.id) == "delivered"
    body = json.loads(receiver.wait_for(1)[0]["body"])
    assert body["type"] == "follow_up.due" and body["data"]["subject"] == "Signed contract"


def test_a_reply_or_a_later_message_ends_the_watch_and_snooze_dismiss_move_it(sqlite_url, receiver):
    """GIVEN three questions sent WHEN the first is answered, the user writes again in the second's
    thread, and the third is snoozed then dismissed THEN no reminder, no nudge, no notification."""
    user_id, account_id = _setup(receiver, ["follow_up"])
    _sent(account_id, "Can we meet next week?", thread="<a@x>")
    _sent(account_id, "Did you get the file?", thread="<b@x>")
    _sent(account_id, "Any news on the offer?", thread="<c@x>")
    from openfyxer.models.account import EmailAccount

    with session_scope() as s:
        account, user = s.get(EmailAccount, account_id), s.get(User, user_id)
        answer = add_email(s, account, subject="Re: meet", body="Yes, Tuesday.", sender="dan.ionescu@client.example",
                           thread="<a@x>", received_at=THURSDAY + timedelta(days=1))
        assert followups.replies_arrived(s, user=user, emails=[answer]) == 1
    _sent(account_id, "Sorry, attaching it again: did it come through?", thread="<b@x>",
          at=THURSDAY + timedelta(days=1))
    with session_scope() as s:
        user = s.get(User, user_id)
        states = sorted((f.thread_id, f.state) for f in s.exec(select(FollowUp)).all())
        third = s.exec(select(FollowUp).where(FollowUp.thread_id == "<c@x>")).one()
        snoozed = followups.snooze(s, user=user, follow_up_id=third.id, days=5, now=THURSDAY + timedelta(days=4))
        assert snoozed.due_at == datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
    assert states == [("<a@x>", "replied"), ("<b@x>", "superseded"), ("<b@x>", "waiting"), ("<c@x>", "waiting")]
    assert _remind(datetime(2026, 12, 8, 10, 1, tzinfo=UTC)) == 0  # the snoozed one waits; <b@x>'s resend is not due
    with session_scope() as s:
        followups.dismiss(s, user=s.get(User, user_id), follow_up_id=third.id)
    assert _remind(datetime(2026, 12, 20, tzinfo=UTC)) == 1  # only the resend in <b@x>
    with session_scope() as s:
        assert s.exec(select(FollowUp.state).where(FollowUp.thread_id == "<c@x>")).one() == "dismissed"


def test_the_digest_comes_once_a_day_at_the_users_local_time(sqlite_url, receiver):
    """GIVEN a user in Bucharest with the digest at 08:00, urgent and to-answer mail and a pending
    draft WHEN the periodic job runs at 07:59, 08:01 and 09:00 local, and the next day THEN one digest
    a day, from 08:00, listing what waits."""
    user_id, account_id = _setup(receiver, ["digest"])
    from openfyxer.models.account import EmailAccount

    now = datetime(2026, 12, 3, 6, 1, tzinfo=UTC)  # 08:01 in Bucharest
    with session_scope() as s:
        assert digest.send_due(s, now=now) == 0  # nothing waits: no digest to say so
    with session_scope() as s:
        s.get(User, user_id).timezone = "Europe/Bucharest"
        account = s.get(EmailAccount, account_id)
        add_email(s, account, subject="Server down", category="urgent", received_at=now - timedelta(hours=3))
        add_email(s, account, subject="Lunch on Friday?", category="to_respond", received_at=now - timedelta(hours=5))
        s.add(Draft(user_id=user_id, account_id=account_id, content="Hi", to_addresses=["x@example.org"]))
    with session_scope() as s:
        assert digest.send_due(s, now=now - timedelta(minutes=2)) == 0
        assert digest.send_due(s, now=now) == 1
        assert digest.send_due(s, now=now + timedelta(hours=1)) == 0
        assert digest.send_due(s, now=now + timedelta(days=1)) == 1
        first = s.exec(select(NotifyDelivery).order_by(NotifyDelivery.created_at)).first()
    assert first.event_key == "digest:2026-12-03"
    data = first.payload
    assert [m["subject"] for m in data["urgent"]] == ["Server down"]
    assert [m["subject"] for m in data["to_respond"]] == ["Lunch on Friday?"] and data["drafts_total"] == 1
    with session_scope() as s:
        events.save_prefs(s, user_id=user_id, data=NotifyPrefs(digest_at=None))
        assert digest.send_due(s, now=now + timedelta(days=2)) == 0  # turned off


def test_a_notification_by_email_goes_through_the_users_account_as_text_and_html(
        client, monkeypatch, dovecot, relay, make_mail_user, database_url):
    """GIVEN a connected account and an email channel WHEN the user presses test THEN the relay gets one
    message from their address to the notification address, with a text and an HTML part."""
    from openfyxer import jobs
    from tests.conftest import apply_env
    from tests.helpers import bearer, signed_up
    from tests.mailhelpers import account_body

    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url)
    sender, phone = make_mail_user("s"), make_mail_user("n")
    h = bearer(signed_up(client))
    assert client.post("/api/v1/accounts", json=account_body(sender, dovecot, relay), headers=h).status_code == 201
    assert jobs.local_queue().join(60)
    channel = client.post("/api/v1/notifications/channels", headers=h,
                          json={"kind": "email", "target": {"to": phone.address}}).json()
    assert client.post("/api/v1/notifications/test", headers=h, json={"channel_id": channel["id"]}).status_code == 202
    assert jobs.local_queue().join(60)
    (mail,) = [d for d in relay.delivered if phone.address in d[1]]
    raw = mail[2]
    assert sender.address.encode() in raw and b"Auto-Submitted: auto-generated" in raw
    assert b"text/plain" in raw and b"text/html" in raw
    log = client.get("/api/v1/notifications/deliveries", headers=h).json()
    assert [d["state"] for d in log] == ["delivered"]
