"""Notifications: channels, the outbox that delivers each event once per channel, retries, quiet
hours. Receivers are local HTTP servers (tests/notify_receiver.py) standing in for Slack, a
Twilio-compatible API and webhook endpoints; the clock the outbox reads is moved, never slept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.email import Email
from openfyxer.models.notify import ChannelCreate, NotifyDelivery, NotifyPrefs
from openfyxer.models.user import User
from openfyxer.services import settings as user_settings
from openfyxer.services.notify import channels, deliver, events, history
from tests.assistanthelpers import add_email, make_user_account
from tests.notify_receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def clock(monkeypatch):
    """The outbox's clock: real time plus `clock.ahead`, moved by the test."""

    class Clock:
        ahead = timedelta(0)

        def now(self) -> datetime:
            return datetime.now(UTC) + self.ahead

    c = Clock()
    monkeypatch.setattr(deliver, "_now", c.now)
    return c


def _user(subject: str = "Server down <!channel> & <https://evil.example|click>") -> tuple[uuid.UUID, uuid.UUID]:
    with session_scope() as s:
        user, account = make_user_account(s)
        email = add_email(s, account, subject=subject, sender="boss@example.org", category="urgent")
        email.triage_reason = "asks for an answer today"
        s.add(email)
        return user.id, email.id


def _channel(user_id: uuid.UUID, kind: str, target: dict, **extra):  # noqa: ANN202
    with session_scope() as s:
        return channels.create(s, user_id=user_id, data=ChannelCreate(kind=kind, target=target, **extra))


def _urgent(user_id: uuid.UUID, email_id: uuid.UUID, now: datetime | None = None) -> list[uuid.UUID]:
    with session_scope() as s:
        user, email = s.get(User, user_id), s.get(Email, email_id)
        if now is None:
            return [d.id for d in events.urgent_mail(s, user=user, email=email)]
        payload = {"email_id": str(email.id), "subject": email.subject, "sender": email.sender}
        return [d.id for d in events.raise_event(s, user=user, event="urgent", key=f"urgent:{email.id}",
                                                 payload=payload, now=now)]


def _row(delivery_id: uuid.UUID) -> NotifyDelivery:
    with session_scope() as s:
        row = s.get(NotifyDelivery, delivery_id)
        s.expunge(row)
        return row


def _due() -> int:
    with session_scope() as s:
        return deliver.deliver_due(s)


def test_urgent_mail_reaches_slack_once_with_the_senders_words_escaped(sqlite_url, receiver, declared_jobs):
    """GIVEN a Slack channel WHEN the same urgent mail is raised twice THEN one delivery, one job,
    one message, in which the subject cannot mention @channel or hide a link."""
    user_id, email_id = _user()
    _channel(user_id, "slack", {"url": receiver.url("/services/T0/B0/x")})
    first, again = _urgent(user_id, email_id), _urgent(user_id, email_id)
    assert len(first) == 1 and again == []
    assert [j.name for j in declared_jobs] == ["deliver_notification"]
    assert deliver.deliver(delivery_id=first[0]) == "delivered"
    assert deliver.deliver(delivery_id=first[0]) == "skipped"  # a second job for it sends nothing
    got = receiver.wait_for(1)
    assert len(got) == 1
    text = __import__("json").loads(got[0]["body"])["text"]
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text and "<https://evil" not in text
    assert "boss@example.org" in text and "asks for an answer today" in text and f"/email/{email_id}|" in text
    assert _row(first[0]).state == "delivered"


def test_a_webhook_is_signed_per_standard_webhooks_and_its_secret_is_shown_once(sqlite_url, receiver):
    """GIVEN a webhook channel WHEN an urgent mail is delivered THEN the receiver verifies the
    signature with the standardwebhooks library, and the secret is in the creating answer only."""
    user_id, email_id = _user()
    made = _channel(user_id, "webhook", {"url": receiver.url()})
    assert made.secret and made.secret.startswith("whsec_")
    with session_scope() as s:
        listed = [channels.public(c) for c in channels.list_channels(s, user_id=user_id)]
    assert listed[0].secret is None and "whsec" not in listed[0].model_dump_json()
    receiver.secret = made.secret
    (delivery,) = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    (got,) = receiver.wait_for(1)
    assert receiver.verified(got)
    assert got["headers"]["webhook-id"] == f"msg_{delivery.hex}"
    body = __import__("json").loads(got["body"])
    assert body["type"] == "email.urgent" and body["data"]["email_id"] == str(email_id)
    receiver.secret = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="  # another endpoint's secret
    assert not receiver.verified(got)


def test_500_then_2xx_is_retried_later_with_the_same_id_and_never_after(database_url, receiver, clock):
    """GIVEN a receiver that fails once WHEN the outbox retries at the time it set THEN the second
    attempt carries the same webhook-id, and after the 2xx nothing is sent again."""
    user_id, email_id = _user()
    receiver.secret = _channel(user_id, "webhook", {"url": receiver.url()}).secret
    receiver.script = [("status", 500, {})]
    (delivery,) = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=delivery) == "pending"
    row = _row(delivery)
    assert row.attempts == 1 and row.last_status == 500 and row.next_attempt_at > datetime.now(UTC)
    assert _due() == 0  # not yet
    clock.ahead = timedelta(seconds=deliver.BACKOFF_BASE_S + 1)
    assert _due() == 1
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    clock.ahead = timedelta(hours=2)
    assert _due() == 0
    got = receiver.wait_for(2)
    assert len(got) == 2 and {g["headers"]["webhook-id"] for g in got} == {f"msg_{delivery.hex}"}
    assert all(receiver.verified(g) for g in got)


def test_429_retry_after_is_honoured(sqlite_url, receiver, clock):
    """GIVEN a receiver answering 429 with Retry-After: 120 WHEN the outbox looks at 60 s and at 121 s
    THEN it waits the first time and sends the second."""
    user_id, email_id = _user()
    _channel(user_id, "slack", {"url": receiver.url()})
    receiver.script = [("status", 429, {"Retry-After": "120"})]
    (delivery,) = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=delivery) == "pending"
    wait = (_row(delivery).next_attempt_at - datetime.now(UTC)).total_seconds()
    assert 110 < wait <= 121
    clock.ahead = timedelta(seconds=60)
    assert _due() == 0 and deliver.deliver(delivery_id=delivery) == "skipped"
    clock.ahead = timedelta(seconds=121)
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    assert len(receiver.wait_for(2)) == 2


@pytest.mark.parametrize("fault", [("hang", 3), ("reset",)])
def test_no_answer_is_resent_with_the_same_id(sqlite_url, receiver, clock, monkeypatch, fault):
    """GIVEN a receiver that times out, or drops the connection after reading the request WHEN the
    retry comes THEN it is the same webhook-id (the receiver may have acted on the first)."""
    from tests.conftest import apply_env

    apply_env(monkeypatch, notify_timeout_seconds="1")
    user_id, email_id = _user()
    _channel(user_id, "webhook", {"url": receiver.url()})
    receiver.script = [fault]
    (delivery,) = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=delivery) == "pending"
    assert _row(delivery).last_status is None and _row(delivery).last_error
    clock.ahead = timedelta(hours=2)
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    got = receiver.wait_for(2)
    assert len(got) == 2 and got[0]["headers"]["webhook-id"] == got[1]["headers"]["webhook-id"]


def test_410_turns_the_channel_off_and_a_give_up_is_marked_failed(sqlite_url, receiver, clock, monkeypatch):
    """GIVEN one receiver gone (410) and one always failing WHEN delivered THEN the first channel is
    off with the reason, and the second is failed after the attempt limit, both in the log."""
    from tests.conftest import apply_env

    apply_env(monkeypatch, notify_max_attempts="3")
    user_id, email_id = _user()
    gone = _channel(user_id, "webhook", {"url": receiver.url("/gone")}, name="Gone")
    _channel(user_id, "slack", {"url": receiver.url("/broken")}, name="Broken")
    receiver.script = [("status", 410, {})] + [("status", 503, {})] * 3
    first, second = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=first) == "failed"
    states = [deliver.deliver(delivery_id=second)]
    for hours in (1, 2):
        clock.ahead = timedelta(hours=hours)
        states.append(deliver.deliver(delivery_id=second))
    assert states == ["pending", "pending", "failed"]
    with session_scope() as s:
        channel = channels.get(s, user_id=user_id, channel_id=gone.id)
        assert not channel.enabled and "410" in channel.disabled_reason
        log = {d.channel_name: d for d in history.recent(s, user_id=user_id)}
    assert log["Gone"].state == "failed" and log["Gone"].last_status == 410
    assert log["Broken"].state == "failed" and "gave up after 3 attempts" in log["Broken"].last_error
    assert len(receiver.got) == 4


_KILLED_WORKER = """
import os, signal, uuid
from openfyxer.services.notify import deliver
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the answer came; the worker dies before it is recorded
deliver._record = killed
deliver.deliver(delivery_id=uuid.UUID("{id}"))
"""


def test_a_worker_killed_after_sending_leads_to_one_resend_with_the_same_id(database_url, receiver, clock):
    """GIVEN a worker SIGKILLed between the receiver's 2xx and recording it WHEN its claim runs out
    THEN the outbox sends once more with the same webhook-id (the receiver drops the copy), records
    it, and never sends again."""
    user_id, email_id = _user()
    receiver.secret = _channel(user_id, "webhook", {"url": receiver.url()}).secret
    (delivery,) = _urgent(user_id, email_id)
    worker = subprocess.run([sys.executable, "-c", _KILLED_WORKER.format(id=delivery)], env=dict(os.environ),
                            capture_output=True, timeout=120)
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]
    assert len(receiver.wait_for(1)) == 1 and _row(delivery).state == "sending"
    assert _due() == 0  # its claim still holds
    clock.ahead = timedelta(seconds=deliver.get_settings().notify_lease_seconds + 1)
    assert _due() == 1
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    clock.ahead = timedelta(days=1)
    assert _due() == 0
    got = receiver.wait_for(2)
    assert len(got) == 2 and len({g["headers"]["webhook-id"] for g in got}) == 1
    assert all(receiver.verified(g) for g in got)


def test_quiet_hours_hold_urgent_mail_until_they_end_but_a_priority_contact_passes(sqlite_url, receiver, clock):
    """GIVEN quiet hours 22:00-07:00 in Bucharest WHEN urgent mail comes at 23:30 THEN it is held
    (no job) until 07:00 local; from a priority contact it goes at once."""
    user_id, email_id = _user()
    _channel(user_id, "slack", {"url": receiver.url()})
    with session_scope() as s:
        s.get(User, user_id).timezone = "Europe/Bucharest"
        events.save_prefs(s, user_id=user_id, data=NotifyPrefs(quiet_start="22:00", quiet_end="07:00"))
    night = datetime(2026, 12, 3, 21, 30, tzinfo=UTC)  # 23:30 in Bucharest (UTC+2)
    (held,) = _urgent(user_id, email_id, now=night)
    row = _row(held)
    assert row.held_reason == "quiet hours" and row.next_attempt_at == datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
    with session_scope() as s:
        user_settings.get_or_create(s, user_id=user_id).priority_contacts = ["boss@example.org"]
    with session_scope() as s:
        other = add_email(s, _account(s, user_id), subject="Outage", sender="Boss <boss@example.org>",
                          category="urgent")
        (passed,) = [d.id for d in events.raise_event(s, user=s.get(User, user_id), event="urgent",
                                                      key=f"urgent:{other.id}", payload={}, now=night,
                                                      priority=True)]
        third = add_email(s, _account(s, user_id), subject="Still down", sender="Boss <boss@example.org>",
                          category="urgent")
        (via_mail,) = [d.id for d in events.urgent_mail(s, user=s.get(User, user_id), email=third)]
    assert _row(passed).held_reason is None and _row(passed).next_attempt_at == night
    assert _row(via_mail).held_reason is None  # the sender's address is read out of "Name <address>"
    clock.ahead = datetime(2026, 12, 4, 5, 0, 1, tzinfo=UTC) - datetime.now(UTC)
    assert deliver.deliver(delivery_id=held) == "delivered"
    assert row.channel_id == _row(held).channel_id


def _account(s, user_id):  # noqa: ANN001, ANN202
    from sqlmodel import select

    from openfyxer.models.account import EmailAccount

    return s.exec(select(EmailAccount).where(EmailAccount.user_id == user_id)).first()


@pytest.mark.parametrize(("local", "expected"), [
    ("2026-12-03T23:30", "2026-12-04T07:00"), ("2026-12-04T06:59", "2026-12-04T07:00"),
    ("2026-12-04T07:00", None), ("2026-12-03T21:59", None),
    ("2026-03-29T02:30", "2026-03-29T07:00"),  # the night the clocks go forward in Bucharest
])
def test_quiet_hours_follow_the_users_clock_across_midnight_and_dst(local, expected):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Bucharest")
    p = NotifyPrefs(quiet_start="22:00", quiet_end="07:00")
    now = datetime.fromisoformat(local).replace(tzinfo=tz)
    end = events.quiet_until(p, "Europe/Bucharest", now)
    assert (end.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if end else None) == expected


def test_sms_goes_to_a_twilio_compatible_api_signed_in_with_one_idempotency_key(sqlite_url, receiver, clock):
    """GIVEN an SMS channel on a Twilio-compatible API WHEN it fails once and is retried THEN both
    requests carry the account's sign-in, the numbers and the same idempotency token."""
    import base64
    from urllib.parse import parse_qs

    user_id, email_id = _user(subject="Contract due today")
    _channel(user_id, "sms", {"api_base": receiver.url(""), "account_sid": "AC123", "auth_token": "tok",
                              "from": "+15005550006", "to": "+40712345678"})
    receiver.script = [("status", 503, {})]
    (delivery,) = _urgent(user_id, email_id)
    deliver.deliver(delivery_id=delivery)
    clock.ahead = timedelta(hours=1)
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    first, second = receiver.wait_for(2)
    assert first["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert first["headers"]["Authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    form = parse_qs(first["body"].decode())
    assert form["To"] == ["+40712345678"] and form["From"] == ["+15005550006"]
    assert "Contract due today" in form["Body"][0]
    assert first["headers"]["I-Twilio-Idempotency-Token"] == second["headers"]["I-Twilio-Idempotency-Token"]


def test_channel_targets_are_checked_and_never_shown(sqlite_url):
    """GIVEN bad targets WHEN saved THEN each is refused with the reason; a saved one shows a hint only."""
    from openfyxer.core.errors import ValidationError

    user_id, _ = _user()
    for kind, target in [("slack", {"url": "ftp://hooks.slack.com/x"}), ("sms", {"account_sid": "A"}),
                         ("sms", {"account_sid": "A", "auth_token": "t", "from": "0712", "to": "+40712345678"}),
                         ("email", {"to": "not an address"}), ("webhook", {"url": "https://x.example", "extra": "1"})]:
        with pytest.raises(ValidationError):
            _channel(user_id, kind, target)
    made = _channel(user_id, "slack", {"url": "https://hooks.slack.com/services/T0/B0/secretpart"})
    assert made.hint == "hooks.slack.com/…" and "secretpart" not in made.model_dump_json()


def test_the_api_adds_a_channel_sends_a_test_and_logs_it(client, receiver):
    """GIVEN a signed-in user WHEN they add a webhook, press test and read the log THEN the receiver
    got one verified test message and the log says delivered."""
    from tests.helpers import bearer, signed_up

    auth = bearer(signed_up(client))
    r = client.post("/api/v1/notifications/channels", headers=auth,
                    json={"kind": "webhook", "name": "My hook", "target": {"url": receiver.url()}})
    assert r.status_code == 201, r.text
    receiver.secret, channel_id = r.json()["secret"], r.json()["id"]
    listed = client.get("/api/v1/notifications/channels", headers=auth).json()
    assert listed[0]["secret"] is None and listed[0]["hint"] == "127.0.0.1/…"
    r = client.post("/api/v1/notifications/test", headers=auth, json={"channel_id": channel_id})
    assert r.status_code == 202, r.text
    (got,) = receiver.wait_for(1)
    assert receiver.verified(got) and b"notification.test" in got["body"]
    from openfyxer import jobs

    jobs.local_queue().join(30)
    log = client.get("/api/v1/notifications/deliveries", headers=auth).json()
    assert [(d["channel_name"], d["event"], d["state"]) for d in log] == [("My hook", "test", "delivered")]
    prefs = client.put("/api/v1/notifications/preferences", headers=auth,
                       json={"quiet_start": "22:00", "quiet_end": "07:00", "digest_at": "08:30"})
    assert prefs.status_code == 200 and client.get("/api/v1/notifications/preferences",
                                                   headers=auth).json()["digest_at"] == "08:30"
    other = bearer(signed_up(client, "bob@example.com"))
    assert client.post("/api/v1/notifications/test", headers=other, json={"channel_id": channel_id}).status_code == 404


def test_an_account_failing_to_sync_for_an_hour_is_told_once_a_day(sqlite_url, receiver):
    """GIVEN a channel that wants sync failures WHEN an account's sync fails after a success a minute
    ago THEN nothing (a blip); WHEN it has not succeeded for two hours THEN one message, and a second
    failure the same day adds none."""
    from openfyxer.core.errors import OpenFyxerError
    from openfyxer.models.account import EmailAccount
    from openfyxer.services.mail import sync

    user_id, _ = _user()
    _channel(user_id, "slack", {"url": receiver.url()}, events=["sync_failed"])
    with session_scope() as s:
        account = s.exec(select(EmailAccount).where(EmailAccount.user_id == user_id)).one()
        account.last_sync, account_id = datetime.now(UTC) - timedelta(minutes=1), account.id
    with pytest.raises(OpenFyxerError):
        sync.sync_account(account_id=account_id)  # nothing listens on its port
    with session_scope() as s:
        assert s.exec(select(NotifyDelivery)).all() == []
        s.get(EmailAccount, account_id).last_sync = datetime.now(UTC) - timedelta(hours=2)
    for _ in range(2):
        with pytest.raises(OpenFyxerError):
            sync.sync_account(account_id=account_id)
    with session_scope() as s:
        (row,) = s.exec(select(NotifyDelivery)).all()
        assert row.event == "sync_failed" and row.payload["account"] == "ana.pop@example.com"
    assert deliver.deliver(delivery_id=row.id) == "delivered"
    text = __import__("json").loads(receiver.wait_for(1)[0]["body"])["text"]
    assert "ana.pop@example.com has not synced for over an hour" in text


def test_a_draft_written_for_the_user_is_announced_to_channels_that_want_it(sqlite_url, receiver):
    """GIVEN one channel that wants drafts and one that does not WHEN a draft is ready THEN only the first
    is told, with the subject and the recipient."""
    from openfyxer.models.draft import Draft

    user_id, _ = _user()
    _channel(user_id, "slack", {"url": receiver.url("/drafts")}, events=["draft_ready"])
    _channel(user_id, "slack", {"url": receiver.url("/urgent")}, events=["urgent"])
    with session_scope() as s:
        from openfyxer.models.account import EmailAccount

        account = s.exec(select(EmailAccount).where(EmailAccount.user_id == user_id)).one()
        draft = Draft(user_id=user_id, account_id=account.id, content="Hi", subject="Re: Budget",
                      to_addresses=["dan@example.org"])
        s.add(draft)
        s.flush()
        (made,) = events.draft_ready(s, user=s.get(User, user_id), draft=draft)
        made_id = made.id
    assert deliver.deliver(delivery_id=made_id) == "delivered"
    (got,) = receiver.wait_for(1)
    assert got["path"] == "/drafts" and "Re: Budget" in got["body"].decode() and "dan@example.org" in got["body"].decode()


def test_an_apprise_url_reaches_its_service_and_the_outbound_policy_still_holds(sqlite_url, receiver, monkeypatch):
    """GIVEN an Apprise channel (json://, Apprise's generic JSON service, at a local receiver) WHEN urgent mail
    comes THEN the receiver gets it, sent from the sandbox; WHEN the server's policy is `public` THEN the same
    URL (a loopback address) is refused before any connection, and the delivery is failed with the reason;
    an URL Apprise does not know is refused when saved."""
    from openfyxer.core.errors import ValidationError
    from tests.conftest import apply_env

    user_id, email_id = _user(subject="Payment failed")
    made = _channel(user_id, "apprise", {"url": receiver.url("/apprise").replace("http://", "json://")})
    assert made.hint.startswith("json://127.0.0.1")
    with pytest.raises(ValidationError):
        _channel(user_id, "apprise", {"url": "nosuchservice://token"})
    (delivery,) = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    (got,) = receiver.wait_for(1)
    body = __import__("json").loads(got["body"])
    assert got["path"] == "/apprise" and "Payment failed" in body["title"] and "boss@example.org" in body["message"]

    apply_env(monkeypatch, outbound="public")
    with session_scope() as s:
        user = s.get(User, user_id)
        (held,) = events.raise_event(s, user=user, event="test", key="test:public", payload={},
                                     only=channels.get(s, user_id=user_id, channel_id=made.id))
        held_id = held.id
    assert deliver.deliver(delivery_id=held_id) == "failed"
    assert "outbound policy" in _row(held_id).last_error and "127.0.0.1" in _row(held_id).last_error
    time.sleep(0.5)
    assert len(receiver.got) == 1  # nothing reached the receiver under the policy
