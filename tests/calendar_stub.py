"""A local server speaking Google Calendar API v3 (under /calendar/v3) and Microsoft Graph v1.0 (under
/v1.0) on 127.0.0.1, for the provider clients' tests.

It answers from state, on the shapes recorded in tests/calendar_recordings/ (the README there says
where each comes from): it checks the bearer token, hands out its own page tokens, sync tokens and
delta links and remembers what each stands for, so a page token only works with the query that got
it, a sync token gives what changed after it, and a token it never issued (or forgot) gets the
provider's "gone" error. Every request is logged in `requests`; `fail_next` queues error answers.

Events written through the API (POST, PATCH, DELETE) are kept in `written` with an etag that each
change moves; a change or delete whose If-Match names an older etag gets the provider's 412, and
`change_elsewhere` plays another app editing the event. Later incremental rounds report what was
written, as the providers do, so a sync meets the events OpenFyxer made.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

RECORDINGS = Path(__file__).with_name("calendar_recordings")
GOOGLE_CALENDAR = "ana@example.com"
GOOGLE_HOLIDAYS = "en.romanian#holiday@group.v.calendar.google.com"  # accessRole reader
GRAPH_CALENDAR = "AAMkAGI2TGuLAAA="
GRAPH_SHARED = "AAMkAGI2TGuLBBB="  # canEdit false


def recording(name: str) -> dict:
    return json.loads((RECORDINGS / name).read_text())


@dataclass(frozen=True)
class Seen:
    path: str  # unquoted
    query: dict[str, str]
    authorization: str | None
    prefer: tuple[str, ...]  # each preference of every Prefer header, in order
    method: str = "GET"
    body: dict | None = None
    if_match: str | None = None


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict[str, str]


class GoogleCalendar:
    """One calendar with a full listing of two pages, then one round of changes, then quiet."""

    def __init__(self) -> None:
        self.sync_tokens: dict[str, int] = {}  # token -> how many rounds of changes came before it
        self.page_tokens: dict[str, tuple[tuple, str, int]] = {}  # token -> (query, listing, page)
        self.counter = 0
        self.written: dict[str, dict] = {}  # event id -> the event as Google keeps it

    def write(self, method: str, calendar_id: str, event_id: str | None, body: dict | None,
              if_match: str | None) -> Answer:
        """events.insert / patch / delete (developers.google.com/calendar/api/v3/reference/events)."""
        if calendar_id == GOOGLE_HOLIDAYS:
            return Answer(403, recording("google_error_403_forbidden.json"), {})
        if calendar_id != GOOGLE_CALENDAR:
            return _google_error(404)
        if method == "POST" and event_id is None:
            self.counter += 1
            event = recording("google_event_inserted.json")
            eid = f"4q0b8m2jl7d3n5k1p9r6s{self.counter:05d}"
            event.update(id=eid, iCalUID=f"{eid}@google.com")
            _merge(event, body or {})
            self._bump(event)
            self.written[eid] = event
            return Answer(200, event, {})
        event = self.written.get(event_id or "")
        if event is None:
            return _google_error(404)
        if event["status"] == "cancelled":
            return _google_error(410, "deleted", "Resource has been deleted")
        if if_match is not None and if_match != event["etag"]:
            return _google_error(412)
        if method == "PATCH":
            _merge(event, body or {})
            event["sequence"] += 1
            self._bump(event)
            return Answer(200, event, {})
        if method == "DELETE":
            event["status"] = "cancelled"
            self._bump(event)
            return Answer(204, {}, {})
        return _google_error(400)

    def change_elsewhere(self, event_id: str, summary: str) -> None:
        """Another app (the user's phone) renames the event: its etag moves on."""
        event = self.written[event_id]
        event["summary"] = summary
        self._bump(event)

    def _bump(self, event: dict) -> None:
        self.counter += 1
        event["etag"] = f'"35123456789{self.counter:05d}"'

    def expire(self) -> None:
        """Forget every sync token, as Google does after a while."""
        self.sync_tokens.clear()

    def _token(self, kind: str) -> str:
        self.counter += 1
        prefix = {"page": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA", "sync": "CPDAlvWDx70CEPDAlvWDx70CGAU"}[kind]
        return f"{prefix}{self.counter}="

    def calendar_list(self) -> Answer:
        return Answer(200, recording("google_calendarlist.json"), {})

    def events(self, calendar_id: str, q: dict[str, str]) -> Answer:
        if calendar_id != GOOGLE_CALENDAR:
            return _google_error(404)
        if q.get("singleEvents") != "true" or q.get("showDeleted") != "true":
            return _google_error(400, "badRequest", "stub: singleEvents and showDeleted must stay true")
        if "syncToken" in q and {"timeMin", "timeMax", "updatedMin", "orderBy", "q"} & set(q):
            return _google_error(400)  # the recorded syncTokenWithRequestRestrictions answer
        query = tuple(sorted((k, v) for k, v in q.items() if k != "pageToken"))
        if "pageToken" in q:
            issued = self.page_tokens.get(q["pageToken"])
            if issued is None or issued[0] != query:
                return _google_error(400, "invalid", "Invalid pageToken value.")
            _, listing, page = issued
        elif "syncToken" in q:
            if q["syncToken"] not in self.sync_tokens:
                return _google_error(410)
            listing, page = f"changes{self.sync_tokens[q['syncToken']]}", 0
        else:
            listing, page = "full", 0
        return Answer(200, self._page(query, q.get("syncToken"), listing, page), {})

    def _page(self, query: tuple, token: str | None, listing: str, page: int) -> dict:
        pages = {"full": ["google_events_page1.json", "google_events_page2.json"],
                 "changes0": ["google_events_changes.json"]}.get(listing)
        body = recording(pages[page]) if pages else {**recording("google_events_changes.json"), "items": []}
        if listing != "full":
            body["items"] = [*body["items"], *(e if e["status"] != "cancelled" else
                                               {"kind": "calendar#event", "etag": e["etag"], "id": e["id"],
                                                "status": "cancelled"} for e in self.written.values())]
        body.pop("nextPageToken", None)
        body.pop("nextSyncToken", None)
        if pages and page + 1 < len(pages):
            body["nextPageToken"] = self._token("page")
            self.page_tokens[body["nextPageToken"]] = (query, listing, page + 1)
        elif not pages and token:
            body["nextSyncToken"] = token  # nothing changed: Google gives the same token back
        else:
            body["nextSyncToken"] = self._token("sync")
            self.sync_tokens[body["nextSyncToken"]] = 0 if listing == "full" else int(listing[7:]) + 1
        return body


class GraphCalendar:
    """One calendar view: a first round of two pages, then one round of changes, then quiet."""

    def __init__(self, stub: CalendarStub) -> None:
        self.stub = stub
        self.skip_tokens: dict[str, tuple[str, int]] = {}  # token -> (listing, page)
        self.delta_tokens: dict[str, int] = {}  # token -> rounds of changes before it
        self.forgotten: dict[str, tuple[int, str]] = {}  # token -> (status, code) answered for it
        self.link_base: str | None = None  # where the links it gives point; None: this server
        self.windows: list[tuple[str, str]] = []
        self.counter = 0
        self.written: dict[str, dict | None] = {}  # event id -> the event (None once deleted)

    def write(self, method: str, segments: list[str], body: dict | None, if_match: str | None) -> Answer:
        """calendar: post events, event: update, event: delete (learn.microsoft.com/graph/api/...)."""
        if method == "POST" and segments[:3] == ["v1.0", "me", "calendars"] and segments[4:] == ["events"]:
            if segments[3] == GRAPH_SHARED:
                return _graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            if segments[3] != GRAPH_CALENDAR:
                return _graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            self.counter += 1
            event = recording("graph_event_created.json")
            event["id"] = f"AAMkAGI2TG93AAA{self.counter:03d}="
            event["iCalUId"] = event["iCalUId"][:-6] + f"{self.counter:06d}"
            self._set(event, body or {})
            self.written[event["id"]] = event
            return Answer(201, event, {})
        if segments[:3] != ["v1.0", "me", "events"] or len(segments) != 4:
            return _graph_error(404, "ResourceNotFound", "stub")
        event = self.written.get(segments[3])
        if event is None:
            return _graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if if_match is not None and if_match != event["@odata.etag"]:
            return Answer(412, recording("graph_error_412.json"), {})
        if method == "PATCH":
            self._set(event, body or {})
            return Answer(200, event, {})
        if method == "DELETE":
            self.written[segments[3]] = None
            return Answer(204, {}, {})
        return _graph_error(400)

    def change_elsewhere(self, event_id: str, subject: str) -> None:
        event = self.written[event_id]
        event["subject"] = subject
        self._bump(event)

    def _bump(self, event: dict) -> None:
        self.counter += 1
        event["changeKey"] = f"ZlnW4RIAV06KYYwlrfNZvQAAKGW{self.counter:04d}"
        event["@odata.etag"] = f'W/"{event["changeKey"]}"'

    def _set(self, event: dict, body: dict) -> None:
        """The fields a write names; times kept as Graph answers under Prefer outlook.timezone="UTC"."""
        for name in ("subject", "isAllDay", "location"):
            if name in body:
                event[name] = body[name]
        if "body" in body:
            event["body"] = body["body"]
            event["bodyPreview"] = body["body"]["content"][:255]
        for name in ("start", "end"):
            if name in body:
                zone = WINDOWS_TO_OLSON.get(body[name]["timeZone"], body[name]["timeZone"])
                local = datetime.fromisoformat(body[name]["dateTime"]).replace(tzinfo=ZoneInfo(zone))
                event[name] = {"dateTime": local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                               "timeZone": "UTC"}
                event[f"original{name.title()}TimeZone"] = body[name]["timeZone"]
        self._bump(event)

    def expire(self, status: int, code: str) -> None:
        """Forget every delta token; a request with one gets `status` with error code `code`."""
        self.forgotten.update({t: (status, code) for t in self.delta_tokens})
        self.delta_tokens.clear()

    def calendars(self, q: dict[str, str]) -> Answer:
        body = recording("graph_calendars.json")
        skip = int(q.get("$skip", "0"))
        body["value"] = body["value"][skip:skip + 1]  # one a page, so the client must follow the link
        body.pop("@odata.nextLink")
        if skip + 1 < len(recording("graph_calendars.json")["value"]):
            body["@odata.nextLink"] = f"{self.link_base or self.stub.graph_base}/me/calendars?$skip={skip + 1}"
        return Answer(200, body, {})

    def delta(self, calendar_id: str, q: dict[str, str], prefer: tuple[str, ...]) -> Answer:
        if calendar_id != GRAPH_CALENDAR:
            return _graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        if "odata.maxpagesize=200" not in prefer or 'outlook.timezone="UTC"' not in prefer:
            return _graph_error(400, "ErrorInvalidRequest", f"stub: Prefer header {prefer!r} lacks a preference")
        if "$skiptoken" in q:
            if q["$skiptoken"] not in self.skip_tokens:
                return _graph_error(410, "SyncStateNotFound")
            listing, page = self.skip_tokens[q["$skiptoken"]]
        elif "$deltatoken" in q:
            token = q["$deltatoken"]
            if token in self.forgotten or token not in self.delta_tokens:
                status, code = self.forgotten.get(token, (410, "SyncStateNotFound"))
                return _graph_error(status, code)
            listing, page = f"changes{self.delta_tokens[token]}", 0
        elif q.get("startDateTime") and q.get("endDateTime"):
            self.windows.append((q["startDateTime"], q["endDateTime"]))
            listing, page = "full", 0
        else:
            return _graph_error(400)  # the recorded ErrorInvalidParameter answer
        return Answer(200, self._page(listing, page), {})

    def _page(self, listing: str, page: int) -> dict:
        pages = {"full": ["graph_delta_page1.json", "graph_delta_page2.json"],
                 "changes0": ["graph_delta_changes.json"]}.get(listing)
        body = recording(pages[page]) if pages else {**recording("graph_delta_changes.json"), "value": []}
        if listing != "full":
            body["value"] = [*body["value"], *(e if e else {"id": gid, "@removed": {"reason": "deleted"}}
                                               for gid, e in self.written.items())]
        body.pop("@odata.nextLink", None)
        body.pop("@odata.deltaLink", None)
        calendar = quote(GRAPH_CALENDAR, safe="")
        link = f"{self.link_base or self.stub.graph_base}/me/calendars/{calendar}/calendarView/delta"
        self.counter += 1
        if pages and page + 1 < len(pages):
            token = f"R0usmcCM996atia_s{self.counter}"
            self.skip_tokens[token] = (listing, page + 1)
            body["@odata.nextLink"] = f"{link}?$skiptoken={token}"
        else:
            token = f"R0usmci39OQxqJrxK4{self.counter}"
            self.delta_tokens[token] = 0 if listing == "full" else int(listing[7:]) + (1 if pages else 0)
            body["@odata.deltaLink"] = f"{link}?$deltatoken={token}"
        return body


def _merge(event: dict, body: dict) -> None:
    """A PATCH as Google applies it: named fields replace, objects merge, null removes."""
    for name, value in body.items():
        if isinstance(value, dict) and isinstance(event.get(name), dict):
            event[name] = {**event[name], **value}
            event[name] = {k: v for k, v in event[name].items() if v is not None}
        elif value is None:
            event.pop(name, None)
        else:
            event[name] = value


def _google_error(status: int, reason: str | None = None, message: str | None = None) -> Answer:
    body = recording(f"google_error_{status}.json" if (RECORDINGS / f"google_error_{status}.json").exists()
                     else "google_error_400.json")
    error = body["error"]
    error["code"] = status
    if reason:
        error["errors"][0].update(reason=reason, message=message)
        error["message"] = message
    return Answer(status, body, {})


def _graph_error(status: int, code: str | None = None, message: str | None = None) -> Answer:
    name = {401: "graph_error_401.json", 429: "graph_error_429.json", 400: "graph_error_400.json"}.get(
        status, "graph_error_sync_state.json")
    body = recording(name)
    if code:
        body["error"]["code"] = code
    if message:
        body["error"]["message"] = message
    return Answer(status, body, {})


class CalendarStub:
    """Start with `.start()`; `google_base` and `graph_base` are the API bases to configure."""

    def __init__(self, token: str = "ya29.a0AfB_stub-access-token") -> None:
        self.token = token
        self.requests: list[Seen] = []
        self.fail_next: list[tuple[int, dict[str, str], str]] = []  # (status, headers, recording)
        self.errors: list[str] = []
        self.google = GoogleCalendar()
        self.graph = GraphCalendar(self)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        # Other people's calendars as free/busy shows them: address -> [(start, end, Graph status)] in UTC ISO
        # ("2026-03-17T09:00:00Z"); `working_hours`: address -> Graph's workingHours object. Anyone else
        # is someone the provider will not show.
        self.free_busy: dict[str, list[tuple[str, str, str]]] = {}
        self.working_hours: dict[str, dict] = {}

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def google_base(self) -> str:
        return f"{self.base}/calendar/v3"

    @property
    def graph_base(self) -> str:
        return f"{self.base}/v1.0"

    def start(self) -> CalendarStub:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def answer(self, raw_path: str, authorization: str | None, prefer: tuple[str, ...],
               body: dict | None = None, method: str = "GET", if_match: str | None = None) -> Answer:
        parts = urlsplit(raw_path)
        path, q = unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            self.requests.append(Seen(path, q, authorization, prefer, method, body, if_match))
            google = path.startswith("/calendar/v3/")
            if authorization != f"Bearer {self.token}":
                answer = _google_error(401) if google else _graph_error(401)
                answer.headers["WWW-Authenticate"] = 'Bearer realm="stub"'
                return answer
            if self.fail_next:
                status, headers, name = self.fail_next.pop(0)
                return Answer(status, recording(name), headers)
            segments = [unquote(p) for p in parts.path.strip("/").split("/")]
            if segments[:3] == ["calendar", "v3", "calendars"] and len(segments) in (5, 6) and segments[4] == "events" \
                    and method != "GET":
                if q.get("sendUpdates") != "none":
                    return _google_error(400, "badRequest", "stub: a write must say sendUpdates=none")
                return self.google.write(method, segments[3], segments[5] if len(segments) == 6 else None, body,
                                         if_match)
            if segments[0] == "v1.0" and method != "GET" and (method != "POST" or segments[-1] == "events"):
                return self.graph.write(method, segments, body, if_match)
            if body is not None:
                return self._post(path, body)
            return self._route(path, q, prefer)

    def _post(self, path: str, body: dict) -> Answer:
        if path == "/calendar/v3/freeBusy":  # developers.google.com/calendar/api/v3/reference/freebusy/query
            lo, hi = body["timeMin"], body["timeMax"]
            calendars = {}
            for item in body["items"]:
                person = item["id"]
                if person not in self.free_busy:
                    calendars[person] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                else:
                    calendars[person] = {"busy": [{"start": a, "end": b} for a, b, _ in self.free_busy[person]
                                                  if a < hi and b > lo]}
            return Answer(200, {"kind": "calendar#freeBusy", "timeMin": lo, "timeMax": hi, "calendars": calendars}, {})
        if path == "/v1.0/me/calendar/getSchedule":  # learn.microsoft.com/graph/api/calendar-getschedule
            lo = body["startTime"]["dateTime"] + "Z"
            hi = body["endTime"]["dateTime"] + "Z"
            value = []
            for person in body["schedules"]:
                if person not in self.free_busy:
                    value.append({"scheduleId": person, "error": {
                        "message": "Cannot find the mailbox", "responseCode": "ErrorMailRecipientNotFound"}})
                    continue
                value.append({"scheduleId": person, "availabilityView": "", "scheduleItems": [
                    {"isPrivate": False, "status": status,
                     "start": {"dateTime": a[:-1] + ".0000000", "timeZone": "UTC"},
                     "end": {"dateTime": b[:-1] + ".0000000", "timeZone": "UTC"}}
                    for a, b, status in self.free_busy[person] if a < hi and b > lo],
                    **({"workingHours": self.working_hours[person]} if person in self.working_hours else {})})
            return Answer(200, {"value": value}, {})
        return _google_error(404) if path.startswith("/calendar/") else _graph_error(404, "ResourceNotFound", "stub")

    def _route(self, path: str, q: dict[str, str], prefer: tuple[str, ...]) -> Answer:
        segments = path.strip("/").split("/")
        if path == "/calendar/v3/users/me/calendarList":
            return self.google.calendar_list()
        if segments[:3] == ["calendar", "v3", "calendars"] and len(segments) == 5 and segments[4] == "events":
            return self.google.events(segments[3], q)
        if path == "/v1.0/me/calendars":
            return self.graph.calendars(q)
        if segments[:3] == ["v1.0", "me", "calendars"] and segments[4:] == ["calendarView", "delta"]:
            return self.graph.delta(segments[3], q, prefer)
        return _google_error(404) if path.startswith("/calendar/") else _graph_error(404, "ResourceNotFound", "stub")


def _handler(stub: CalendarStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.do_GET(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"), "POST")

        def do_PATCH(self) -> None:  # noqa: N802
            self.do_GET(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"), "PATCH")

        def do_DELETE(self) -> None:  # noqa: N802
            self.do_GET(None, "DELETE")

        def do_GET(self, body: dict | None = None, method: str = "GET") -> None:  # noqa: N802
            prefer = tuple(p.strip() for h in self.headers.get_all("Prefer") or [] for p in h.split(","))
            try:
                answer = stub.answer(self.path, self.headers.get("Authorization"), prefer, body, method,
                                     self.headers.get("If-Match"))
            except Exception as e:  # a stub bug must show in the test, not as a hung client
                stub.errors.append(f"{type(e).__name__}: {e}")
                answer = Answer(500, {"error": {"code": 500, "message": "stub crashed"}}, {})
            data = b"" if answer.status == 204 else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
