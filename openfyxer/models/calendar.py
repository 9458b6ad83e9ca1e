"""Calendar events synced from providers or created by the assistant."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from openfyxer.models.types import JSONType, UTCDateTime, new_id, utcnow


class CalendarEvent(SQLModel, table=True):
    __tablename__ = "calendar_events"
    __table_args__ = (Index("ix_calendar_events_user_start", "user_id", "start_time"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    provider: str = Field(sa_column=Column(String(50), nullable=False))
    external_id: str | None = Field(default=None, max_length=255)
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    start_time: datetime = Field(sa_type=UTCDateTime)
    end_time: datetime = Field(sa_type=UTCDateTime)
    location: str | None = Field(default=None, max_length=500)
    attendees: list[str] = Field(default_factory=list, sa_type=JSONType)
    is_all_day: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
