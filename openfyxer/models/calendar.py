"""Calendars: the servers a user connected, their calendars, the events as the server holds them
(`calendar_objects`, one iCalendar resource each) and the instances expanded from them
(`calendar_events`, what the week view and the free-slot search read)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlmodel import Field, SQLModel

from openfyxer.models.types import EncryptedText, JSONType, UTCDateTime, new_id, utcnow
from openfyxer.models.draft import DraftPublic

CALENDAR_PROVIDERS = ("caldav", "google", "microsoft")


class CalendarAccount(SQLModel, table=True):
    """A calendar server and the sign-in to it (CalDAV: the URL, a user name, an app password)."""

    __tablename__ = "calendar_accounts"
    __table_args__ = (UniqueConstraint("user_id", "server_url", "username", name="uq_calendar_accounts_user_server"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    provider: str = Field(sa_column=Column(String(50), nullable=False))
    server_url: str = Field(max_length=500)
    username: str = Field(max_length=255)
    password: str | None = Field(default=None, sa_type=EncryptedText("calendar_accounts.password"))
    # Google and Microsoft calendars sign in with the mail account's OAuth grant (the same consent):
    # Google's access token serves both; Graph needs its own, kept in `password` until `token_expires_at`.
    email_account_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        ForeignKey("email_accounts.id", ondelete="CASCADE", name="fk_calendar_accounts_email_account_id"),
        nullable=True))
    token_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Calendar(SQLModel, table=True):
    """One calendar of an account: shown or hidden, counted as busy or not, and where its sync stands."""

    __tablename__ = "calendars"
    __table_args__ = (UniqueConstraint("account_id", "url", name="uq_calendars_account_url"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True))
    account_id: uuid.UUID = Field(sa_column=Column(ForeignKey("calendar_accounts.id", ondelete="CASCADE"),
                                                   nullable=False, index=True))
    url: str = Field(max_length=1000)
    name: str = Field(default="", max_length=255)
    color: str | None = Field(default=None, max_length=20)
    visible: bool = True
    busy: bool = True  # its events block free slots
    # False for a calendar the provider lets the user only read (a subscription, a colleague's shared one)
    writable: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    sync_token: str | None = Field(default=None, sa_type=Text)
    sync_state: str = Field(default="idle", max_length=20)  # idle, syncing, error
    sync_error: str | None = Field(default=None, sa_type=Text)
    synced_events: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    skipped: list[str] = Field(default_factory=list, sa_type=JSONType)  # malformed events left out, one line each
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CalendarObject(SQLModel, table=True):
    """One iCalendar resource as the server holds it: kept whole so an edit writes back what it read."""

    __tablename__ = "calendar_objects"
    __table_args__ = (UniqueConstraint("calendar_id", "href", name="uq_calendar_objects_calendar_href"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    calendar_id: uuid.UUID = Field(sa_column=Column(ForeignKey("calendars.id", ondelete="CASCADE"), nullable=False,
                                                    index=True))
    href: str = Field(max_length=1000)
    etag: str | None = Field(default=None, max_length=255)
    uid: str = Field(default="", max_length=500)
    data: str = Field(sa_type=Text)  # the iCalendar text; "" for an instance a JSON API gave
    remote_id: str | None = Field(default=None, max_length=1024)  # what Google / Graph call the event
    recurring: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CalendarEvent(SQLModel, table=True):
    """One instance of an event, in UTC; all-day ones from midnight UTC of their first date to midnight
    UTC of the day after their last (their dates are what counts: the reader places them in its zone)."""

    __tablename__ = "calendar_events"
    __table_args__ = (
        Index("ix_calendar_events_user_start", "user_id", "start_time"),
        UniqueConstraint("object_id", "uid", "recurrence_id", name="uq_calendar_events_instance"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    calendar_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        ForeignKey("calendars.id", ondelete="CASCADE"), nullable=True, index=True))
    object_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        ForeignKey("calendar_objects.id", ondelete="CASCADE"), nullable=True, index=True))
    provider: str = Field(sa_column=Column(String(50), nullable=False))
    external_id: str | None = Field(default=None, max_length=255)
    uid: str = Field(default="", max_length=500)
    recurrence_id: str = Field(default="", max_length=40)  # "" for a one-off event
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    start_time: datetime = Field(sa_type=UTCDateTime)
    end_time: datetime = Field(sa_type=UTCDateTime)
    tzid: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=500)
    attendees: list[str] = Field(default_factory=list, sa_type=JSONType)
    organizer: str | None = Field(default=None, max_length=255)
    status: str = Field(default="CONFIRMED", max_length=20)
    transparent: bool = False
    is_all_day: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API shapes -------------------------------------------------------------------------------

class CalDavConnect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = PField(min_length=1, max_length=500, description="the CalDAV server or calendar-home URL")
    username: str = PField(min_length=1, max_length=255)
    password: str = PField(min_length=1, max_length=1000, description="an app password where the server offers them")


class CalendarPublic(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    color: str | None
    visible: bool
    busy: bool
    writable: bool = True
    sync_state: str
    sync_error: str | None
    synced_events: int
    skipped: list[str]
    last_synced_at: datetime | None


class CalendarUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visible: bool | None = None
    busy: bool | None = None


class CalendarAccountPublic(BaseModel):
    id: uuid.UUID
    provider: str
    server_url: str
    username: str
    calendars: list[CalendarPublic]


class CalendarSyncOut(BaseModel):
    calendar: CalendarPublic
    job_id: str | None = None


class EventPublic(BaseModel):
    """One instance. All-day events carry their dates (`start_date`, exclusive `end_date`) and the
    midnight-UTC instants they are stored at; timed ones their UTC instants and the zone they were written in."""

    id: uuid.UUID
    calendar_id: uuid.UUID | None
    uid: str
    recurrence_id: str
    title: str | None
    description: str | None
    location: str | None
    start: datetime
    end: datetime
    all_day: bool
    start_date: date | None = None
    end_date: date | None = None
    tzid: str | None
    status: str
    transparent: bool
    organizer: str | None
    attendees: list[str]

    @classmethod
    def of(cls, e: CalendarEvent) -> EventPublic:
        return cls(id=e.id, calendar_id=e.calendar_id, uid=e.uid, recurrence_id=e.recurrence_id, title=e.title,
                   description=e.description, location=e.location, start=e.start_time, end=e.end_time,
                   all_day=e.is_all_day, start_date=e.start_time.date() if e.is_all_day else None,
                   end_date=e.end_time.date() if e.is_all_day else None, tzid=e.tzid, status=e.status,
                   transparent=e.transparent, organizer=e.organizer, attendees=list(e.attendees or []))


class SlotOut(BaseModel):
    start: datetime  # UTC
    end: datetime
    local_start: datetime  # the same instant in the user's zone, as they read it
    local_end: datetime


class EventWrite(BaseModel):
    """A new event, or the new values of one (every field is written: the form sends the whole event).
    Timed: `start` and `end` with an offset, `tzid` the zone it is kept in (the user's by default).
    All-day: `all_day` with `start_date` and an exclusive `end_date`."""

    model_config = ConfigDict(extra="forbid")

    calendar_id: uuid.UUID | None = None  # required to create; ignored on an update
    title: str = PField(min_length=1, max_length=500)
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    tzid: str | None = PField(None, max_length=64)
    location: str = PField("", max_length=500)
    description: str = PField("", max_length=10_000)


class OAuthCalendarConnect(BaseModel):
    """Use the calendars of a Gmail or Outlook account connected for mail (its sign-in covers them)."""

    model_config = ConfigDict(extra="forbid")
    email_account_id: uuid.UUID


class OfferTimes(BaseModel):
    """Offer meeting times in reply to an email: a draft written from the calendar's free slots."""

    model_config = ConfigDict(extra="forbid")
    email_id: uuid.UUID
    duration_minutes: int | None = PField(None, ge=5, le=480)  # default: what the mail says, else 30
    title: str | None = PField(None, min_length=1, max_length=200)


class BookTime(BaseModel):
    """Book one time for the meeting a draft offered (any time free now, usually one of those offered)."""

    model_config = ConfigDict(extra="forbid")
    start: datetime
    calendar_id: uuid.UUID | None = None  # default: the one chosen when the times were offered


class BookingOut(BaseModel):
    event: EventPublic
    invitation: DraftPublic
