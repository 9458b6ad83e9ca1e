"""Uploaded documents and saved attachments."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Text
from sqlmodel import Field, SQLModel

from openfyxer.models.types import UTCDateTime, new_id, utcnow


class Document(SQLModel, table=True):
    __tablename__ = "documents"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    # NULL when uploaded by hand rather than saved from an email.
    email_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("emails.id", ondelete="CASCADE"), nullable=True, index=True))
    filename: str | None = Field(default=None, max_length=255)
    file_type: str | None = Field(default=None, max_length=255)
    file_size: int | None = None
    # Content-addressed file under the data folder; None when it was over the size limit.
    storage_path: str | None = Field(default=None, max_length=500)
    sha256: str | None = Field(default=None, max_length=64)
    content_id: str | None = Field(default=None, max_length=255)
    content_text: str | None = Field(default=None, sa_type=Text)
    indexed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
