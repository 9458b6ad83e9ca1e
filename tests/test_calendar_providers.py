"""Google Calendar v3 and Microsoft Graph v1.0 clients against a local server speaking both
(tests/calendar_stub.py, on the recorded shapes in tests/calendar_recordings/)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from openfyxer.integrations import google_calendar as google
from openfyxer.integrations import graph_calendar as graph
from openfyxer.integrations.calendar_api import (
    CalendarApiError,
    CalendarAuthError,
    CalendarRateLimited,
    RemoteCalendar,
    SyncTokenExpired,
)
from openfyxer.integrations.calendar_values import Attendee, Instance
from openfyxer.security import outbound
from tests.calendar_stub import CalendarStub

WINDOW = datetime(2025, 3, 17, tzinfo=UTC), datetime(2028, 3, 17, tzinfo=UTC)
SERIES = "5t2f9g0h1j3k4l6m8n0p2q4r6s@google.com"
ANA = Attendee("ana@example.com", "", "ACCEPTED", "REQ-PARTICIPANT")
BUDGET = "7k1v8pq3m0c2fj9aeu4s6d0b1c@google.com"
PLANNING = ("040000008200E00074C5B7101A82E00800000000A1B2C3D4E5F6DC01000000000000000010000000"
            "D1D2D3D4D5D6D7D8D9DADBDCDDDEDFE0")
HOLIDAY = ("040000008200E00074C5B7101A82E00800000000B1B2C3D4E5F6DC01000000000000000010000000"
           "E1E2E3E4E5E6E7E8E9EAEBECEDEEEFF0")
STANDUP = ("040000008200E00074C5B7101A82E00800000000C0FFEE11D2A5DC01000000000000000010000000"
           "B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF")
RADU = Attendee("radu.ionescu@contoso.onmicrosoft.com", "Radu Ionescu", "ACCEPTED", "REQ-PARTICIPANT")
ANA_365 = Attendee("ana@contoso.onmicrosoft.com", "Ana Popescu", "TENTATIVE", "REQ-PARTICIPANT")


@pytest.fixture
def stub():
    server = CalendarStub().start()
    yield server
    server.stop()
    assert not server.errors


def g_cfg(stub: CalendarStub, token: str | None = None) -> google.GoogleCalendarConfig:
    return google.GoogleCalendarConfig(access_token=token or stub.token, api_base=stub.google_base, timeout=5)


def m_cfg(stub: CalendarStub, token: str | None = None) -> graph.GraphCalendarConfig:
    return graph.GraphCalendarConfig(access_token=token or stub.token, api_base=stub.graph_base, timeout=5)


def team_sync(rid: str, start: datetime, end: datetime, bogdan: str, sequence: int = 0) -> Instance:
    return Instance(SERIES, rid, start, end, False, "Europe/Berlin", "Team sync", "", "", "CONFIRMED", False,
                    "ana@example.com", (ANA, Attendee("bogdan@example.com", "", bogdan, "REQ-PARTICIPANT")),
                    sequence, True)


def budget(start: datetime, end: datetime, summary: str, radu: str, sequence: int) -> Instance:
    return Instance(BUDGET, None, start, end, False, "Europe/Berlin", summary, "Q2 figures, then hiring.",
                    "Room 4, Str. Memorandumului 28, Cluj-Napoca", "CONFIRMED", False, "ana@example.com",
                    (ANA, Attendee("radu.ionescu@example.ro", "Radu Ionescu", radu, "REQ-PARTICIPANT"),
                     Attendee("maria@example.com", "Maria Pop", "TENTATIVE", "OPT-PARTICIPANT")), sequence, False)


# Google Calendar ---------------------------------------------------------------------------------

def test_google_calendars(stub):
    """GIVEN a calendar list with the user's own calendar and a subscribed one WHEN listed THEN each has
    its id, the user's name for it, its colour, whether it can be written and which is primary."""
    assert google.calendars(g_cfg(stub)) == [
        RemoteCalendar("ana@example.com", "ana@example.com", "#9fe1e7", True, True),
        RemoteCalendar("en.romanian#holiday@group.v.calendar.google.com", "Romanian holidays", "#16a765",
                       False, False),
    ]
    assert [s.path for s in stub.requests] == ["/calendar/v3/users/me/calendarList"]


def test_google_full_sync_follows_pages_to_the_sync_token(stub):
    """GIVEN a calendar listed over two pages (a one-off, an all-day event and a weekly series with a
    moved and a cancelled instance) WHEN synced for the first time THEN every instance comes in UTC
    with its original start as recurrence id, the cancelled one is named, and the sync token is kept."""
    changes = google.sync(g_cfg(stub), "ana@example.com", None, time_min=WINDOW[0], time_max=WINDOW[1])

    assert changes.events == [
        budget(datetime(2026, 3, 17, 9, tzinfo=UTC), datetime(2026, 3, 17, 10, tzinfo=UTC), "Budget review",
               "NEEDS-ACTION", 0),
        Instance("3q9r0u2d6h8b4n1v7c5x2z0a4e@google.com", None, date(2026, 3, 20), date(2026, 3, 21), True, None,
                 "Conference day", "", "", "CONFIRMED", True, "ana@example.com", (), 0, False),
        team_sync("2026-03-17T13:00:00+00:00", datetime(2026, 3, 17, 13, tzinfo=UTC),
                  datetime(2026, 3, 17, 13, 30, tzinfo=UTC), "DECLINED"),
        # moved from Tuesday 14:00 to Wednesday 15:00 (Berlin): named by where it was
        team_sync("2026-03-24T13:00:00+00:00", datetime(2026, 3, 25, 14, tzinfo=UTC),
                  datetime(2026, 3, 25, 14, 30, tzinfo=UTC), "NEEDS-ACTION", sequence=1),
        # after the change to summer time: still 14:00 in Berlin, 12:00 UTC
        team_sync("2026-04-07T12:00:00+00:00", datetime(2026, 4, 7, 12, tzinfo=UTC),
                  datetime(2026, 4, 7, 12, 30, tzinfo=UTC), "DECLINED"),
    ]
    assert changes.cancelled == [(SERIES, "2026-03-31T12:00:00+00:00")]
    assert changes.next_sync_token == "CPDAlvWDx70CEPDAlvWDx70CGAU2="
    assert changes.skipped == []
    first = {"singleEvents": "true", "showDeleted": "true", "maxResults": "2500",
             "timeMin": "2025-03-17T00:00:00Z", "timeMax": "2028-03-17T00:00:00Z"}
    assert [(s.path, s.query) for s in stub.requests] == [
        ("/calendar/v3/calendars/ana@example.com/events", first),
        ("/calendar/v3/calendars/ana@example.com/events", {**first, "pageToken": "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA1="}),
    ]
    assert {s.authorization for s in stub.requests} == {"Bearer ya29.a0AfB_stub-access-token"}


def test_google_incremental_sync_gives_what_changed(stub):
    """GIVEN a full sync's token WHEN synced again with it (the window passed again) THEN only the token
    goes with the unchanged parameters, a moved event comes changed and a deleted instance (only its id,
    series id and original start in the answer) comes as cancelled; a quiet round gives the token back."""
    token = google.sync(g_cfg(stub), "ana@example.com", None, time_min=WINDOW[0], time_max=WINDOW[1]).next_sync_token
    del stub.requests[:]

    changes = google.sync(g_cfg(stub), "ana@example.com", token, time_min=WINDOW[0], time_max=WINDOW[1])

    assert changes.events == [budget(datetime(2026, 3, 18, 9, tzinfo=UTC), datetime(2026, 3, 18, 10, 30, tzinfo=UTC),
                                     "Budget review (moved)", "ACCEPTED", 1)]
    assert changes.cancelled == [(SERIES, "2026-04-07T12:00:00+00:00")]
    assert changes.events[0].remote_id == "7k1v8pq3m0c2fj9aeu4s6d0b1c" and changes.events[0].etag.startswith('"')
    assert changes.next_sync_token == "CPDAlvWDx70CEPDAlvWDx70CGAU3="
    assert [s.query for s in stub.requests] == [
        {"singleEvents": "true", "showDeleted": "true", "maxResults": "2500",
         "syncToken": "CPDAlvWDx70CEPDAlvWDx70CGAU2="}]

    quiet = google.sync(g_cfg(stub), "ana@example.com", changes.next_sync_token)
    assert (quiet.events, quiet.cancelled, quiet.next_sync_token) == ([], [], "CPDAlvWDx70CEPDAlvWDx70CGAU3=")


def test_google_gone_sync_token_asks_for_a_full_sync(stub):
    """GIVEN a token Google has forgotten, or one it never gave WHEN synced with it THEN 410 Gone
    becomes SyncTokenExpired."""
    token = google.sync(g_cfg(stub), "ana@example.com", None, time_min=WINDOW[0], time_max=WINDOW[1]).next_sync_token
    stub.google.expire()

    for stale in (token, "CPDAlvWDx70CEnever-issued="):
        with pytest.raises(SyncTokenExpired) as raised:
            google.sync(g_cfg(stub), "ana@example.com", stale)
        assert raised.value.code == "calendar_sync_token_expired"


def test_google_refused_access_token(stub):
    """GIVEN an access token Google does not accept WHEN listing or syncing THEN CalendarAuthError (400)."""
    for call in (lambda: google.calendars(g_cfg(stub, "ya29.expired")),
                 lambda: google.sync(g_cfg(stub, "ya29.expired"), "ana@example.com", None)):
        with pytest.raises(CalendarAuthError) as raised:
            call()
        assert (raised.value.status, raised.value.code) == (400, "calendar_auth_failed")


def test_google_rate_limits_say_when_to_come_back(stub):
    """GIVEN Google answering 429 with Retry-After, then 403 rateLimitExceeded without it WHEN syncing
    THEN CalendarRateLimited (503) with the server's wait, then the default minute."""
    stub.fail_next += [(429, {"Retry-After": "7"}, "google_error_429.json"),
                       (403, {}, "google_error_403_rate.json")]

    waits = []
    for _ in range(2):
        with pytest.raises(CalendarRateLimited) as raised:
            google.sync(g_cfg(stub), "ana@example.com", None)
        waits.append((raised.value.status, raised.value.code, raised.value.retry_after))

    assert waits == [(503, "calendar_rate_limited", 7), (503, "calendar_rate_limited", 60)]


def test_google_other_errors_carry_the_api_message(stub):
    """GIVEN a calendar id Google does not know WHEN synced THEN CalendarApiError (502) with Google's words."""
    with pytest.raises(CalendarApiError) as raised:
        google.sync(g_cfg(stub), "nobody@example.com", None)

    assert type(raised.value) is CalendarApiError
    assert (raised.value.status, raised.value.code) == (502, "calendar_error")
    assert raised.value.message == "the Google Calendar API failed to read the events (HTTP 404): Not Found"
    assert stub.requests[0].path == "/calendar/v3/calendars/nobody@example.com/events"


# Microsoft Graph ---------------------------------------------------------------------------------

def test_graph_calendars_follow_the_next_link(stub):
    """GIVEN two calendars served one a page WHEN listed THEN both come, with the hex colour where set."""
    assert graph.calendars(m_cfg(stub)) == [
        RemoteCalendar("AAMkAGI2TGuLAAA=", "Calendar", None, True, True),
        RemoteCalendar("AAMkAGI2TGuLBBB=", "Team Room", "#87d28e", False, False),
    ]
    assert [(s.path, s.query) for s in stub.requests] == [("/v1.0/me/calendars", {}),
                                                         ("/v1.0/me/calendars", {"$skip": "1"})]


def test_graph_first_delta_round_over_two_pages(stub):
    """GIVEN a calendar view of a meeting, an all-day "free" holiday, an occurrence of a series written in
    Pacific time and a moved, tentative exception WHEN the first delta round runs THEN the next link is
    followed to the delta link, with the window and both preferences sent, and each event comes in UTC
    with the series' uid for both instances."""
    changes = graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, None)

    standup = dict(summary="Standup with Seattle", description="Daily check-in.", location="Microsoft Teams Meeting",
                   organizer="john.doe@fabrikam.com", attendees=(ANA_365,), sequence=0, is_recurring=True)
    assert changes.events == [
        Instance(PLANNING, None, datetime(2026, 3, 17, 8, tzinfo=UTC), datetime(2026, 3, 17, 9, tzinfo=UTC), False,
                 "Europe/Bucharest", "Quarterly planning", "Agenda: budget, hiring, the Cluj office.", "Sala Mare",
                 "CONFIRMED", False, "ana@contoso.onmicrosoft.com",
                 (RADU, Attendee("maria@contoso.onmicrosoft.com", "Maria Pop", "NEEDS-ACTION", "OPT-PARTICIPANT")),
                 0, False),
        Instance(HOLIDAY, None, date(2026, 3, 20), date(2026, 3, 21), True, None, "Company holiday", "", "",
                 "CONFIRMED", True, "ana@contoso.onmicrosoft.com", (), 0, False),
        Instance(uid=STANDUP, recurrence_id="2026-03-24T16:00:00+00:00", start=datetime(2026, 3, 24, 16, tzinfo=UTC),
                 end=datetime(2026, 3, 24, 16, 15, tzinfo=UTC), all_day=False, tzid="America/Los_Angeles",
                 status="CONFIRMED", transparent=False, **standup),
        Instance(uid=STANDUP, recurrence_id="2026-03-25T16:00:00+00:00", start=datetime(2026, 3, 25, 18, tzinfo=UTC),
                 end=datetime(2026, 3, 25, 18, 15, tzinfo=UTC), all_day=False, tzid="America/Los_Angeles",
                 status="TENTATIVE", transparent=False,
                 **{**standup, "summary": "Standup with Seattle (later today)"}),
    ]
    assert changes.removed == []
    assert changes.keys == {"AAMkAGI2TQpZAAA=": (PLANNING, None), "AAMkAGI2TQpaAAA=": (HOLIDAY, None),
                            "AAMkAGI2TOCC0324=": (STANDUP, "2026-03-24T16:00:00+00:00"),
                            "AAMkAGI2TEXC0325=": (STANDUP, "2026-03-25T16:00:00+00:00")}
    assert changes.delta_link == (f"{stub.graph_base}/me/calendars/AAMkAGI2TGuLAAA%3D/calendarView/delta"
                                  "?$deltatoken=R0usmci39OQxqJrxK42")
    assert [(s.path, s.query) for s in stub.requests] == [
        ("/v1.0/me/calendars/AAMkAGI2TGuLAAA=/calendarView/delta",
         {"startDateTime": "2025-03-17T00:00:00Z", "endDateTime": "2028-03-17T00:00:00Z"}),
        ("/v1.0/me/calendars/AAMkAGI2TGuLAAA=/calendarView/delta", {"$skiptoken": "R0usmcCM996atia_s1"}),
    ]
    assert {s.prefer for s in stub.requests} == {("odata.maxpagesize=200", 'outlook.timezone="UTC"')}
    assert {s.authorization for s in stub.requests} == {"Bearer ya29.a0AfB_stub-access-token"}


def test_graph_delta_link_gives_changes_and_removals(stub):
    """GIVEN the delta link of a first round WHEN requested THEN the moved meeting comes changed and the
    deleted occurrence comes as its Graph id; the next quiet round changes nothing."""
    link = graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, None).delta_link
    del stub.requests[:]

    changes = graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, link)

    assert changes.events == [
        Instance(PLANNING, None, datetime(2026, 3, 17, 10, tzinfo=UTC), datetime(2026, 3, 17, 11, tzinfo=UTC), False,
                 "Europe/Bucharest", "Quarterly planning (moved)", "Agenda: budget, hiring, the Cluj office.",
                 "Sala Mare", "CONFIRMED", False, "ana@contoso.onmicrosoft.com",
                 (RADU, Attendee("maria@contoso.onmicrosoft.com", "Maria Pop", "DECLINED", "OPT-PARTICIPANT")),
                 0, False)]
    assert changes.removed == ["AAMkAGI2TOCC0324="]
    moved = changes.events[0]  # what a change written back later names it by, and the version read
    assert moved.remote_id in changes.keys and moved.etag.startswith('W/"')
    assert changes.keys == {"AAMkAGI2TQpZAAA=": (PLANNING, None)}
    assert [s.query for s in stub.requests] == [{"$deltatoken": "R0usmci39OQxqJrxK42"}]
    assert stub.requests[0].prefer == ("odata.maxpagesize=200", 'outlook.timezone="UTC"')

    quiet = graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, changes.delta_link)
    assert (quiet.events, quiet.removed) == ([], [])
    assert quiet.delta_link.endswith("?$deltatoken=R0usmci39OQxqJrxK44")


def test_graph_links_to_another_server_are_refused(stub):
    """GIVEN a stored delta link, or a next link the server gives, that points at another server WHEN
    syncing THEN OutboundRefused and that server never hears from us (nor gets the token)."""
    other = CalendarStub().start()
    try:
        with pytest.raises(outbound.OutboundRefused):
            graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW,
                        f"{other.graph_base}/me/calendars/AAMkAGI2TGuLAAA%3D/calendarView/delta?$deltatoken=x")
        stub.graph.link_base = other.graph_base
        with pytest.raises(outbound.OutboundRefused):
            graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, None)
        assert other.requests == []
        assert len(stub.requests) == 1  # the first page, whose next link was refused
    finally:
        other.stop()


@pytest.mark.parametrize(("status", "code"), [(410, "resyncRequired"), (400, "syncStateNotFound")])
def test_graph_expired_delta_link_asks_for_a_full_sync(stub, status, code):
    """GIVEN a delta link Graph has dropped (answered with `status` and error code `code`), or one it never
    gave WHEN requested THEN SyncTokenExpired."""
    link = graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, None).delta_link
    stub.graph.expire(status, code)

    for stale in (link, link.replace("R0usmci39OQxqJrxK42", "never-issued")):
        with pytest.raises(SyncTokenExpired):
            graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, stale)


def test_graph_refused_token_and_throttling(stub):
    """GIVEN a token Graph refuses, then a 429 with Retry-After WHEN syncing THEN CalendarAuthError,
    then CalendarRateLimited with the server's wait."""
    with pytest.raises(CalendarAuthError):
        graph.delta(m_cfg(stub, "eyJ0eXAiOiJKV1Qi.expired"), "AAMkAGI2TGuLAAA=", *WINDOW, None)

    stub.fail_next.append((429, {"Retry-After": "30"}, "graph_error_429.json"))
    with pytest.raises(CalendarRateLimited) as raised:
        graph.delta(m_cfg(stub), "AAMkAGI2TGuLAAA=", *WINDOW, None)
    assert raised.value.retry_after == 30


def test_graph_event_in_windows_zone_names():
    """GIVEN an event whose times are written in a Windows zone (Graph without the UTC preference) and an
    all-day event that comes as Berlin's midnight in UTC WHEN read THEN the times are UTC instants, the zone
    an IANA name, and the all-day dates those of the zone it was written in."""
    timed = graph.instance({
        "id": "AAMkAGI2TWIN1=", "iCalUId": "0400TEST", "subject": "Call", "type": "singleInstance",
        "isAllDay": False, "showAs": "busy", "originalStartTimeZone": "Romance Standard Time",
        "start": {"dateTime": "2026-07-01T09:30:00.0000000", "timeZone": "W. Europe Standard Time"},
        "end": {"dateTime": "2026-07-01T10:00:00.0000000", "timeZone": "W. Europe Standard Time"},
    })
    all_day = graph.instance({
        "id": "AAMkAGI2TWIN2=", "iCalUId": "0400TEST2", "subject": "Off", "type": "singleInstance",
        "isAllDay": True, "showAs": "oof", "originalStartTimeZone": "W. Europe Standard Time",
        "start": {"dateTime": "2026-03-19T23:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-03-20T23:00:00.0000000", "timeZone": "UTC"},
    })

    assert (timed.start, timed.end, timed.tzid) == (datetime(2026, 7, 1, 7, 30, tzinfo=UTC),
                                                    datetime(2026, 7, 1, 8, tzinfo=UTC), "Europe/Paris")
    assert (all_day.start, all_day.end, all_day.all_day, all_day.tzid, all_day.transparent) == (
        date(2026, 3, 20), date(2026, 3, 21), True, None, False)
