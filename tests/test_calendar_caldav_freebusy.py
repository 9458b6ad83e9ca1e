"""Attendees' free/busy through a CalDAV server's scheduling outbox (RFC 6638), against a local server
that answers with the recorded shapes in tests/calendar_recordings/ (caldav_*.xml: RFC 6638 B.5 and
what sabre/dav, Nextcloud's server, answers). No CalDAV server that schedules can be started here:
Radicale, the real one the other calendar tests use, has no scheduling outbox, and is the case of a
server that does not schedule."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.calendar import CalendarAccount
from openfyxer.models.user import User
from openfyxer.services.calendar import freebusy
from tests.assistanthelpers import make_user_account
from tests.calendar_stub import RECORDINGS

START, END = datetime(2027, 3, 2, tzinfo=UTC), datetime(2027, 3, 4, tzinfo=UTC)


class ScheduleServer:
    """PROPFIND of the root and the principal, POST to the outbox; everything it was sent, kept."""

    def __init__(self, schedules: bool = True) -> None:
        self.schedules = schedules
        self.seen: list[tuple[str, str, dict[str, str], str]] = []  # (method, path, headers, body)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/remote.php/dav/"

    def _answer(self, method: str, path: str, body: str) -> tuple[int, str, str]:
        if method == "PROPFIND" and path == "/remote.php/dav/":
            return 207, "application/xml; charset=utf-8", (RECORDINGS / "caldav_principal.xml").read_text()
        if method == "PROPFIND" and path == "/remote.php/dav/principals/users/cyrus/":
            name = "caldav_outbox.xml" if self.schedules else "caldav_no_outbox.xml"
            return 207, "application/xml; charset=utf-8", (RECORDINGS / name).read_text()
        if method == "POST" and path == "/remote.php/dav/calendars/cyrus/outbox/" and self.schedules:
            return 200, "application/xml; charset=utf-8", (RECORDINGS / "caldav_schedule_response.xml").read_text()
        return 404, "text/plain", "not here"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                server.seen.append((self.command, self.path, dict(self.headers), body))
                if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"cyrus:app-pass").decode():
                    status, kind, text = 401, "text/plain", "who are you"
                else:
                    status, kind, text = server._answer(self.command, self.path, body)
                data = text.encode()
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="stub"')
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_PROPFIND = do_POST = do_GET = _any  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def schedule_server():
    server = ScheduleServer()
    yield server
    server.stop()


def _user_with_caldav(url: str) -> User:
    freebusy._no_outbox.clear()
    with session_scope() as s:
        user, _ = make_user_account(s, address="cyrus@example.com")
        s.add(CalendarAccount(user_id=user.id, provider="caldav", server_url=url, username="cyrus",
                              password="app-pass"))
        s.flush()
        return user


def _people(user: User, addresses: list[str]):  # noqa: ANN202
    with session_scope() as s:
        return freebusy.people(s, user=s.get(User, user.id), addresses=addresses, start=START, end=END)


def test_attendees_busy_time_comes_from_the_caldav_scheduling_outbox(sqlite_url, schedule_server):
    """GIVEN a CalDAV server that schedules WHEN two people's free/busy is asked THEN a VFREEBUSY REQUEST goes to
    the user's outbox (the user's calendar address as ORGANIZER, the two as ATTENDEEs, the window in UTC), the one
    the server knows comes back with their busy periods (a duration period and a comma list read, FREE left
    out, tentative apart) and the one it does not know (3.7) is named as unseen."""
    user = _user_with_caldav(schedule_server.url)
    found, unseen = _people(user, ["Wilfredo@example.com", "bernard@example.net"])
    assert unseen == ["bernard@example.net"]
    (person,) = found
    assert sorted(person.busy) == [
        (datetime(2027, 3, 2, 11, tzinfo=UTC), datetime(2027, 3, 2, 12, tzinfo=UTC)),
        (datetime(2027, 3, 2, 15, tzinfo=UTC), datetime(2027, 3, 2, 16, tzinfo=UTC)),  # tentative counts by default
        (datetime(2027, 3, 3, 10, tzinfo=UTC), datetime(2027, 3, 3, 11, tzinfo=UTC)),
        (datetime(2027, 3, 3, 14, tzinfo=UTC), datetime(2027, 3, 3, 15, tzinfo=UTC)),
    ]
    post = next(body for method, _, _, body in schedule_server.seen if method == "POST")
    headers = next(h for method, _, h, _ in schedule_server.seen if method == "POST")
    unfolded = post.replace("\r\n ", "")
    assert "METHOD:REQUEST" in unfolded and "BEGIN:VFREEBUSY" in unfolded
    assert "ORGANIZER:mailto:cyrus@example.com" in unfolded
    assert "ATTENDEE:mailto:wilfredo@example.com" in unfolded and "ATTENDEE:mailto:bernard@example.net" in unfolded
    assert "DTSTART:20270302T000000Z" in unfolded and "DTEND:20270304T000000Z" in unfolded
    assert headers["Originator"] == "mailto:cyrus@example.com" and headers["Content-Type"].startswith("text/calendar")

    with session_scope() as s:
        tentative_free = freebusy.people(s, user=s.get(User, user.id), addresses=["wilfredo@example.com"],
                                         start=START, end=END, count_tentative=False)[0][0]
    assert (datetime(2027, 3, 2, 15, tzinfo=UTC), datetime(2027, 3, 2, 16, tzinfo=UTC)) not in tentative_free.busy


def test_a_server_without_a_scheduling_outbox_is_not_asked_again_for_an_hour(sqlite_url):
    """GIVEN a CalDAV server that does not schedule (the principal has no schedule-outbox-URL, as Radicale)
    WHEN someone's free/busy is asked twice THEN they are unseen, nothing is POSTed, and the second time the
    server is not asked at all."""
    server = ScheduleServer(schedules=False)
    try:
        user = _user_with_caldav(server.url)
        assert _people(user, ["wilfredo@example.com"]) == ([], ["wilfredo@example.com"])
        asked = len(server.seen)
        assert {path for _, path, *_ in server.seen} == {"/remote.php/dav/", "/remote.php/dav/principals/users/cyrus/"}
        assert not any(method == "POST" for method, *_ in server.seen)
        assert _people(user, ["wilfredo@example.com"]) == ([], ["wilfredo@example.com"])
        assert len(server.seen) == asked
    finally:
        server.stop()


def test_a_wrong_password_leaves_people_unseen_not_the_search_failed(sqlite_url, schedule_server):
    user = _user_with_caldav(schedule_server.url)
    with session_scope() as s:
        s.exec(select(CalendarAccount).where(CalendarAccount.user_id == user.id)).one().password = "wrong"
    assert _people(user, ["wilfredo@example.com"]) == ([], ["wilfredo@example.com"])
