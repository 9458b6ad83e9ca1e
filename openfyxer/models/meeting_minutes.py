"""A meeting's minutes (kept as one JSON document on the meeting) and the reminders its action items
become (a table: they are found by due time across all users)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import Column, ForeignKey, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from openfyxer.models.types import MailAddress, UTCDateTime, new_id, utcnow


class Cite(BaseModel):
    """A stretch of the recording an item comes from, in seconds from its start."""

    start_s: float = PField(ge=0)
    end_s: float = PField(ge=0)


class Item(BaseModel):
    """A summary point, a decision or an open question. `segments` are the transcript lines cited
    (their place in spoken order); `cites` their times, merged where they touch."""

    model_config = ConfigDict(extra="ignore")
    id: str = PField(default_factory=lambda: uuid.uuid4().hex[:12], max_length=32)
    text: str = PField(min_length=1, max_length=2000)
    segments: list[int] = []
    cites: list[Cite] = []
    flags: list[str] = []  # what code found suspicious in what the model wrote (an unknown address...)


class ActionItem(Item):
    """What is to be done, by whom (matched by code to an attendee or someone in the user's mail), and
    by when: `due` is a date code read from the words spoken (`due_words`) against the meeting's day."""

    owner_name: str | None = PField(None, max_length=200)
    owner_email: str | None = PField(None, max_length=320)
    due: date | None = None
    due_time: str | None = PField(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    due_words: str | None = PField(None, max_length=200)


class Minutes(BaseModel):
    model_config = ConfigDict(extra="ignore")
    summary: list[Item] = []
    decisions: list[Item] = []
    action_items: list[ActionItem] = []
    questions: list[Item] = []
    language: str | None = None
    notes: list[str] = []  # parts of the transcript the model could not summarise, said plainly
    model: str | None = None
    generated_at: datetime | None = None


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = PField("", max_length=200)
    email: MailAddress | None = None


class ItemEdit(BaseModel):
    """An item as the user leaves it. An `id` of an existing item keeps its citations unless `cites`
    is given; a new item may cite nothing (the user wrote it)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = PField(None, max_length=32)
    text: str = PField(min_length=1, max_length=2000)
    cites: list[Cite] | None = PField(None, max_length=50)


class ActionItemEdit(ItemEdit):
    owner_name: str | None = PField(None, max_length=200)
    owner_email: MailAddress | None = None
    due: date | None = None
    due_time: str | None = PField(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class MinutesEdit(BaseModel):
    """PATCH: each section given replaces that section whole (items left out are removed)."""

    model_config = ConfigDict(extra="forbid")
    summary: list[ItemEdit] | None = PField(None, max_length=200)
    decisions: list[ItemEdit] | None = PField(None, max_length=200)
    action_items: list[ActionItemEdit] | None = PField(None, max_length=200)
    questions: list[ItemEdit] | None = PField(None, max_length=200)


class MeetingDetailsUpdate(BaseModel):
    """What the user types about a meeting: its attendees, the calendar event it was, when it began."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = PField(None, min_length=1, max_length=300)
    attendees: list[Attendee] | None = PField(None, max_length=200)
    calendar_event_id: uuid.UUID | None = None
    started_at: datetime | None = None


class SummarizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Minutes the user edited are only replaced when they say so.
    overwrite_edits: bool = False


class RemindRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: datetime | None = None  # when to remind (an item without a due date needs one)


class MinutesOut(BaseModel):
    status: str
    error: str | None
    edited: bool
    minutes: Minutes | None


class FollowUpDraftOut(BaseModel):
    draft_id: uuid.UUID
    created: bool  # False: the meeting's follow-up draft already existed and is returned


REMINDER_STATES = ("waiting", "sent", "dismissed")


class MeetingReminder(SQLModel, table=True):
    """An action item the user asked to be reminded of: told through the "follow_up" event at `due_at`.
    One per item (unique), so asking twice makes one reminder."""

    __tablename__ = "meeting_reminders"
    __table_args__ = (UniqueConstraint("meeting_id", "item_id", name="uq_meeting_reminders_item"),
                      Index("ix_meeting_reminders_state_due", "state", "due_at"))

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    meeting_id: uuid.UUID = Field(sa_column=Column(ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False))
    item_id: str = Field(max_length=32)
    what: str = Field(default="", max_length=500)  # the item as it read when the reminder was asked for
    owner: str = Field(default="", max_length=300)
    due_at: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default="waiting", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReminderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    meeting_id: uuid.UUID
    item_id: str
    what: str
    owner: str
    due_at: datetime
    state: str
