"""Meeting recordings and what was made of them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Text
from sqlmodel import Field, SQLModel

from openfyxer.models.types import JSONType, UTCDateTime, new_id, utcnow


class Meeting(SQLModel, table=True):
    __tablename__ = "meetings"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    calendar_event_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("calendar_events.id", ondelete="SET NULL"), nullable=True))
    audio_file_path: str | None = Field(default=None, max_length=500)
    transcript: str | None = Field(default=None, sa_type=Text)
    summary: str | None = Field(default=None, sa_type=Text)
    action_items: list[str] = Field(default_factory=list, sa_type=JSONType)
    transcribed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
