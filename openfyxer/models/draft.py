"""Reply drafts, and the outbox state machine that sends an approved one exactly once.

pending -> approved -> sending -> sent | failed;  pending -> rejected.
The Message-ID is fixed at approval: it is the idempotency key checked in Sent after an
ambiguous failure.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field as PField, field_validator
from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import HeaderText, MailAddress, JSONType, UTCDateTime, new_id, utcnow

STATUSES = ("pending", "approved", "sending", "sent", "failed", "rejected")
EDITABLE = ("pending", "failed")
# Why the user threw a draft away: the feedback kept with it.
REJECT_REASONS = ("not_needed", "wrong_facts", "wrong_tone", "too_long", "other")
REPLACED = "replaced"  # set by the service when a new draft for the email takes the place of this one
# Set when the email stopped wanting a reply (archived, deleted, marked done): kept, never judged.
WITHDRAWN = "withdrawn"


class Draft(SQLModel, table=True):
    __tablename__ = "drafts"
    __table_args__ = (
        Index("ix_drafts_user_status", "user_id", "status"),
        UniqueConstraint("message_id", name="uq_drafts_message_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("emails.id", ondelete="CASCADE"), nullable=True, index=True))
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    account_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("email_accounts.id", ondelete="CASCADE", name="fk_drafts_account_id"), nullable=True, index=True))
    to_addresses: list[str] = Field(default_factory=list, sa_type=JSONType)
    cc_addresses: list[str] = Field(default_factory=list, sa_type=JSONType)
    subject: str | None = Field(default=None, sa_type=Text)
    content: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=20)
    llm_model: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=10)
    # What the safety checks found in a generated draft (new addresses, links, prompt leaks...).
    flags: list[str] = Field(default_factory=list, sa_type=JSONType)
    # What a generated draft relied on: the user's earlier replies to the sender (role "example") and
    # the mail and documents it was given as facts (role "fact"); see DraftSource.
    sources: list[dict] = Field(default_factory=list, sa_type=JSONType)
    # What the model wrote, kept when the user edits it: the edit size at approval is measured
    # against it (None for a draft written by hand).
    generated_content: str | None = Field(default=None, sa_type=Text)
    # Share of the generated words the user changed before approving (0 = sent as written, 1 =
    # rewritten): the feedback the "draft quality" figure and the per-user learning read.
    edit_ratio: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    reject_reason: str | None = Field(default=None, max_length=40)
    # What the email asks the user to decide, when it does: the answers the draft panel offers
    # (the reply is written once the user picks one; the draft never decides for them).
    choices: list[str] = Field(default_factory=list, sa_type=JSONType)
    # A forward: the message it passes on, whose attachments go with it (services/mail/forward.py).
    forward_of: uuid.UUID | None = Field(default=None, sa_column=Column(
        ForeignKey("emails.id", ondelete="SET NULL", name="fk_drafts_forward_of"), nullable=True))
    # An iTIP object sent with the text as a text/calendar part (RFC 6047): an invitation (REQUEST),
    # an answer to one (REPLY) or a cancellation (CANCEL). Built by code from the calendar, never by a model.
    calendar_ics: str | None = Field(default=None, sa_type=Text)
    calendar_method: str | None = Field(default=None, max_length=20)
    # A reply that offers meeting times: the slots offered (UTC ISO pairs), the length and title of the
    # meeting, the sender's zone; what booking one of them and reading the answer go by.
    meeting: dict = Field(default_factory=dict, sa_type=JSONType)
    message_id: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    in_reply_to: str | None = Field(default=None, max_length=998)
    references: list[str] = Field(default_factory=list, sa_type=JSONType)
    send_attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # Set when a send may have reached the server: the next attempt must look in Sent first.
    delivery_uncertain: bool = False
    last_error: str | None = Field(default=None, sa_type=Text)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sending_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DraftCreate(BaseModel):
    """A draft written by hand (the assistant writes the others)."""

    model_config = ConfigDict(extra="forbid")
    account_id: uuid.UUID
    email_id: uuid.UUID | None = None
    to: list[MailAddress] = PField(default_factory=list, max_length=100)
    cc: list[MailAddress] = PField(default_factory=list, max_length=100)
    subject: HeaderText | None = PField(None, max_length=998)
    content: str = PField(min_length=1, max_length=200_000)


class DraftUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: list[MailAddress] | None = PField(None, max_length=100)
    cc: list[MailAddress] | None = PField(None, max_length=100)
    subject: HeaderText | None = PField(None, max_length=998)
    content: str | None = PField(None, min_length=1, max_length=200_000)


class DraftSource(BaseModel):
    """One thing a generated draft was shown: an email (open it at /email/<id>) or a document."""

    kind: str  # "email" | "document"
    id: uuid.UUID
    title: str
    date: str | None = None
    snippet: str = ""
    role: str  # "example": how the user answered this sender before; "fact": something the reply may state


class DraftMeeting(BaseModel):
    """What a scheduling draft carries: the times it offers (UTC start/end pairs, `zone` the sender's),
    or, for an invitation, the event booked; `event_id` on an offer once one of its times is booked."""

    model_config = ConfigDict(extra="ignore")
    slots: list[tuple[datetime, datetime]] = []
    duration_minutes: int | None = None
    zone: str | None = None
    accepted: bool = False  # the time the sender named was free and is the one offered
    title: str | None = None
    calendar_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
    invitation_id: uuid.UUID | None = None
    start: datetime | None = None
    end: datetime | None = None


class DraftPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email_id: uuid.UUID | None
    account_id: uuid.UUID | None
    to_addresses: list[str]
    cc_addresses: list[str]
    subject: str | None
    content: str
    status: str
    llm_model: str | None
    language: str | None
    flags: list[str]
    sources: list[DraftSource] = []
    choices: list[str] = []
    edit_ratio: float | None = None
    reject_reason: str | None = None
    message_id: str | None
    send_attempts: int
    last_error: str | None
    delivery_uncertain: bool = False  # it may have reached the recipients: resend only knowingly
    calendar_method: str | None = None  # REQUEST, REPLY or CANCEL: it carries an invitation or an answer
    forward_of: uuid.UUID | None = None  # the message this forwards, attachments included
    meeting: DraftMeeting | None = None

    @field_validator("meeting", mode="before")
    @classmethod
    def _no_meeting(cls, value: object) -> object:
        return value or None  # stored as {} on every other draft
    created_at: datetime
    approved_at: datetime | None
    sent_at: datetime | None
