"""How a calendar is listed whole (`caldav.snapshot`), for the answers Radicale, the real server the
other calendar tests sync from, never gives: a listing that leaves out the events' data, one cut
short (507), a server without sync-collection, a calendar that also holds tasks. A local server
answers in the shapes of RFC 6578 (3.8, 3.6) and RFC 4791 (7.8, 7.9), and counts what it was sent."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from openfyxer.integrations import caldav

CAL = "/dav/calendars/ana/work/"
TOKEN = "http://example.com/ns/sync/1234"


def _event(uid: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270302T090000Z\r\n"
            f"DTEND:20270302T100000Z\r\nSUMMARY:Meeting {uid} &amp; co\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


TASK = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:task-1\r\n"
        "DTSTAMP:20270101T000000Z\r\nSUMMARY:Buy milk\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")


def _member(href: str, etag: str, data: str | None) -> str:
    inner = f"<d:getetag>\"{etag}\"</d:getetag>"
    if data is not None:
        inner += f"<cal:calendar-data>{data}</cal:calendar-data>"
    return (f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{inner}</d:prop>"
            "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>")


def _multistatus(*parts: str, token: str | None = None) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" '
            'xmlns:cal="urn:ietf:params:xml:ns:caldav">' + "".join(parts)
            + (f"<d:sync-token>{token}</d:sync-token>" if token else "") + "</d:multistatus>")


class ListingServer:
    """A calendar of two events and a task. `mode`: "no-data" (the listing names the second event
    without its data), "truncated" (507 on the collection), "no-sync" (sync-collection refused)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.seen: list[tuple[str, str, bool]] = []  # (method, what was asked, signed in)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def config(self) -> caldav.CalDavConfig:
        return caldav.CalDavConfig(url=f"http://127.0.0.1:{self.server.server_address[1]}/dav/", username="ana",
                                   password="app-pass", timeout=10)

    @property
    def calendar_url(self) -> str:
        return self.config.url.removesuffix("/dav/") + CAL

    def _answer(self, method: str, body: str) -> tuple[int, str]:
        if method == "REPORT" and "sync-collection" in body:
            if self.mode == "no-sync":
                return 403, "<d:error xmlns:d='DAV:'><d:supported-report/></d:error>"
            second = _member(CAL + "b.ics", "e2", None if self.mode == "no-data" else _event("b"))
            more = ""
            if self.mode == "truncated":
                more = (f"<d:response><d:href>{CAL}</d:href><d:status>HTTP/1.1 507 Insufficient Storage"
                        "</d:status></d:response>")
                second = ""
            return 207, _multistatus(_member(CAL + "a.ics", "e1", _event("a")), second,
                                     _member(CAL + "task.ics", "e3", TASK), more, token=TOKEN)
        if method == "REPORT" and "calendar-multiget" in body:
            return 207, _multistatus(_member(CAL + "b.ics", "e2", _event("b")))
        if method == "REPORT" and "calendar-query" in body:
            return 207, _multistatus(_member(CAL + "a.ics", "e1", _event("a")), _member(CAL + "b.ics", "e2", _event("b")))
        if method == "PROPFIND" and "sync-token" in body:
            return 207, _multistatus(f"<d:response><d:href>{CAL}</d:href><d:propstat><d:prop><d:sync-token>{TOKEN}"
                                     "</d:sync-token></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
                                     "</d:response>")
        return 404, "not here"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                signed = self.headers.get("Authorization") == "Basic " + base64.b64encode(b"ana:app-pass").decode()
                asked = next((w for w in ("sync-collection", "calendar-multiget", "calendar-query", "sync-token")
                              if w in body), body[:40])
                server.seen.append((self.command, asked, signed))
                status, text = server._answer(self.command, body) if signed else (401, "who are you")
                data = text.encode()
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="stub"')
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_PROPFIND = do_REPORT = do_GET = _any  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listing_server(request: pytest.FixtureRequest):  # noqa: ANN201
    server = ListingServer(request.param)
    yield server
    server.stop()


@pytest.mark.parametrize("listing_server", ["no-data"], indirect=True)
def test_events_listed_without_their_data_are_read_in_one_multiget_and_tasks_are_left_out(listing_server):
    found = caldav.snapshot(listing_server.config, listing_server.calendar_url)
    assert found.token == TOKEN
    assert sorted((o.href, o.etag) for o in found.changed) == [(CAL + "a.ics", '"e1"'), (CAL + "b.ics", '"e2"')]
    assert all("Meeting" in o.data and "&" in o.data for o in found.changed)  # the XML escape undone once
    asked = [(m, w) for m, w, signed in listing_server.seen if signed]
    assert asked == [("REPORT", "sync-collection"), ("REPORT", "calendar-multiget")]


@pytest.mark.parametrize("listing_server", ["no-data"], indirect=True)
def test_a_server_that_asked_for_a_password_once_is_sent_it_at_once_after(listing_server):
    caldav.snapshot(listing_server.config, listing_server.calendar_url)
    refused = sum(1 for _, _, signed in listing_server.seen if not signed)
    assert refused == 1  # the first request of all learned how this server signs in
    listing_server.seen.clear()
    caldav.snapshot(listing_server.config, listing_server.calendar_url)
    assert listing_server.seen and all(signed for _, _, signed in listing_server.seen)


@pytest.mark.parametrize("listing_server", ["truncated", "no-sync"], indirect=True)
def test_a_cut_short_or_refused_listing_is_read_the_long_way_with_the_token_first(listing_server):
    found = caldav.snapshot(listing_server.config, listing_server.calendar_url)
    assert sorted(o.href for o in found.changed) == [CAL + "a.ics", CAL + "b.ics"]
    assert found.token == TOKEN
    asked = [w for m, w, signed in listing_server.seen if signed]
    assert asked[0] == "sync-collection"
    assert asked.index("sync-token") < asked.index("calendar-query")


@pytest.mark.parametrize("listing_server", ["no-data"], indirect=True)
def test_a_wrong_password_is_said_as_such(listing_server):
    wrong = caldav.CalDavConfig(url=listing_server.config.url, username="ana", password="nope", timeout=10)
    with pytest.raises(caldav.CalDavAuthError):
        caldav.snapshot(wrong, listing_server.calendar_url)
