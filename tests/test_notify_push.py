"""Web Push: a browser's subscription as a channel, the message encrypted for that browser alone and
signed with the server's VAPID key. The push service is a local HTTP receiver; the browser's side
(tests/notify_receiver.PushBrowser) decrypts and checks the token with `http_ece` and
`cryptography` alone. A real browser's push service (FCM, Mozilla's autopush) needs the internet,
so the browser test in test_app_prod delivers to the service worker through DevTools instead."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import ValidationError
from openfyxer.integrations import webpush
from openfyxer.models.notify import ChannelCreate, ChannelUpdate, NotifyChannel
from openfyxer.services.notify import channels, deliver
from tests.conftest import apply_env
from tests.notify_receiver import PushBrowser, Receiver
from tests.test_notify import _row, _urgent, _user, clock  # noqa: F401 (clock: a fixture)

VAPID = webpush.new_private_key()


@pytest.fixture
def push_service(monkeypatch):
    apply_env(monkeypatch, vapid_private_key=VAPID)
    r = Receiver()
    yield r
    r.stop()


def _subscribe(user_id: uuid.UUID, browser: PushBrowser, endpoint: str):  # noqa: ANN202
    with session_scope() as s:
        return channels.create(s, user_id=user_id, data=ChannelCreate(kind="webpush", name="Chromium on Linux",
                                                                     target=browser.target(endpoint)))


def test_urgent_mail_reaches_the_browser_encrypted_for_it_and_signed_by_the_server(sqlite_url, push_service):
    """GIVEN a browser subscribed WHEN urgent mail is delivered THEN the push service gets one message it
    cannot read, the browser opens it (title, sender, a link to the mail), and the VAPID token is the
    server's, for that push service, valid for less than a day."""
    user_id, email_id = _user(subject="Server down, approve by noon")
    browser = PushBrowser()
    made = _subscribe(user_id, browser, push_service.url("/wpush/v2/abc"))
    assert made.kind == "webpush" and made.hint == "127.0.0.1/…"
    (delivery,) = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    (got,) = push_service.wait_for(1)
    assert got["path"] == "/wpush/v2/abc" and b"Server down" not in got["body"]
    shown = browser.open(got)
    assert shown["title"] == "Urgent: Server down, approve by noon"
    assert "boss@example.org" in shown["body"] and shown["url"].endswith(f"/email/{email_id}")
    assert shown["tag"] == delivery.hex
    headers = got["headers"]
    assert (headers["Urgency"], headers["TTL"], headers["Topic"]) == ("high", "86400", delivery.hex)
    claims = PushBrowser.vapid_claims(got, webpush.public_key(VAPID))
    assert claims["aud"] == push_service.url("").rstrip("/")
    assert claims["sub"].startswith("mailto:") and "@" in claims["sub"]
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    # Another browser's keys cannot open it.
    with pytest.raises(Exception):  # noqa: B017, PT011 (http_ece raises its own ECEException or InvalidTag)
        PushBrowser().open(got)


def test_a_lost_answer_is_resent_under_the_same_topic_and_a_dead_subscription_turns_off(sqlite_url, push_service,
                                                                                       clock):
    """GIVEN the push service drops the connection after reading WHEN the delivery is retried THEN the copy
    carries the same Topic (the service replaces the held one); GIVEN it answers 404 (the browser
    unsubscribed) THEN the channel is turned off with the reason and nothing more is sent to it."""
    user_id, email_id = _user()
    made = _subscribe(user_id, PushBrowser(), push_service.url("/sub/1"))
    push_service.script = [("reset",)]
    (delivery,) = _urgent(user_id, email_id)
    assert deliver.deliver(delivery_id=delivery) == "pending"
    clock.ahead = timedelta(hours=2)
    assert deliver.deliver(delivery_id=delivery) == "delivered"
    first, second = push_service.wait_for(2)
    assert first["headers"]["Topic"] == second["headers"]["Topic"] == delivery.hex
    assert first["body"] != second["body"]  # each copy is sealed afresh; the topic is what pairs them

    assert made.enabled
    push_service.script = [("status", 404, {})]
    user2, email2 = _user()
    dead = _subscribe(user2, PushBrowser(), push_service.url("/sub/2"))
    (gone,) = _urgent(user2, email2)
    assert deliver.deliver(delivery_id=gone) == "failed"
    with session_scope() as s:
        channel = s.get(NotifyChannel, dead.id)
        assert not channel.enabled and "404" in channel.disabled_reason
    assert _row(gone).last_status == 404
    assert len(push_service.wait_for(4, timeout=1)) == 3


def test_one_channel_per_browser_and_a_shared_browser_follows_whoever_subscribed_last(sqlite_url, push_service):
    """GIVEN a browser subscribed WHEN it subscribes again with new keys THEN the one channel keeps its
    choices and takes the new keys; WHEN another user subscribes the same browser THEN the first user's
    channel for it is gone, so their mail is not shown to the next person at that computer."""
    alice, _ = _user()
    endpoint = push_service.url("/sub/shared")
    first = _subscribe(alice, PushBrowser(), endpoint)
    with session_scope() as s:
        channels.update(s, user_id=alice, channel_id=first.id, data=ChannelUpdate(events=["urgent"]))
    fresh = PushBrowser()
    again = _subscribe(alice, fresh, endpoint)
    assert again.id == first.id and again.events == ["urgent"]
    with session_scope() as s:
        assert channels.target(s.get(NotifyChannel, first.id))["p256dh"] == fresh.target(endpoint)["p256dh"]
    bob, _ = _user()
    _subscribe(bob, PushBrowser(), endpoint)
    with session_scope() as s:
        assert channels.list_channels(s, user_id=alice) == []
        assert len(channels.list_channels(s, user_id=bob)) == 1


def test_a_subscription_is_checked_and_push_without_a_key_says_how_to_set_it_up(sqlite_url, monkeypatch):
    """GIVEN keys that are not a browser's, or an endpoint that is not http(s) THEN refused with the reason;
    GIVEN no VAPID key THEN a subscription is refused naming the setting, and the API's key is null."""
    user_id, _ = _user()
    good = PushBrowser().target("https://push.example/x")
    with pytest.raises(ValidationError, match="VAPID_PRIVATE_KEY"):
        _subscribe_raw(user_id, good)
    assert channels.push_key() is None
    apply_env(monkeypatch, vapid_private_key=VAPID)
    assert channels.push_key() == webpush.public_key(VAPID) and len(webpush.unb64url(channels.push_key())) == 65
    for bad, why in [({**good, "p256dh": "AAAA"}, "P-256"), ({**good, "auth": "AAAA"}, "16 bytes"),
                     ({**good, "endpoint": "ftp://push.example/x"}, "http")]:
        with pytest.raises(ValidationError, match=why):
            _subscribe_raw(user_id, bad)
    apply_env(monkeypatch, vapid_private_key="short")
    with pytest.raises(ValueError, match="32 bytes"):
        get_settings()


def _subscribe_raw(user_id: uuid.UUID, target: dict):  # noqa: ANN202
    with session_scope() as s:
        return channels.create(s, user_id=user_id, data=ChannelCreate(kind="webpush", target=target))


def test_the_api_gives_the_key_takes_a_subscription_and_a_test_reaches_the_browser(client, push_service):
    """GIVEN a signed-in user WHEN they read the key, add their browser's subscription and press test THEN
    the browser opens one test message."""
    from openfyxer import jobs
    from tests.helpers import bearer, signed_up

    auth = bearer(signed_up(client))
    key = client.get("/api/v1/notifications/push-key", headers=auth)
    assert key.status_code == 200 and key.json() == {"public_key": webpush.public_key(VAPID)}
    browser = PushBrowser()
    r = client.post("/api/v1/notifications/channels", headers=auth,
                    json={"kind": "webpush", "name": "Phone", "target": browser.target(push_service.url("/p/1"))})
    assert r.status_code == 201, r.text
    assert "p256dh" not in r.text and r.json()["secret"] is None
    assert client.post("/api/v1/notifications/test", headers=auth, json={"channel_id": r.json()["id"]}).status_code == 202
    (got,) = push_service.wait_for(1)
    jobs.local_queue().join(30)
    assert browser.open(got)["title"] == "OpenFyxer test notification"
    assert got["headers"]["Urgency"] == "normal"


def test_init_env_makes_a_vapid_key_once(tmp_path: Path, monkeypatch):
    """GIVEN a new install WHEN `cli init-env` runs twice THEN one VAPID key is written and kept."""
    from openfyxer import cli

    env = tmp_path / ".env"
    assert "OPENFYXER_VAPID_PRIVATE_KEY" in cli.init_env(env)
    first = env.read_text()
    assert "OPENFYXER_VAPID_PRIVATE_KEY" not in cli.init_env(env) and env.read_text() == first
    value = dict(line.split("=", 1) for line in first.splitlines() if "=" in line)["OPENFYXER_VAPID_PRIVATE_KEY"]
    apply_env(monkeypatch, vapid_private_key=value)
    assert len(webpush.unb64url(webpush.public_key(value))) == 65
