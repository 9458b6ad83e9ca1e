"""Google Calendar (API v3): a user's calendars, and a calendar's events in full or since a sync token.

Google expands series itself (`singleEvents=true`): each instance carries the series' iCalUID, the
series id (`recurringEventId`) and its `originalStartTime`, so it becomes an `Instance` without any
recurrence rule read here. `showDeleted=true` brings deleted events and cancelled instances as
entries with status "cancelled"; they name what to remove.

The sync follows https://developers.google.com/calendar/api/guides/sync: a first (full) sync over the
caller's window, pages followed to the `nextSyncToken`; later syncs pass that token instead of the
window, with the other parameters unchanged as the guide asks; HTTP 410 means the token is gone and
the caller syncs in full again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from openfyxer.integrations.calendar_api import (
    MAX_PAGES,
    CalendarApiError,
    CalendarAuthError,
    CalendarRateLimited,
    Client,
    EtagConflict,
    EventGone,
    RemoteCalendar,
    SyncTokenExpired,
    iana,
    utc_text,
)
from openfyxer.integrations.calendar_values import Attendee, EventFields, Instance

__all__ = ["CalendarApiError", "CalendarAuthError", "CalendarRateLimited", "EtagConflict", "EventGone",
           "GoogleCalendarConfig", "GoogleChanges", "RemoteCalendar", "SyncTokenExpired", "calendars", "delete",
           "insert", "instance", "patch", "sync"]

DEFAULT_API_BASE = "https://www.googleapis.com/calendar/v3"
PAGE_SIZE = 2500  # the most events.list gives in one page
_PROVIDER = "Google Calendar"
# 403 reasons that mean "later", not "never" (Calendar API "Handle API errors").
_RATE_REASONS = ("rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded")
_EXPIRED_REASONS = ("fullSyncRequired", "updatedMinTooLongAgo")
_PARTSTAT = {"needsaction": "NEEDS-ACTION", "accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}
_WRITERS = ("owner", "writer")


@dataclass(frozen=True)
class GoogleCalendarConfig:
    access_token: str
    api_base: str = DEFAULT_API_BASE
    timeout: float = 20.0


@dataclass(frozen=True)
class GoogleChanges:
    events: list[Instance]  # new or changed instances
    cancelled: list[tuple[str, str | None]]  # (uid, recurrence_id) of instances and events removed
    next_sync_token: str
    skipped: list[str] = field(default_factory=list)  # one line per entry that could not be read


def _client(cfg: GoogleCalendarConfig) -> Client:
    return Client(cfg.api_base, cfg.access_token, cfg.timeout, _PROVIDER)


def calendars(cfg: GoogleCalendarConfig) -> list[RemoteCalendar]:
    """The calendars in the user's calendar list; CalendarAuthError for a refused token."""
    found: list[RemoteCalendar] = []
    page = None
    with _client(cfg) as api:
        for _ in range(MAX_PAGES):
            body = api.get(f"{api.base}/users/me/calendarList", "list the calendars",
                           params={"pageToken": page} if page else None, rate_codes=_RATE_REASONS)
            for item in body.get("items") or []:
                if isinstance(item, dict) and item.get("id") and not item.get("deleted"):
                    found.append(RemoteCalendar(
                        id=str(item["id"]),
                        # the name the user gave a calendar they subscribed to wins over its owner's
                        name=str(item.get("summaryOverride") or item.get("summary") or item["id"]),
                        color=item.get("backgroundColor") or None,
                        writable=item.get("accessRole") in _WRITERS,
                        primary=bool(item.get("primary")),
                    ))
            page = body.get("nextPageToken")
            if not page:
                return found
    raise CalendarApiError(f"the {_PROVIDER} API kept sending pages of calendars; stopped after {MAX_PAGES}")


def sync(cfg: GoogleCalendarConfig, calendar_id: str, sync_token: str | None, *,
         time_min: datetime | None = None, time_max: datetime | None = None) -> GoogleChanges:
    """Every instance of the calendar in [time_min, time_max) (no `sync_token`), or what changed since
    `sync_token` (the window is then not sent: Google refuses it beside a token).

    Raises SyncTokenExpired when Google no longer knows the token, CalendarAuthError for a refused
    access token, CalendarRateLimited (with `retry_after`) when asked to slow down."""
    params = {"singleEvents": "true", "showDeleted": "true", "maxResults": str(PAGE_SIZE)}
    if sync_token:
        params["syncToken"] = sync_token
    else:
        if time_min is not None:
            params["timeMin"] = utc_text("time_min", time_min)
        if time_max is not None:
            params["timeMax"] = utc_text("time_max", time_max)
    events: list[Instance] = []
    cancelled: list[tuple[str, str | None]] = []
    skipped: list[str] = []
    page = None
    with _client(cfg) as api:
        url = f"{api.base}/calendars/{quote(calendar_id, safe='')}/events"
        for _ in range(MAX_PAGES):
            body = api.get(url, "read the events", params={**params, **({"pageToken": page} if page else {})},
                           expired_codes=_EXPIRED_REASONS, rate_codes=_RATE_REASONS)
            zone = iana(body.get("timeZone"))
            for item in body.get("items") or []:
                _take(item, zone, events, cancelled, skipped)
            if body.get("nextSyncToken"):
                return GoogleChanges(events, cancelled, str(body["nextSyncToken"]), skipped)
            page = body.get("nextPageToken")
            if not page:
                raise CalendarApiError(f"the {_PROVIDER} API ended the event listing without a sync token")
    raise CalendarApiError(f"the {_PROVIDER} API kept sending pages of events; stopped after {MAX_PAGES}")


def _take(item: object, zone: str | None, events: list, cancelled: list, skipped: list) -> None:
    """One entry into `events` or `cancelled`; one that cannot be read is named in `skipped`, the rest count."""
    if not isinstance(item, dict):
        skipped.append("an entry that is not an event object")
        return
    try:
        if item.get("status") == "cancelled":
            cancelled.append((_uid(item), _recurrence_id(item, zone)))
        else:
            events.append(instance(item, calendar_zone=zone))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        skipped.append(f"event {str(item.get('id'))[:100]!r}: {type(e).__name__}: {str(e)[:200]}")


def instance(event: dict, *, calendar_zone: str | None = None) -> Instance:
    """One Google event resource as an Instance. `calendar_zone`: the calendar's IANA zone, for a time
    Google writes without a zone of its own."""
    start, end = _when(event["start"], calendar_zone), _when(event["end"], calendar_zone)
    all_day = not isinstance(start, datetime)
    if all_day != (not isinstance(end, datetime)):
        raise ValueError("start and end are not both dates or both times")
    if all_day:
        end = end if end > start else start + timedelta(days=1)
    else:
        end = max(end, start)
    return Instance(
        uid=_uid(event),
        recurrence_id=_recurrence_id(event, calendar_zone),
        start=start,
        end=end,
        all_day=all_day,
        tzid=None if all_day else (iana(event["start"].get("timeZone")) or calendar_zone),
        summary=str(event.get("summary") or ""),
        description=str(event.get("description") or ""),
        location=str(event.get("location") or ""),
        status=str(event.get("status") or "confirmed").upper(),
        transparent=event.get("transparency") == "transparent",
        organizer=str((event.get("organizer") or {}).get("email") or "").lower(),
        attendees=tuple(_attendee(a) for a in event.get("attendees") or [] if isinstance(a, dict) and a.get("email")),
        sequence=_int(event.get("sequence")),
        is_recurring=bool(event.get("recurringEventId")),
        remote_id=str(event.get("id") or ""),
        etag=str(event.get("etag") or ""),
    )


# --- writing ------------------------------------------------------------------------------------------
# https://developers.google.com/calendar/api/v3/reference/events: sendUpdates=none on every write, so
# Google mails nobody (an invitation is the outbox's, after the user approves it); If-Match with the
# event's etag, so a change made elsewhere meanwhile is a 412 and is never overwritten.


def _events_url(api: Client, calendar_id: str, event_id: str | None = None) -> str:
    url = f"{api.base}/calendars/{quote(calendar_id, safe='')}/events"
    return f"{url}/{quote(event_id, safe='')}" if event_id else url


def _body(fields: EventFields, *, change: bool) -> dict:
    """The event resource's fields; a change also clears the kind of time it no longer uses (null)."""
    if fields.all_day:
        start, end = {"date": fields.start.isoformat()}, {"date": fields.end.isoformat()}
        cleared = {"dateTime": None, "timeZone": None}
    else:
        zone = ZoneInfo(fields.tzid)
        start = {"dateTime": fields.start.astimezone(zone).isoformat(), "timeZone": fields.tzid}
        end = {"dateTime": fields.end.astimezone(zone).isoformat(), "timeZone": fields.tzid}
        cleared = {"date": None}
    if change:
        start, end = {**start, **cleared}, {**end, **cleared}
    return {"summary": fields.title, "description": fields.description, "location": fields.location,
            "start": start, "end": end}


def insert(cfg: GoogleCalendarConfig, calendar_id: str, fields: EventFields) -> Instance:
    """A new event (no guests: Google would put it on their calendars before the user approved any
    invitation); the event as Google keeps it, with its iCalUID, id and etag."""
    with _client(cfg) as api:
        body = api.write("POST", _events_url(api, calendar_id), "create the event", body=_body(fields, change=False),
                         params={"sendUpdates": "none"}, rate_codes=_RATE_REASONS)
    return instance(body)


def patch(cfg: GoogleCalendarConfig, calendar_id: str, event_id: str, fields: EventFields,
          etag: str | None) -> Instance:
    """Change the event's title, place, notes and times while it is still the version `etag` names."""
    with _client(cfg) as api:
        body = api.write("PATCH", _events_url(api, calendar_id, event_id), "change the event",
                         body=_body(fields, change=True), etag=etag, params={"sendUpdates": "none"},
                         rate_codes=_RATE_REASONS)
    return instance(body)


def delete(cfg: GoogleCalendarConfig, calendar_id: str, event_id: str, etag: str | None) -> None:
    """Delete the event while it is still the version `etag` names; one already gone is no error."""
    with _client(cfg) as api:
        try:
            api.write("DELETE", _events_url(api, calendar_id, event_id), "delete the event", etag=etag,
                      params={"sendUpdates": "none"}, rate_codes=_RATE_REASONS)
        except EventGone:
            return


def _uid(event: dict) -> str:
    if event.get("iCalUID"):
        return str(event["iCalUID"])
    # A deleted entry is only sure to carry its id. Google makes the iCalUID of an event created in
    # Google Calendar from the (series) id this way; an imported event's UID cannot be recovered here.
    return f"{event.get('recurringEventId') or event['id']}@google.com"


def _recurrence_id(event: dict, zone: str | None) -> str | None:
    """The instance's original start, as timeline writes a RECURRENCE-ID: UTC ISO, or the date."""
    if not event.get("recurringEventId"):
        return None
    return _when(event["originalStartTime"], zone).isoformat()


def _when(value: dict, zone: str | None) -> datetime | date:
    if value.get("dateTime"):
        moment = datetime.fromisoformat(str(value["dateTime"]))
        if moment.utcoffset() is None:  # the API allows a time without offset when a zone is named
            moment = moment.replace(tzinfo=ZoneInfo(iana(value.get("timeZone")) or zone or "UTC"))
        return moment.astimezone(UTC)
    return date.fromisoformat(str(value["date"]))


def _attendee(a: dict) -> Attendee:
    role = "NON-PARTICIPANT" if a.get("resource") else "OPT-PARTICIPANT" if a.get("optional") else "REQ-PARTICIPANT"
    return Attendee(
        email=str(a["email"]).strip().lower(),
        name=str(a.get("displayName") or ""),
        partstat=_PARTSTAT.get(str(a.get("responseStatus") or "needsAction").lower(), "NEEDS-ACTION"),
        role=role,
    )


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
