"""Invitations received by mail (iTIP REQUEST, CANCEL, REPLY in a text/calendar part): what the email
page shows of them and the answers the user gives. Nothing here is stored: an invitation is read
from the email's calendar parts each time, the answers are REPLY drafts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field as PField

from openfyxer.models.calendar import EventPublic
from openfyxer.models.draft import DraftPublic

Answer = Literal["accepted", "tentative", "declined"]
# new: not on the user's calendars; updated: on them with a lower SEQUENCE (the organizer changed it);
# outdated: a later version is on them; on_calendar: this version is on them; cancelled: a CANCEL;
# reply: someone answered the user's invitation.
Status = Literal["new", "updated", "outdated", "on_calendar", "cancelled", "reply"]


class InvitationAttendee(BaseModel):
    email: str
    name: str
    partstat: str  # NEEDS-ACTION, ACCEPTED, TENTATIVE, DECLINED, DELEGATED
    role: str


class InvitationConflict(BaseModel):
    """One of the user's busy events overlapping the invitation's time."""

    event_id: uuid.UUID
    title: str | None
    start: datetime
    end: datetime
    all_day: bool


class InvitationOut(BaseModel):
    uid: str
    method: Literal["REQUEST", "CANCEL", "REPLY"]
    status: Status
    sequence: int
    recurrence_id: str | None = PField(description="set when the object is about one instance of a series")
    recurring: bool
    summary: str
    location: str
    start: datetime | None = PField(description="UTC; midnight UTC of the first date for an all-day event")
    end: datetime | None
    all_day: bool
    start_date: date | None = None
    end_date: date | None = PField(None, description="exclusive")
    tzid: str | None
    organizer: str
    sender_is_organizer: bool = PField(description="the mail's sender is the ORGANIZER it names: a CANCEL or an "
                                                   "update is applied only then")
    attendees: list[InvitationAttendee]
    me: str | None = PField(description="the user's address among the attendees")
    answer: Answer | None = PField(description="the user's latest answer, from the REPLY drafts made for it")
    reply_draft_id: uuid.UUID | None = None
    event: EventPublic | None = PField(description="the event as the user's calendar holds it")
    conflicts: list[InvitationConflict] = PField(description="busy events overlapping its (first) time")


class InvitationsOut(BaseModel):
    email_id: uuid.UUID
    invitations: list[InvitationOut]
    skipped: list[str] = PField(description="calendar parts or events that could not be read, one line each")


class InvitationRespond(BaseModel):
    """Answer an invitation: the REPLY goes to the organizer through the outbox at once (this request
    is the user's approval), and the calendar follows the answer."""

    model_config = ConfigDict(extra="forbid")
    email_id: uuid.UUID
    uid: str = PField(min_length=1, max_length=500)
    answer: Answer
    calendar_id: uuid.UUID | None = PField(None, description="where a new event goes; default: the first shown "
                                                              "calendar that counts as busy")


class InvitationTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_id: uuid.UUID
    uid: str = PField(min_length=1, max_length=500)


class RespondOut(BaseModel):
    reply: DraftPublic
    event: EventPublic | None = PField(description="the event on the calendar; null when declined or no calendar")


class CancelOut(BaseModel):
    removed: bool = PField(description="false when the event was not on the user's calendars")


class ReplyOut(BaseModel):
    event: EventPublic | None
    attendee: InvitationAttendee
    changed: bool
