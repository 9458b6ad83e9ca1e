"""/api/v1/calendar: connected calendar servers, their calendars and sync, events."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response, status

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.calendar import (
    BookingOut,
    BookTime,
    CalDavConnect,
    CalendarAccountPublic,
    CalendarPublic,
    CalendarSyncOut,
    CalendarUpdate,
    EventPublic,
    EventWrite,
    OAuthCalendarConnect,
    OfferTimes,
    SlotOut,
)
from openfyxer.models.draft import DraftPublic
from openfyxer.models.types import MailAddress
from openfyxer.services.calendar import accounts, booking, editing, events, offers, scheduling

router = APIRouter(prefix="/calendar", tags=["calendar"], responses=ERRORS)
_SERVER_ERRORS = {502: {"model": ErrorOut, "description": "The calendar server failed"},
                  503: {"model": ErrorOut, "description": "The calendar server asks to slow down"}}
_CONNECT_ERRORS = {400: {"model": ErrorOut, "description": "Wrong credentials, unreachable or refused server"},
                   409: {"model": ErrorOut, "description": "Already connected"}, **_SERVER_ERRORS}
_NOT_FOUND = {404: {"model": ErrorOut, "description": "No such calendar or account"}}


@router.get("/accounts", response_model=list[CalendarAccountPublic])
def list_accounts(caller: CurrentCaller, db: DB) -> list[CalendarAccountPublic]:
    return accounts.list_accounts(db, user=caller.user)


@router.post("/accounts/caldav", status_code=status.HTTP_201_CREATED, response_model=CalendarAccountPublic,
             responses=_CONNECT_ERRORS)
def connect_caldav(body: CalDavConnect, caller: CurrentCaller, db: DB) -> CalendarAccountPublic:
    """Checks the sign-in and lists the calendars before anything is saved; each is then synced by a job."""
    account = accounts.connect_caldav(db, user=caller.user, data=body, ip=caller.ip)
    db.commit()
    return next(a for a in accounts.list_accounts(db, user=caller.user) if a.id == account.id)


@router.post("/accounts/oauth", status_code=status.HTTP_201_CREATED, response_model=CalendarAccountPublic,
             responses={**_CONNECT_ERRORS, 404: {"model": ErrorOut, "description": "No such mail account"}})
def connect_oauth(body: OAuthCalendarConnect, caller: CurrentCaller, db: DB) -> CalendarAccountPublic:
    """The calendars of a Gmail or Outlook mail account, through its provider's sign-in (no password)."""
    account = accounts.connect_oauth(db, user=caller.user, email_account_id=body.email_account_id, ip=caller.ip)
    db.commit()
    return next(a for a in accounts.list_accounts(db, user=caller.user) if a.id == account.id)


@router.delete("/accounts/{account_id}", response_model=dict[str, int], responses=_NOT_FOUND)
def remove_account(account_id: uuid.UUID, caller: CurrentCaller, db: DB) -> dict[str, int]:
    count = accounts.remove_account(db, user=caller.user, account_id=account_id, ip=caller.ip)
    db.commit()
    return {"calendars": count}


@router.patch("/calendars/{calendar_id}", response_model=CalendarPublic, responses=_NOT_FOUND)
def update_calendar(calendar_id: uuid.UUID, body: CalendarUpdate, caller: CurrentCaller, db: DB) -> CalendarPublic:
    cal = accounts.update_calendar(db, user=caller.user, calendar_id=calendar_id, data=body)
    db.commit()
    return accounts.public(cal)


@router.post("/calendars/{calendar_id}/sync", status_code=status.HTTP_202_ACCEPTED, response_model=CalendarSyncOut,
             responses=_NOT_FOUND)
def start_sync(calendar_id: uuid.UUID, caller: CurrentCaller, db: DB) -> CalendarSyncOut:
    cal, job_id = accounts.request_sync(db, user=caller.user, calendar_id=calendar_id)
    db.commit()
    return CalendarSyncOut(calendar=accounts.public(cal), job_id=job_id)


@router.get("/calendars/{calendar_id}/sync", response_model=CalendarSyncOut, responses=_NOT_FOUND)
def sync_progress(calendar_id: uuid.UUID, caller: CurrentCaller, db: DB) -> CalendarSyncOut:
    return CalendarSyncOut(calendar=accounts.public(accounts.get_calendar(db, user=caller.user,
                                                                          calendar_id=calendar_id)))


@router.get("/events", response_model=list[EventPublic])
def list_events(caller: CurrentCaller, db: DB, start: datetime = Query(alias="from"), end: datetime = Query(alias="to"),
                calendar_id: uuid.UUID | None = None, include_hidden: bool = False) -> list[EventPublic]:
    """Instances overlapping [from, to) (at most 400 days), soonest first; from and to need an offset."""
    found = events.list_events(db, user=caller.user, start=start, end=end, calendar_id=calendar_id,
                               include_hidden=include_hidden)
    return [EventPublic.of(e) for e in found]


@router.get("/slots", response_model=list[SlotOut], responses={200: {"headers": {"X-Attendees-Unknown": {
    "description": "attendees whose free/busy none of your Google or Outlook accounts could see (comma-separated)",
    "schema": {"type": "string"}}}}})
def free_slots(caller: CurrentCaller, db: DB, response: Response, start: datetime = Query(alias="from"),
               end: datetime = Query(alias="to"), duration: int = Query(30, ge=5, le=480, description="minutes"),
               propose: int = Query(0, ge=0, le=10, description="if set, only this many ranked proposals"),
               attendees: list[MailAddress] = Query([], max_length=20, description="their free/busy counts too")
               ) -> list[SlotOut]:
    """Free slots of the signed-in user in [from, to): working hours, buffers, notice and the daily cap
    from Settings, busy time from every calendar that counts, and the attendees' busy time (and Outlook
    working hours) where the user's Google or Outlook account can see it."""
    others, unknown = ([], [])
    if attendees and start.tzinfo is not None and end.tzinfo is not None and end > start:
        others, unknown = scheduling.attendees(db, user=caller.user, addresses=[str(a) for a in attendees],
                                               start=start, end=min(end, start + scheduling.MAX_WINDOW))
    if unknown:
        response.headers["X-Attendees-Unknown"] = ", ".join(unknown)
    if propose:
        found = scheduling.proposals(db, user=caller.user, start=start, end=end, duration_minutes=duration,
                                     count=propose, others=others)
    else:
        found = scheduling.free_slots(db, user=caller.user, start=start, end=end, duration_minutes=duration,
                                      others=others)
    zone = ZoneInfo(caller.user.timezone or "UTC")
    return [SlotOut(start=s.start, end=s.end, local_start=s.start.astimezone(zone), local_end=s.end.astimezone(zone))
            for s in found]


_WRITE_ERRORS = {**_NOT_FOUND, **_SERVER_ERRORS,
                 400: {"model": ErrorOut, "description": "Wrong credentials or unreachable server"},
                 409: {"model": ErrorOut, "description": "Changed on the server meanwhile: its copy wins"}}


@router.post("/events", status_code=status.HTTP_201_CREATED, response_model=EventPublic, responses=_WRITE_ERRORS)
def create_event(body: EventWrite, caller: CurrentCaller, db: DB) -> EventPublic:
    """Written to the calendar's server first, then stored here."""
    event = editing.create_event(db, user=caller.user, data=body)
    db.commit()
    return EventPublic.of(event)


@router.put("/events/{event_id}", response_model=EventPublic, responses=_WRITE_ERRORS)
def update_event(event_id: uuid.UUID, body: EventWrite, caller: CurrentCaller, db: DB) -> EventPublic:
    """A one-off event replaced whole; a series is changed in the user's calendar app."""
    event = editing.update_event(db, user=caller.user, event_id=event_id, data=body)
    db.commit()
    return EventPublic.of(event)


@router.delete("/events/{event_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_WRITE_ERRORS)
def delete_event(event_id: uuid.UUID, caller: CurrentCaller, db: DB) -> Response:
    editing.delete_event(db, user=caller.user, event_id=event_id)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/offers", status_code=status.HTTP_201_CREATED, response_model=DraftPublic,
             responses={404: {"model": ErrorOut, "description": "No such email"}})
def offer_times(body: OfferTimes, caller: CurrentCaller, db: DB) -> DraftPublic:
    """A reply draft offering up to three free times (or accepting the one the sender named, when it is
    free), in the sender's language and zone; it takes the place of a pending reply to that email."""
    draft = offers.offer_times(db, user=caller.user, email_id=body.email_id, duration_minutes=body.duration_minutes,
                               title=body.title, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(draft)


@router.post("/offers/{draft_id}/book", status_code=status.HTTP_201_CREATED, response_model=BookingOut,
             responses={**_WRITE_ERRORS, 409: {"model": ErrorOut, "description": "Booked already, or no longer free"}})
def book_time(draft_id: uuid.UUID, body: BookTime, caller: CurrentCaller, db: DB) -> BookingOut:
    """The event on the calendar now, and its invitation as a pending draft: it is sent when approved."""
    event, invite = booking.book(db, user=caller.user, draft_id=draft_id, start=body.start,
                                 calendar_id=body.calendar_id, ip=caller.ip)
    db.commit()
    return BookingOut(event=EventPublic.of(event), invitation=DraftPublic.model_validate(invite))
