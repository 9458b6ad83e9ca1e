"""The user's notification channels: added, changed, removed, listed. A channel's target (URLs,
tokens, numbers) is checked when saved and kept encrypted; the API and the page show only a hint
of it, and a webhook's signing secret only once, in the answer that made it."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.errors import NotFound, ValidationError
from openfyxer.integrations import apprise_send, webhook, webpush
from openfyxer.models.notify import (
    DEFAULT_EVENTS, ChannelCreate, ChannelPublic, ChannelUpdate, NotifyChannel,
)
from openfyxer.models.types import check_address
from openfyxer.security import outbound
from openfyxer.services import audit

MAX_CHANNELS = 20
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164
_NEEDS = {"slack": ("url",), "webhook": ("url",), "sms": ("account_sid", "auth_token", "from", "to"), "email": ("to",),
          "apprise": ("url",), "webpush": ("endpoint", "p256dh", "auth")}
_MAY = {"sms": ("api_base",)}


def public(channel: NotifyChannel, secret: str | None = None) -> ChannelPublic:
    return ChannelPublic(id=channel.id, kind=channel.kind, name=channel.name, hint=channel.hint,
                         events=list(channel.events), enabled=channel.enabled,
                         disabled_reason=channel.disabled_reason, created_at=channel.created_at, secret=secret)


def target(channel: NotifyChannel) -> dict[str, str]:
    return json.loads(channel.config or "{}")


def list_channels(session: Session, *, user_id: uuid.UUID) -> list[NotifyChannel]:
    return list(session.exec(select(NotifyChannel).where(NotifyChannel.user_id == user_id)
                             .order_by(NotifyChannel.created_at)).all())


PUSH_OFF = ("web push is not set up on this server: OPENFYXER_VAPID_PRIVATE_KEY is empty "
            "(`python -m openfyxer.cli init-env` makes one)")


def push_key() -> str | None:
    """The key browsers subscribe with (their `applicationServerKey`); None when push is not set up."""
    private = get_settings().vapid_private_key
    return webpush.public_key(private) if private else None


def wanting(session: Session, *, user_id: uuid.UUID, event: str) -> list[NotifyChannel]:
    """The user's channels that are on and want to be told of `event`."""
    return [c for c in list_channels(session, user_id=user_id) if c.enabled and event in (c.events or [])]


def get(session: Session, *, user_id: uuid.UUID, channel_id: uuid.UUID) -> NotifyChannel:
    channel = session.get(NotifyChannel, channel_id)
    if channel is None or channel.user_id != user_id:
        raise NotFound("no such notification channel")
    return channel


def create(session: Session, *, user_id: uuid.UUID, data: ChannelCreate) -> ChannelPublic:
    if len(list_channels(session, user_id=user_id)) >= MAX_CHANNELS:
        raise ValidationError(f"at most {MAX_CHANNELS} notification channels")
    clean = _checked(data.kind, data.target)
    if data.kind == "webpush":
        known = _same_browser(session, user_id=user_id, endpoint=clean["endpoint"])
        if known is not None:  # the browser subscribed again, perhaps with new keys: they replace the old
            known.config, known.enabled, known.disabled_reason = json.dumps(clean), True, None
            session.add(known)
            session.flush()
            return public(known)
    secret = None
    if data.kind == "webhook":
        secret = clean["secret"] = webhook.new_secret()
    channel = NotifyChannel(user_id=user_id, kind=data.kind, name=(data.name or data.kind.capitalize()).strip()[:100],
                            config=json.dumps(clean), hint=_hint(data.kind, clean),
                            events=list(data.events if data.events is not None else DEFAULT_EVENTS))
    session.add(channel)
    session.flush()
    audit.record(session, action="notify.channel_added", user_id=user_id, entity_type="notify_channel",
                 entity_id=channel.id, details={"kind": channel.kind})
    return public(channel, secret)


def update(session: Session, *, user_id: uuid.UUID, channel_id: uuid.UUID, data: ChannelUpdate) -> ChannelPublic:
    channel = get(session, user_id=user_id, channel_id=channel_id)
    if data.target is not None:
        clean = _checked(channel.kind, data.target)
        if channel.kind == "webhook":  # a new URL keeps the secret the receiver already holds
            clean["secret"] = target(channel)["secret"]
        channel.config, channel.hint = json.dumps(clean), _hint(channel.kind, clean)
    if data.name is not None:
        channel.name = data.name.strip()[:100] or channel.name
    if data.events is not None:
        channel.events = list(data.events)
    if data.enabled is not None:
        if data.enabled and not channel.enabled:
            # One moved from the old settings may still lack a part (a webhook's secret is ours, not the user's).
            _checked(channel.kind, {k: v for k, v in target(channel).items() if k != "secret"})
        channel.enabled = data.enabled
        if data.enabled:
            channel.disabled_reason = None
    session.add(channel)
    session.flush()
    return public(channel)


def remove(session: Session, *, user_id: uuid.UUID, channel_id: uuid.UUID) -> None:
    channel = get(session, user_id=user_id, channel_id=channel_id)
    session.delete(channel)
    audit.record(session, action="notify.channel_removed", user_id=user_id, entity_type="notify_channel",
                 entity_id=channel_id, details={"kind": channel.kind})
    session.flush()


def _checked(kind: str, given: dict[str, str]) -> dict[str, str]:
    values = {k: (v or "").strip() for k, v in given.items()}
    unknown = set(values) - set(_NEEDS[kind]) - set(_MAY.get(kind, ()))
    missing = [k for k in _NEEDS[kind] if not values.get(k)]
    if unknown or missing:
        raise ValidationError(f"a {kind} channel needs {', '.join(_NEEDS[kind])}"
                              + (f" (may also have {', '.join(_MAY[kind])})" if kind in _MAY else ""))
    if kind in ("slack", "webhook"):
        _url(values["url"], "Slack webhook" if kind == "slack" else "webhook")
    if kind == "sms":
        for name in ("from", "to"):
            if not _PHONE.match(values[name]):
                raise ValidationError(f"the SMS '{name}' number must be in international form (+40…)")
        if values.get("api_base"):
            _url(values["api_base"], "SMS provider")
    if kind == "webpush":
        if not get_settings().vapid_private_key:
            raise ValidationError(PUSH_OFF)
        _url(values["endpoint"], "push service")
        try:
            webpush.check_subscription(values["p256dh"], values["auth"])
        except ValueError as e:
            raise ValidationError(str(e)) from None
    if kind == "apprise" and not apprise_send.describe(values["url"]):
        raise ValidationError("Apprise does not know this URL (see its list of services: tgram://, discord://, "
                              "ntfy://, matrix://, ...)")
    if kind == "email":
        try:
            values["to"] = check_address(values["to"])
        except ValueError as e:
            raise ValidationError(str(e)) from None
    return values


def _same_browser(session: Session, *, user_id: uuid.UUID, endpoint: str) -> NotifyChannel | None:
    """One channel per browser. Subscribing again (new keys, the page reloaded) keeps the user's channel
    and its choices; a browser last subscribed by someone else (a shared computer, another account)
    now belongs to whoever subscribed it, so the other user's mail is no longer shown on it."""
    mine = None
    for channel in session.exec(select(NotifyChannel).where(NotifyChannel.kind == "webpush")).all():
        if target(channel).get("endpoint") != endpoint:
            continue
        if channel.user_id != user_id:
            remove(session, user_id=channel.user_id, channel_id=channel.id)
        else:
            mine = channel
    return mine


def _url(url: str, purpose: str) -> None:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValidationError(f"the {purpose} must be an http(s) URL")
    outbound.check_url(url, purpose=purpose)


def _hint(kind: str, values: dict[str, str]) -> str:
    if kind in ("slack", "webhook", "webpush"):
        parts = urlsplit(values.get("url") or values["endpoint"])
        return f"{parts.hostname}{'/…' if parts.path.strip('/') else ''}"
    if kind == "sms":
        return f"{values['to'][:4]}…{values['to'][-2:]}"
    if kind == "apprise":
        return (apprise_send.describe(values["url"]) or "").split("?", 1)[0][:200]
    return values["to"]
