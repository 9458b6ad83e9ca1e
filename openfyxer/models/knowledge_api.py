"""What the knowledge API takes and returns."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    email_id: uuid.UUID | None
    filename: str | None
    file_type: str | None
    file_size: int | None
    indexed_at: datetime | None
    created_at: datetime


class DocumentList(BaseModel):
    items: list[DocumentPublic]
    total: int


class IndexProgress(BaseModel):
    emails: int
    emails_indexed: int
    documents: int
    documents_indexed: int


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=2000)
    k: int = Field(6, ge=1, le=20)


class Source(BaseModel):
    """Where an answer comes from: an email, a document, a waiting draft, a calendar event or a recorded
    meeting, to open in the dashboard."""

    n: int  # the number the answer cites it by, [n]
    # "email" | "document" | "draft" (a listing of the drafts waiting for approval) | "event" (a calendar
    # instance: `id` is its row, shown on /calendar) | "meeting" (a recording: `id` is the meeting)
    kind: str
    id: uuid.UUID
    title: str  # subject, filename or meeting title
    date: str | None
    snippet: str
    score: float
    at_s: float | None = None  # a meeting: where in the recording the cited words start, in seconds
    # Where the dashboard opens it, when the kind and id do not say enough: a meeting at that moment,
    # "/meetings/<id>?t=<seconds>".
    link: str | None = None


class Answer(BaseModel):
    answer: str
    grounded: bool  # False when the sources do not hold an answer (and the answer says so)
    sources: list[Source]


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=2000)


class ChatMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    role: str
    content: str
    grounded: bool
    sources: list[Source]
    created_at: datetime
