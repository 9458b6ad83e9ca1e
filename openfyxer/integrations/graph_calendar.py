"""Microsoft 365 / Outlook calendars through Microsoft Graph v1.0: a user's calendars, and one
calendar's events over a window, in full or since the last delta link.

A calendar view expands series on the server: occurrences and exceptions come with `type` and
`seriesMasterId`, an exception with its `originalStart`. The sync is a delta round
(https://learn.microsoft.com/graph/delta-query-events): the first request names the window, each
page links to the next (`@odata.nextLink`), the last gives the `@odata.deltaLink` that the next
sync requests as it is. Removed events come back as their Graph id alone, so `GraphChanges.keys`
says which (uid, recurrence_id) each Graph id stands for, for the caller to keep.

Times are asked for in UTC (`Prefer: outlook.timezone="UTC"`); a zone the answer names anyway, and
`originalStartTimeZone`, may be a Windows name, mapped through icalendar's Windows -> IANA table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

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
    tzinfo_of,
    utc_text,
)
from openfyxer.integrations.calendar_values import Attendee, EventFields, Instance

__all__ = ["CalendarApiError", "CalendarAuthError", "CalendarRateLimited", "EtagConflict", "EventGone",
           "GraphCalendarConfig", "GraphChanges", "RemoteCalendar", "SyncTokenExpired", "calendars", "create",
           "delete", "delta", "instance", "update"]

DEFAULT_API_BASE = "https://graph.microsoft.com/v1.0"
PAGE_SIZE = 200
# Two preferences in one header: Prefer is a list header (RFC 7240), so this is the same as two lines.
_PREFER = f'odata.maxpagesize={PAGE_SIZE}, outlook.timezone="UTC"'
_PROVIDER = "Microsoft Graph"
# Graph says 410 for a delta token it dropped, and sometimes 400 with one of these codes.
_EXPIRED_CODES = ("SyncStateNotFound", "SyncStateInvalid", "resyncRequired")
_PARTSTAT = {"none": "NEEDS-ACTION", "notresponded": "NEEDS-ACTION", "organizer": "ACCEPTED",
             "accepted": "ACCEPTED", "declined": "DECLINED", "tentativelyaccepted": "TENTATIVE"}
_ROLE = {"required": "REQ-PARTICIPANT", "optional": "OPT-PARTICIPANT", "resource": "NON-PARTICIPANT"}
# An Exchange iCalUId is a hex Global Object ID: this header, then the original date of an occurrence
# (bytes 16-19), which are zero in the id of the series itself ([MS-OXOCAL] 2.2.1.27 and 2.2.1.28).
_GLOBAL_OBJECT_ID = "040000008200E00074C5B7101A82E008"
# Graph reports a change-key mismatch on a write as 409 with this code, besides the 412 of If-Match.
_CONFLICT_CODES = ("ErrorIrresolvableConflict",)
# The Windows name of each IANA zone, for writing: Graph documents Windows names as what every
# mailbox takes. The first Windows name of a zone wins (the table's order is CLDR's).
_WINDOWS = {olson: windows for windows, olson in reversed(list(WINDOWS_TO_OLSON.items()))}


@dataclass(frozen=True)
class GraphCalendarConfig:
    access_token: str
    api_base: str = DEFAULT_API_BASE
    timeout: float = 20.0


@dataclass(frozen=True)
class GraphChanges:
    events: list[Instance]  # new or changed instances
    removed: list[str]  # Graph event ids
    delta_link: str  # the URL the next sync requests
    keys: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # Graph id -> (uid, recurrence_id)
    skipped: list[str] = field(default_factory=list)  # one line per entry that could not be read


def _client(cfg: GraphCalendarConfig) -> Client:
    return Client(cfg.api_base, cfg.access_token, cfg.timeout, _PROVIDER)


def calendars(cfg: GraphCalendarConfig) -> list[RemoteCalendar]:
    """The user's calendars; CalendarAuthError for a refused token."""
    found: list[RemoteCalendar] = []
    with _client(cfg) as api:
        url = f"{api.base}/me/calendars"
        for _ in range(MAX_PAGES):
            body = api.get(url, "list the calendars")
            for item in body.get("value") or []:
                if isinstance(item, dict) and item.get("id"):
                    found.append(RemoteCalendar(
                        id=str(item["id"]),
                        name=str(item.get("name") or item["id"]),
                        # `color` is a palette name ("lightBlue", "auto"); hexColor is the colour shown
                        color=item.get("hexColor") or None,
                        writable=bool(item.get("canEdit")),
                        primary=bool(item.get("isDefaultCalendar")),
                    ))
            if not body.get("@odata.nextLink"):
                return found
            url = api.link(str(body["@odata.nextLink"]))
    raise CalendarApiError(f"the {_PROVIDER} API kept sending pages of calendars; stopped after {MAX_PAGES}")


def delta(cfg: GraphCalendarConfig, calendar_id: str, start: datetime, end: datetime,
          delta_link: str | None) -> GraphChanges:
    """Every instance of the calendar in [start, end) (no `delta_link`), or what changed since the round
    that gave `delta_link` (the window is then the one that round named).

    A delta link is a URL the server gave: it is requested only on the API's own server (else
    OutboundRefused). Raises SyncTokenExpired when Graph no longer knows the link, CalendarAuthError
    for a refused access token, CalendarRateLimited (with `retry_after`) when asked to slow down."""
    changed: dict[str, Instance] = {}
    removed: dict[str, None] = {}
    skipped: list[str] = []
    with _client(cfg) as api:
        if delta_link:
            url, params = api.link(delta_link), None
        else:
            url = f"{api.base}/me/calendars/{quote(calendar_id, safe='')}/calendarView/delta"
            params = {"startDateTime": utc_text("start", start), "endDateTime": utc_text("end", end)}
        for _ in range(MAX_PAGES):
            body = api.get(url, "read the events", params=params, headers={"Prefer": _PREFER},
                           expired_codes=_EXPIRED_CODES)
            for item in body.get("value") or []:
                _take(item, changed, removed, skipped)
            if body.get("@odata.deltaLink"):
                keys = {gid: (i.uid, i.recurrence_id) for gid, i in changed.items()}
                return GraphChanges(list(changed.values()), list(removed), api.link(str(body["@odata.deltaLink"])),
                                    keys, skipped)
            if not body.get("@odata.nextLink"):
                raise CalendarApiError(f"the {_PROVIDER} API ended the delta round without a delta link")
            url, params = api.link(str(body["@odata.nextLink"])), None
    raise CalendarApiError(f"the {_PROVIDER} API kept sending pages of events; stopped after {MAX_PAGES}")


def _take(item: object, changed: dict, removed: dict, skipped: list) -> None:
    """One entry of a page; a later entry for the same id wins, as the round reports them in order."""
    if not isinstance(item, dict) or not item.get("id"):
        skipped.append("an entry without an event id")
        return
    gid = str(item["id"])
    if "@removed" in item:
        changed.pop(gid, None)
        removed[gid] = None
        return
    try:
        changed[gid] = instance(item)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        skipped.append(f"event {gid[:100]!r}: {type(e).__name__}: {str(e)[:200]}")
        return
    removed.pop(gid, None)


def instance(event: dict) -> Instance:
    """One Graph event resource (a single instance, an occurrence or an exception) as an Instance."""
    all_day = bool(event.get("isAllDay"))
    written_in = iana(event.get("originalStartTimeZone"))
    first, last = _moment(event["start"]), _moment(event["end"])
    if all_day:
        start, end = _day(event["start"], written_in), _day(event["end"], written_in)
        end = end if end > start else start + timedelta(days=1)
    else:
        start, end = first, max(last, first)
    kind = event.get("type") or "singleInstance"
    recurring = kind in ("occurrence", "exception")
    show_as = event.get("showAs")
    return Instance(
        uid=_uid(event, recurring),
        recurrence_id=_original_start(event, start, written_in) if recurring else None,
        start=start,
        end=end,
        all_day=all_day,
        tzid=None if all_day else (written_in or iana(event["start"].get("timeZone"))),
        summary=str(event.get("subject") or ""),
        description=str(event.get("bodyPreview") or ""),
        location=str((event.get("location") or {}).get("displayName") or ""),
        status="CANCELLED" if event.get("isCancelled") else "TENTATIVE" if show_as == "tentative" else "CONFIRMED",
        transparent=show_as == "free",
        organizer=_address(event.get("organizer")),
        attendees=tuple(_attendee(a) for a in event.get("attendees") or [] if isinstance(a, dict) and _address(a)),
        sequence=0,  # Graph does not expose the iCalendar SEQUENCE
        is_recurring=recurring,
        remote_id=str(event.get("id") or ""),
        etag=str(event.get("@odata.etag") or ""),
    )


# --- writing ------------------------------------------------------------------------------------------
# https://learn.microsoft.com/graph/api/calendar-post-events, event-update, event-delete. An event
# written with attendees is mailed to them by Exchange at once, so none are written: the invitation
# is the outbox's, after the user approves it. Changes carry If-Match with the event's @odata.etag.


def _when(moment: datetime | date, all_day: bool, zone: str) -> dict:
    windows = _WINDOWS.get(zone)
    if all_day:  # midnight of the date, in the zone the event is written in
        return {"dateTime": f"{moment.isoformat()}T00:00:00", "timeZone": windows or "UTC"}
    if windows is None:
        return {"dateTime": moment.astimezone(UTC).replace(tzinfo=None).isoformat(), "timeZone": "UTC"}
    return {"dateTime": moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(), "timeZone": windows}


def _body(fields: EventFields) -> dict:
    return {"subject": fields.title, "body": {"contentType": "text", "content": fields.description},
            "location": {"displayName": fields.location}, "isAllDay": fields.all_day,
            "start": _when(fields.start, fields.all_day, fields.tzid),
            "end": _when(fields.end, fields.all_day, fields.tzid)}


def create(cfg: GraphCalendarConfig, calendar_id: str, fields: EventFields) -> Instance:
    """A new event in the calendar; the event as Graph keeps it, with its id, iCalUId and etag."""
    with _client(cfg) as api:
        body = api.write("POST", f"{api.base}/me/calendars/{quote(calendar_id, safe='')}/events", "create the event",
                         body=_body(fields), headers={"Prefer": 'outlook.timezone="UTC"'})
    return instance(body)


def update(cfg: GraphCalendarConfig, event_id: str, fields: EventFields, etag: str | None) -> Instance:
    """Change the event's subject, place, notes and times while it is still the version `etag` names."""
    with _client(cfg) as api:
        body = api.write("PATCH", f"{api.base}/me/events/{quote(event_id, safe='')}", "change the event",
                         body=_body(fields), etag=etag, headers={"Prefer": 'outlook.timezone="UTC"'},
                         conflict_codes=_CONFLICT_CODES)
    return instance(body)


def delete(cfg: GraphCalendarConfig, event_id: str, etag: str | None) -> None:
    """Delete the event while it is still the version `etag` names; one already gone is no error."""
    with _client(cfg) as api:
        try:
            api.write("DELETE", f"{api.base}/me/events/{quote(event_id, safe='')}", "delete the event", etag=etag,
                      conflict_codes=_CONFLICT_CODES)
        except EventGone:
            return


def _uid(event: dict, recurring: bool) -> str:
    uid = str(event.get("iCalUId") or event.get("seriesMasterId") or event["id"])
    # Graph gives each occurrence its own iCalUId; the series' id (date bytes zeroed) names them all
    # as one iCalendar UID does.
    if recurring and len(uid) >= 40 and uid[:32].upper() == _GLOBAL_OBJECT_ID:
        return uid[:32] + "00000000" + uid[40:]
    return uid


def _original_start(event: dict, start: datetime | date, written_in: str | None) -> str:
    """An occurrence starts where the series put it; an exception says where that was (in UTC)."""
    if event.get("type") != "exception" or not event.get("originalStart"):
        return start.isoformat()
    original = datetime.fromisoformat(str(event["originalStart"]))
    original = original.replace(tzinfo=UTC) if original.utcoffset() is None else original.astimezone(UTC)
    if isinstance(start, datetime):
        return original.isoformat()
    return (original.astimezone(ZoneInfo(written_in)) if written_in else original).date().isoformat()


def _parse(value: dict) -> datetime:
    # Graph writes seven fraction digits ("08:00:00.0000000"); Python reads up to six.
    text = str(value["dateTime"])
    if "." in text:
        head, fraction = text.split(".", 1)
        digits = "".join(c for c in fraction if c.isdigit())
        text = f"{head}.{digits[:6]}{fraction[len(digits):]}"
    return datetime.fromisoformat(text)


def _moment(value: dict) -> datetime:
    """The instant: Graph's text is a wall-clock time in the zone named beside it."""
    moment = _parse(value)
    if moment.utcoffset() is None:
        zone = tzinfo_of(value.get("timeZone"))
        if zone is None:
            raise ValueError(f"unknown time zone {str(value.get('timeZone'))[:60]!r}")
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _day(value: dict, written_in: str | None) -> date:
    """An all-day date: Graph writes it as midnight. Should one come as another zone's midnight (23:00
    the day before in UTC), the zone the event was written in gives the date back."""
    text = _parse(value)
    if (text.utcoffset() is None and text.time() == time(0)) or not written_in:
        return text.date()
    return _moment(value).astimezone(ZoneInfo(written_in)).date()


def _address(holder: object) -> str:
    if not isinstance(holder, dict):
        return ""
    return str((holder.get("emailAddress") or {}).get("address") or "").strip().lower()


def _attendee(a: dict) -> Attendee:
    response = str((a.get("status") or {}).get("response") or "none").lower()
    return Attendee(
        email=_address(a),
        name=str((a.get("emailAddress") or {}).get("name") or ""),
        partstat=_PARTSTAT.get(response, "NEEDS-ACTION"),
        role=_ROLE.get(str(a.get("type") or "required").lower(), "REQ-PARTICIPANT"),
    )


def instant(value: dict) -> datetime:
    """A Graph dateTimeTimeZone object as a UTC instant (free/busy items use the same shape)."""
    return _moment(value)
