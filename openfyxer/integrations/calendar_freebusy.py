"""Other people's busy time, as their calendar provider shows it to the user: Google Calendar's
`freeBusy` query (https://developers.google.com/calendar/api/v3/reference/freebusy/query) and
Microsoft Graph's `getSchedule` (https://learn.microsoft.com/graph/api/calendar-getschedule), which
also gives each person's working hours. Only busy intervals come back, never what the meetings are.

Each person is answered on their own: someone the provider will not show (another organisation,
a calendar not shared) is None, and is scheduled without their calendar, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from openfyxer.integrations import google_calendar, graph_calendar
from openfyxer.integrations.calendar_api import Client, iana, utc_text

MAX_PEOPLE = 20  # Graph's getSchedule takes 20 at most; Google 50
_GRAPH_BUSY = {"busy", "oof", "tentative"}  # "free" and "workingElsewhere" leave the time open
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Availability:
    busy: tuple[tuple[datetime, datetime], ...]
    tentative: tuple[tuple[datetime, datetime], ...] = ()
    # Working hours when the provider knows them: (IANA zone, {weekday: (start, end)}).
    hours: tuple[str, dict[int, tuple[time, time]]] | None = None


def google(cfg: google_calendar.GoogleCalendarConfig, people: list[str], start: datetime,
           end: datetime) -> dict[str, Availability | None]:
    with Client(cfg.api_base, cfg.access_token, cfg.timeout, "Google Calendar") as api:
        body = api.post(f"{api.base}/freeBusy", "read free/busy", body={
            "timeMin": utc_text("start", start), "timeMax": utc_text("end", end),
            "items": [{"id": p} for p in people[:MAX_PEOPLE]]})
    found = body.get("calendars") if isinstance(body.get("calendars"), dict) else {}
    out: dict[str, Availability | None] = {}
    for person in people[:MAX_PEOPLE]:
        entry = found.get(person)
        if not isinstance(entry, dict) or entry.get("errors"):
            out[person] = None  # notFound, or not shared with the user
            continue
        try:
            out[person] = Availability(busy=tuple(_span(b.get("start"), b.get("end"))
                                                  for b in entry.get("busy") or [] if isinstance(b, dict)))
        except ValueError:
            out[person] = None  # an answer that cannot be read is no calendar, not a free one
    return out


def graph(cfg: graph_calendar.GraphCalendarConfig, people: list[str], start: datetime,
          end: datetime) -> dict[str, Availability | None]:
    with Client(cfg.api_base, cfg.access_token, cfg.timeout, "Microsoft Graph") as api:
        body = api.post(f"{api.base}/me/calendar/getSchedule", "read free/busy", headers={
            "Prefer": 'outlook.timezone="UTC"'}, body={
            "schedules": people[:MAX_PEOPLE], "availabilityViewInterval": 30,
            "startTime": {"dateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "endTime": {"dateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}})
    by_id = {str(v.get("scheduleId", "")).lower(): v for v in body.get("value") or [] if isinstance(v, dict)}
    out: dict[str, Availability | None] = {}
    for person in people[:MAX_PEOPLE]:
        entry = by_id.get(person.lower())
        if entry is None or entry.get("error"):
            out[person] = None
            continue
        items = [i for i in entry.get("scheduleItems") or [] if isinstance(i, dict)]
        try:
            spans = [(str(i.get("status", "")).lower(), _graph_span(i)) for i in items]
        except (KeyError, TypeError, ValueError):
            out[person] = None
            continue
        out[person] = Availability(
            busy=tuple(s for status, s in spans if status in _GRAPH_BUSY - {"tentative"}),
            tentative=tuple(s for status, s in spans if status == "tentative"),
            hours=_hours(entry.get("workingHours")))
    return out


def _span(start: object, end: object) -> tuple[datetime, datetime]:
    a, b = datetime.fromisoformat(str(start)), datetime.fromisoformat(str(end))
    if a.utcoffset() is None or b.utcoffset() is None or b < a:
        raise ValueError("a busy interval without an offset, or ending before it starts")
    return a.astimezone(UTC), b.astimezone(UTC)


def _graph_span(item: dict) -> tuple[datetime, datetime]:
    return graph_calendar.instant(item["start"]), graph_calendar.instant(item["end"])


def _hours(value: object) -> tuple[str, dict[int, tuple[time, time]]] | None:
    if not isinstance(value, dict):
        return None
    zone = iana(str((value.get("timeZone") or {}).get("name") or "")) or "UTC"
    try:
        start = time.fromisoformat(str(value["startTime"])[:8])
        end = time.fromisoformat(str(value["endTime"])[:8])
    except (KeyError, ValueError):
        return None
    days = {_WEEKDAYS.index(d.lower()): (start, end) for d in value.get("daysOfWeek") or []
            if isinstance(d, str) and d.lower() in _WEEKDAYS}
    return (zone, days) if days and end > start else None
