"""Reading the user's events: a window of instances for the week view and the API, and the busy
time the slot search must avoid."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from openfyxer.core.errors import ValidationError
from openfyxer.models.calendar import Calendar, CalendarEvent
from openfyxer.models.user import User

# An all-day date is stored at midnight UTC; in the user's zone it may start up to 14 hours either side.
_ALL_DAY_SLACK = timedelta(hours=14)
MAX_WINDOW = timedelta(days=400)


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("from and to need a time zone (an offset or Z)")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise ValidationError("to must be after from")
    if end - start > MAX_WINDOW:
        raise ValidationError(f"ask for at most {MAX_WINDOW.days} days at a time")
    return start, end


def list_events(session: Session, *, user: User, start: datetime, end: datetime,
                calendar_id: uuid.UUID | None = None, include_hidden: bool = False) -> list[CalendarEvent]:
    """The instances overlapping [start, end) on the user's calendars (shown ones unless asked), soonest
    first; cancelled instances are left out."""
    start, end = _window(start, end)
    zone = ZoneInfo(user.timezone or "UTC")
    query = (select(CalendarEvent).join(Calendar, Calendar.id == CalendarEvent.calendar_id)
             .where(CalendarEvent.user_id == user.id, CalendarEvent.status != "CANCELLED",
                    CalendarEvent.start_time < end + _ALL_DAY_SLACK, CalendarEvent.end_time > start - _ALL_DAY_SLACK)
             .order_by(CalendarEvent.start_time))
    if calendar_id is not None:
        query = query.where(CalendarEvent.calendar_id == calendar_id)
    if not include_hidden:
        query = query.where(Calendar.visible)
    return [e for e in session.exec(query).all() if _overlaps(e, start, end, zone)]


def local_span(event: CalendarEvent, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """When the event happens, in UTC: an all-day event covers its dates from midnight in `zone`."""
    if not event.is_all_day:
        return event.start_time.astimezone(UTC), event.end_time.astimezone(UTC)
    first, after = event.start_time.date(), event.end_time.date()
    return (datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC),
            datetime.combine(after, time(0), tzinfo=zone).astimezone(UTC))


def _overlaps(event: CalendarEvent, start: datetime, end: datetime, zone: ZoneInfo) -> bool:
    a, b = local_span(event, zone)
    return a < end and (b > start or (a == b and a >= start))


def busy(session: Session, *, user: User, start: datetime, end: datetime,
         count_tentative: bool = True) -> list[tuple[datetime, datetime]]:
    """The user's busy time in [start, end): events of every calendar that counts as busy, shown or
    not, except free (transparent) ones and, unless `count_tentative`, tentative ones."""
    start, end = _window(start, end)
    zone = ZoneInfo(user.timezone or "UTC")
    query = (select(CalendarEvent).join(Calendar, Calendar.id == CalendarEvent.calendar_id)
             .where(CalendarEvent.user_id == user.id, Calendar.busy, CalendarEvent.status != "CANCELLED",
                    CalendarEvent.transparent.is_(False),
                    CalendarEvent.start_time < end + _ALL_DAY_SLACK, CalendarEvent.end_time > start - _ALL_DAY_SLACK))
    if not count_tentative:
        query = query.where(CalendarEvent.status != "TENTATIVE")
    spans = [local_span(e, zone) for e in session.exec(query).all()]
    return sorted((a, b) for a, b in spans if a < end and b > start)
