"""Synced messages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import JSONType, UTCDateTime, new_id, utcnow

CATEGORIES = ("urgent", "to_respond", "fyi", "newsletter", "spam")


class Email(SQLModel, table=True):
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
    subject: str | None = Field(default=None, sa_type=Text)
    sender: str | None = Field(default=None, max_length=255)
    recipients: list[str] = Field(default_factory=list, sa_type=JSONType)
    body_text: str | None = Field(default=None, sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    category: str | None = Field(default=None, max_length=50)
    has_attachments: bool = False
    is_read: bool = False
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
