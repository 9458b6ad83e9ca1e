"""API shapes for emails."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["urgent", "to_respond", "fyi", "newsletter", "spam"]


class EmailSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    account_id: uuid.UUID
    thread_id: str | None
    subject: str | None
    sender: str | None
    sender_name: str | None
    received_at: datetime | None
    category: str | None
    needs_reply: bool
    triage_reason: str | None
    is_read: bool
    has_attachments: bool
    folder_role: str | None
    snippet: str
    starred: bool = False
    done_at: datetime | None = None
    snoozed_until: datetime | None = None


class AttachmentInfo(BaseModel):
    id: uuid.UUID
    filename: str | None
    content_type: str | None
    size: int | None
    saved: bool


class EmailDetail(EmailSummary):
    message_id: str
    recipients: list[str]
    cc: list[str]
    reply_to: list[str]
    body_text: str | None
    body_html: str | None
    has_remote_images: bool
    images_allowed: bool
    parse_error: str | None
    list_unsubscribe: str | None = None  # a mailing list's ways out (POST /emails/{id}/unsubscribe uses them)
    attachments: list[AttachmentInfo]
    thread: list[EmailSummary]


class EmailPage(BaseModel):
    items: list[EmailSummary]
    total: int
    limit: int
    offset: int


class EmailUpdate(BaseModel):
    """A new category is a correction the triage learns from; is_read is pushed to the server too."""

    model_config = ConfigDict(extra="forbid")
    category: Category | None = None
    is_read: bool | None = None


Action = Literal["archive", "trash", "inbox", "done", "undone", "star", "unstar", "snooze", "unsnooze", "read", "unread"]


class EmailAction(BaseModel):
    """One action on one message or many (at most 500): archive and trash move it on the server too,
    star sets \\Flagged, snooze (with `until`, a time with its zone) hides it until then."""

    model_config = ConfigDict(extra="forbid")
    email_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    action: Action
    until: datetime | None = None


class EmailActionDone(BaseModel):
    items: list[EmailSummary]
    undo_token: str = Field(description="POST it to /emails/undo within a minute to put the messages back")


class UndoRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    undo_token: str = Field(min_length=10, max_length=100)
