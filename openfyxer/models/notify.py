"""Where the user is told things (`notify_channels`) and what was told, or is still to be
(`notify_deliveries`: the notification outbox, one row per event and channel)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field as PField, field_validator
from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import EncryptedText, JSONType, UTCDateTime, new_id, utcnow

CHANNEL_KINDS = ("slack", "webhook", "sms", "email", "apprise", "webpush")
# What a channel can be told of; a channel lists the ones it wants.
EVENTS = ("urgent", "digest", "draft_ready", "follow_up", "meeting_summary", "sync_failed")
DEFAULT_EVENTS = ("urgent", "digest", "follow_up", "sync_failed")
STATES = ("pending", "sending", "delivered", "failed")


class NotifyChannel(SQLModel, table=True):
    __tablename__ = "notify_channels"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    kind: str = Field(max_length=20)
    name: str = Field(max_length=100)
    # The whole target as JSON (a webhook URL and its signing secret, an SMS account's token): every
    # part of it is a credential or personal, so it is encrypted whole and never returned.
    config: str = Field(sa_type=EncryptedText("notify_channels.config"))
    hint: str = Field(default="", max_length=200)  # what the user sees of the target: a host, a masked number
    events: list[str] = Field(default_factory=lambda: list(DEFAULT_EVENTS), sa_type=JSONType)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)  # e.g. the receiver answered 410 Gone
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotifyDelivery(SQLModel, table=True):
    """One event for one channel. The unique key is what makes a delivery happen once: an event
    raised again (a re-triage, a retried job) finds its row and adds nothing."""

    __tablename__ = "notify_deliveries"
    __table_args__ = (
        UniqueConstraint("channel_id", "event_key", name="uq_notify_deliveries_once"),
        Index("ix_notify_deliveries_due", "state", "next_attempt_at"),
        Index("ix_notify_deliveries_user_created", "user_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    channel_id: uuid.UUID = Field(sa_column=Column(ForeignKey("notify_channels.id", ondelete="CASCADE"),
                                                   nullable=False))
    event: str = Field(max_length=30)
    event_key: str = Field(max_length=200)  # "urgent:<email id>", "test:<uuid>", "digest:2026-12-03"
    payload: dict = Field(default_factory=dict, sa_type=JSONType)
    state: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a "sending" row's claim ends
    held_reason: str | None = Field(default=None, max_length=100)  # "quiet hours" while it waits for them to end
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChannelCreate(BaseModel):
    """A new channel. `target` holds what its kind needs:
    slack: {"url"}; webhook: {"url"}; sms: {"api_base"?, "account_sid", "auth_token", "from", "to"};
    email: {"to"}; apprise: {"url"} (an Apprise URL: tgram://, discord://, ntfy://, matrix://, ...);
    webpush: {"endpoint", "p256dh", "auth"} (a browser's PushSubscription, made with the key that
    GET /api/v1/notifications/push-key gives)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["slack", "webhook", "sms", "email", "apprise", "webpush"]
    name: str = PField("", max_length=100)
    target: dict[str, str]
    events: list[str] | None = None

    @field_validator("events")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(v not in EVENTS for v in value):
            raise ValueError(f"events are among {', '.join(EVENTS)}")
        return value


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = PField(None, max_length=100)
    target: dict[str, str] | None = None
    events: list[str] | None = None
    enabled: bool | None = None

    _known = field_validator("events")(ChannelCreate._known.__func__)


class ChannelPublic(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    hint: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    secret: str | None = None  # a webhook's signing secret: in the answer that created it, never again


class PushKey(BaseModel):
    """The server's VAPID public key, a browser's `applicationServerKey`; null when push is not set up."""

    public_key: str | None


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    channel_id: uuid.UUID
    channel_name: str
    event: str
    title: str
    state: str
    attempts: int
    held_reason: str | None
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class NotifyPrefs(BaseModel):
    """Quiet hours in the user's zone ("22:00"-"07:00"; None: none), whether urgent mail from a
    priority contact passes them, and when the daily digest comes."""

    model_config = ConfigDict(extra="forbid")
    quiet_start: str | None = PField(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str | None = PField(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    priority_passes_quiet: bool = True
    digest_at: str | None = PField("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class TestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel_id: uuid.UUID


FOLLOW_UP_STATES = ("waiting", "due", "replied", "dismissed", "superseded")


class FollowUp(SQLModel, table=True):
    """Mail the user sent that expects an answer: reminded of after `follow_up_days` business days
    with no reply in its thread, with a nudge draft for them to approve."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_state_due", "state", "due_at"),
                      Index("ix_follow_ups_user_thread", "user_id", "thread_id"))

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    email_id: uuid.UUID = Field(sa_column=Column(ForeignKey("emails.id", ondelete="CASCADE"), nullable=False,
                                                 unique=True))
    thread_id: str = Field(max_length=998)
    subject: str = Field(default="", max_length=500)
    to: str = Field(default="", max_length=500)  # who was written to, as shown
    language: str = Field(default="en", max_length=5)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default="waiting", max_length=20)
    reminders: int = 0
    nudge_draft_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        ForeignKey("drafts.id", ondelete="SET NULL"), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FollowUpPublic(BaseModel):
    id: uuid.UUID
    email_id: uuid.UUID
    subject: str
    to: str
    sent_at: datetime
    due_at: datetime
    state: str
    nudge_draft_id: uuid.UUID | None


class FollowUpSnooze(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = PField(3, ge=1, le=60)  # business days from now
