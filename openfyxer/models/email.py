"""Synced messages and where each one lives on the server."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint,
                        false)
from sqlmodel import Field, SQLModel

from openfyxer.models.types import JSONType, UTCDateTime, new_id, utcnow

CATEGORIES = ("urgent", "to_respond", "fyi", "newsletter", "spam")


class Email(SQLModel, table=True):
    """One message per account, whatever folders it sits in (Message-ID de-duplicates)."""

    __tablename__ = "emails"
    __table_args__ = (
        UniqueConstraint("account_id", "message_id", name="uq_emails_account_message"),
        Index("ix_emails_account_received", "account_id", "received_at"),
        Index("ix_emails_category", "category"),
        Index("ix_emails_thread", "thread_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("email_accounts.id", ondelete="CASCADE"), nullable=False))
    message_id: str = Field(sa_column=Column(String(998), nullable=False))
    thread_id: str | None = Field(default=None, max_length=998)
    in_reply_to: str | None = Field(default=None, max_length=998)
    references: list[str] = Field(default_factory=list, sa_type=JSONType)
    subject: str | None = Field(default=None, sa_type=Text)
    sender: str | None = Field(default=None, max_length=255)
    sender_name: str | None = Field(default=None, max_length=255)
    recipients: list[str] = Field(default_factory=list, sa_type=JSONType)
    cc: list[str] = Field(default_factory=list, sa_type=JSONType)
    reply_to: list[str] = Field(default_factory=list, sa_type=JSONType)
    body_text: str | None = Field(default=None, sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    has_remote_images: bool = False
    category: str | None = Field(default=None, max_length=50)
    needs_reply: bool = False
    triage_reason: str | None = Field(default=None, max_length=500)
    # rules | model | llm | user: who decided the category (a user's correction is never overwritten)
    triaged_by: str | None = Field(default=None, max_length=10)
    has_attachments: bool = False
    is_read: bool = False
    # Role of the synced folder it is in (inbox, sent, ...); None once it left every synced folder.
    folder_role: str | None = Field(default=None, max_length=20)
    list_unsubscribe: str | None = Field(default=None, sa_type=Text)
    list_unsubscribe_one_click: bool = Field(default=False, sa_column=Column(Boolean, nullable=False,
                                                                             server_default=false()))
    list_id: str | None = Field(default=None, max_length=255)
    precedence: str | None = Field(default=None, max_length=50)
    auto_submitted: str | None = Field(default=None, max_length=50)
    size: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # A message that could not be parsed is kept whole and flagged, never dropped.
    parse_error: str | None = Field(default=None, sa_type=Text)
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The Date header's UTC offset in minutes: the sender's clock, which the times they name are read in.
    sent_utc_offset: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When its people, companies, topics and text chunks went into the knowledge store.
    indexed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # What the user did with it (services/mail/inbox.py). Star and folder are mirrored to the server;
    # done (answered or needing nothing more) and snooze's return time are OpenFyxer's own.
    starred: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the user changed folder, star or read state here and the server has not been told yet:
    # a sync meanwhile keeps the user's change; once mirrored (or given up on) the server's state rules.
    mirror_pending_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EmailLocation(SQLModel, table=True):
    """A message at one UID of one folder; the unique key makes re-syncing idempotent."""

    __tablename__ = "email_locations"
    __table_args__ = (
        UniqueConstraint("account_id", "folder_id", "uidvalidity", "uid", name="uq_email_locations_uid"),
        Index("ix_email_locations_email", "email_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("email_accounts.id", ondelete="CASCADE"), nullable=False))
    folder_id: uuid.UUID = Field(sa_column=Column(ForeignKey("mail_folders.id", ondelete="CASCADE"), nullable=False))
    email_id: uuid.UUID = Field(sa_column=Column(ForeignKey("emails.id", ondelete="CASCADE"), nullable=False))
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    flags: list[str] = Field(default_factory=list, sa_type=JSONType)


class TriageFeedback(SQLModel, table=True):
    """A user's correction of a category: the example the triage learns from for similar mail."""

    __tablename__ = "triage_feedback"
    __table_args__ = (UniqueConstraint("user_id", "email_id", name="uq_triage_feedback_user_email"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    email_id: uuid.UUID = Field(sa_column=Column(ForeignKey("emails.id", ondelete="CASCADE"), nullable=False))
    category: str = Field(max_length=50)
    sender: str | None = Field(default=None, max_length=255)
    # The email's embedding (384 float32, little-endian) so learning needs no re-embedding.
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    """Something the user must hear about (urgent mail); channels deliver it later."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "kind", "email_id", name="uq_notifications_once"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    kind: str = Field(max_length=50)
    email_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("emails.id", ondelete="CASCADE"), nullable=True))
    title: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
