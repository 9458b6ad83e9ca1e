"""Reply drafts awaiting the user's approval."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from openfyxer.models.types import UTCDateTime, new_id, utcnow

STATUSES = ("pending", "approved", "sending", "sent", "failed", "rejected")


class Draft(SQLModel, table=True):
    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_user_status", "user_id", "status"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("emails.id", ondelete="CASCADE"), nullable=True, index=True))
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    content: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=20)
    llm_model: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
