"""CalDAV calendars against a real Radicale: connect (sign-in checked first), sync whole and by sync
token, a forgotten token, write-back with etag preconditions, a dead server and the outbound policy."""

from __future__ import annotations

import uuid

import caldav as caldav_lib
import pytest

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.integrations import caldav
from openfyxer.models.calendar import Calendar
from openfyxer.services.calendar import sync as calendar_sync
from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.servers import free_port, start_radicale

USER, PASSWORD = "ana", "app-password-1"

SERIES = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VTIMEZONE\r
TZID:Europe/Bucharest\r
BEGIN:STANDARD\r
DTSTART:19701025T040000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
TZOFFSETFROM:+0300\r
TZOFFSETTO:+0200\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19700329T030000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0300\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:standup@test\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Bucharest:20260317T100000\r
DTEND;TZID=Europe/Bucharest:20260317T103000\r
RRULE:FREQ=WEEKLY;COUNT=4\r
EXDATE;TZID=Europe/Bucharest:20260324T100000\r
SUMMARY:Standup\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:standup@test\r
DTSTAMP:20260101T000000Z\r
RECURRENCE-ID;TZID=Europe/Bucharest:20260331T100000\r
DTSTART;TZID=Europe/Bucharest:20260401T150000\r
DTEND;TZID=Europe/Bucharest:20260401T153000\r
SUMMARY:Standup (moved)\r
END:VEVENT\r
END:VCALENDAR\r
"""


def one(uid: str, start: str, end: str, summary: str, extra: str = "") -> str:
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART{start}\r\nDTEND{end}\r\nSUMMARY:{summary}\r\n{extra}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture(scope="module")
def radicale():
    server = start_radicale({USER: PASSWORD, "bob": "bob-password"})
    yield server
    server.stop()


@pytest.fixture
def work(radicale):
    """A fresh calendar "Work" on the server, with a weekly series (one instance moved, one cancelled),
    an all-day holiday and a one-off meeting."""
    client = caldav_lib.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
    principal = client.principal()
    for cal in principal.calendars():
        cal.delete()
    cal = principal.make_calendar(name="Work", cal_id="work")
    cal.save_event(SERIES)
    cal.save_event(one("holiday@test", ";VALUE=DATE:20260501", ";VALUE=DATE:20260502", "Labour Day"))
    cal.save_event(one("review@test", ":20260318T120000Z", ":20260318T130000Z", "Budget review",
                       "ATTENDEE;CN=Dan:mailto:dan@example.org\r\n"))
    yield cal
    client.close()


@pytest.fixture
def api(client, database_url, monkeypatch):
    apply_env(monkeypatch, database_url=database_url)
    return client


def connect(api, radicale, h, password=PASSWORD):  # noqa: ANN001, ANN201
    return api.post("/api/v1/calendar/accounts/caldav", headers=h,
                    json={"url": radicale.url, "username": USER, "password": password})


def events(api, h, start="2026-03-01T00:00:00Z", end="2026-06-01T00:00:00Z"):  # noqa: ANN001, ANN201
    r = api.get("/api/v1/calendar/events", headers=h, params={"from": start, "to": end})
    assert r.status_code == 200, r.text
    return r.json()


def test_connect_lists_calendars_and_the_first_sync_expands_every_instance(api, radicale, work):
    """GIVEN a CalDAV server with a weekly series, an all-day event and a meeting WHEN connected
    THEN its calendar is listed, synced by a job, and the week view gets each instance at the right
    instant: 10:00 Bucharest is 08:00 UTC before the DST change and 07:00 after, the cancelled week is
    missing and the moved one is on its new day; the all-day event keeps its dates."""
    h = bearer(signed_up(api))
    r = connect(api, radicale, h)
    assert r.status_code == 201, r.text
    assert [c["name"] for c in r.json()["calendars"]] == ["Work"] and "password" not in r.text
    jobs.local_queue().join(60)
    listed = api.get("/api/v1/calendar/accounts", headers=h).json()[0]["calendars"][0]
    assert listed["sync_state"] == "idle" and listed["synced_events"] == 3, listed
    got = [(e["title"], e["start"], e["recurrence_id"]) for e in events(api, h)]
    assert got == [
        ("Standup", "2026-03-17T08:00:00Z", "2026-03-17T08:00:00+00:00"),
        ("Budget review", "2026-03-18T12:00:00Z", ""),
        ("Standup (moved)", "2026-04-01T12:00:00Z", "2026-03-31T07:00:00+00:00"),
        ("Standup", "2026-04-07T07:00:00Z", "2026-04-07T07:00:00+00:00"),
        ("Labour Day", "2026-05-01T00:00:00Z", ""),
    ]
    holiday = events(api, h)[-1]
    assert holiday["all_day"] and (holiday["start_date"], holiday["end_date"]) == ("2026-05-01", "2026-05-02")
    review = events(api, h)[1]
    assert review["attendees"] == ["dan@example.org"]


def test_incremental_sync_takes_changes_deletions_and_additions_once(api, radicale, work):
    """GIVEN a synced calendar WHEN on the server one event is changed, one deleted and one added
    THEN the next sync (by sync token) brings exactly those; a sync with nothing new changes nothing,
    and an instance keeps its id across the change."""
    h = bearer(signed_up(api))
    connect(api, radicale, h)
    jobs.local_queue().join(60)
    before = {e["uid"]: e for e in events(api, h)}
    review = work.event_by_uid("review@test")
    review.data = one("review@test", ":20260318T140000Z", ":20260318T150000Z", "Budget review (later)")
    review.save()
    work.event_by_uid("holiday@test").delete()
    work.save_event(one("lunch@test", ":20260320T110000Z", ":20260320T120000Z", "Lunch"))
    cal_id = api.get("/api/v1/calendar/accounts", headers=h).json()[0]["calendars"][0]["id"]

    result = calendar_sync.sync_calendar(calendar_id=_uuid(cal_id))
    assert (result.full, result.changed, result.deleted) == (False, 2, 1)
    after = {e["uid"]: e for e in events(api, h)}
    assert set(after) == {"standup@test", "review@test", "lunch@test"}
    assert after["review@test"]["start"] == "2026-03-18T14:00:00Z"
    assert after["review@test"]["id"] == before["review@test"]["id"]
    assert len(events(api, h)) == 5

    again = calendar_sync.sync_calendar(calendar_id=_uuid(cal_id))
    assert (again.changed, again.deleted) == (0, 0) and len(events(api, h)) == 5


def test_a_forgotten_sync_token_means_a_full_sync_without_duplicates(api, radicale, work):
    """GIVEN a synced calendar whose sync token the server no longer knows WHEN it syncs THEN it reads the
    calendar whole, finds what was deleted meanwhile, and stores every event once."""
    h = bearer(signed_up(api))
    connect(api, radicale, h)
    jobs.local_queue().join(60)
    cal_id = api.get("/api/v1/calendar/accounts", headers=h).json()[0]["calendars"][0]["id"]
    with session_scope() as s:
        cal = s.get(Calendar, _uuid(cal_id))
        cal.sync_token = "http://radicale.org/ns/sync/" + "0" * 64
        s.add(cal)
    work.event_by_uid("review@test").delete()
    result = calendar_sync.sync_calendar(calendar_id=_uuid(cal_id))
    assert result.full and result.deleted == 1 and result.changed == 0
    assert [e["title"] for e in events(api, h)] == ["Standup", "Standup (moved)", "Standup", "Labour Day"]


@pytest.mark.parametrize("change, code", [({"password": "wrong"}, "calendar_auth_failed"),
                                          ({"url": "dead"}, "calendar_unreachable")])
def test_wrong_password_or_dead_server_is_a_clear_400_and_nothing_is_saved(api, radicale, work, change, code):
    """GIVEN a wrong app password, or a port nothing listens on WHEN connecting THEN 400 naming it, nothing saved."""
    h = bearer(signed_up(api))
    body = {"url": radicale.url, "username": USER, "password": PASSWORD, **change}
    if body["url"] == "dead":
        body["url"] = f"http://127.0.0.1:{free_port()}/"
    r = api.post("/api/v1/calendar/accounts/caldav", headers=h, json=body)
    assert r.status_code == 400 and r.json()["code"] == code, r.text
    assert api.get("/api/v1/calendar/accounts", headers=h).json() == []


def test_the_outbound_policy_refuses_a_calendar_on_this_server(api, radicale, monkeypatch, database_url):
    """GIVEN a server install's public-only outbound policy WHEN a user connects a CalDAV URL on
    127.0.0.1 THEN it is refused before any connection, and the same URL is accepted under "any"."""
    h = bearer(signed_up(api))
    apply_env(monkeypatch, database_url=database_url, outbound="public")
    r = connect(api, radicale, h)
    assert r.status_code == 400 and r.json()["code"] == "outbound_refused", r.text
    assert api.get("/api/v1/calendar/accounts", headers=h).json() == []


def test_a_second_connection_of_the_same_calendar_is_a_conflict(api, radicale, work):
    """GIVEN a connected CalDAV account WHEN connected again THEN 409; removing it forgets its events here only."""
    h = bearer(signed_up(api))
    account = connect(api, radicale, h).json()
    assert connect(api, radicale, h).status_code == 409
    jobs.local_queue().join(60)
    assert api.delete(f"/api/v1/calendar/accounts/{account['id']}", headers=h).json() == {"calendars": 1}
    assert events(api, h) == [] and len(work.events()) == 3


def test_hidden_calendars_leave_the_view_and_other_users_see_nothing(api, radicale, work):
    """GIVEN a synced calendar WHEN it is hidden THEN the view is empty unless hidden ones are asked for;
    another user never sees it."""
    h = bearer(signed_up(api))
    connect(api, radicale, h)
    jobs.local_queue().join(60)
    cal_id = api.get("/api/v1/calendar/accounts", headers=h).json()[0]["calendars"][0]["id"]
    r = api.patch(f"/api/v1/calendar/calendars/{cal_id}", headers=h, json={"visible": False})
    assert r.status_code == 200 and r.json()["visible"] is False
    assert events(api, h) == []
    hidden = api.get("/api/v1/calendar/events", headers=h,
                     params={"from": "2026-03-01T00:00:00Z", "to": "2026-06-01T00:00:00Z", "include_hidden": True})
    assert len(hidden.json()) == 5
    other = bearer(signed_up(api, "bob@example.com"))
    assert events(api, other) == []
    assert api.patch(f"/api/v1/calendar/calendars/{cal_id}", headers=other, json={"busy": False}).status_code == 404


def test_writes_carry_preconditions_so_a_change_on_the_server_is_never_overwritten(radicale, work):
    """GIVEN an event created through the integration WHEN it is replaced with its current etag THEN the
    server takes it; WHEN replaced or deleted with a stale etag THEN 412 becomes CalDavConflict and the
    server's copy stays; creating a UID that exists is refused the same way."""
    cfg = caldav.CalDavConfig(url=radicale.url, username=USER, password=PASSWORD)
    made = caldav.put(cfg, calendar_url=str(work.url), uid="new@test",
                      data=one("new@test", ":20260401T090000Z", ":20260401T100000Z", "New"))
    assert made.etag
    changed = caldav.put(cfg, calendar_url=str(work.url), uid="new@test", href=made.href, etag=made.etag,
                         data=one("new@test", ":20260401T090000Z", ":20260401T100000Z", "Renamed"))
    assert changed.etag != made.etag
    with pytest.raises(caldav.CalDavConflict):
        caldav.put(cfg, calendar_url=str(work.url), uid="new@test", href=made.href, etag=made.etag,
                   data=one("new@test", ":20260401T090000Z", ":20260401T100000Z", "Stale"))
    with pytest.raises(caldav.CalDavConflict):
        caldav.delete(cfg, calendar_url=str(work.url), href=made.href, etag=made.etag)
    with pytest.raises(caldav.CalDavConflict):
        caldav.put(cfg, calendar_url=str(work.url), uid="new@test",
                   data=one("new@test", ":20260401T090000Z", ":20260401T100000Z", "Duplicate"))
    assert "SUMMARY:Renamed" in work.event_by_uid("new@test").data
    caldav.delete(cfg, calendar_url=str(work.url), href=changed.href, etag=changed.etag)
    caldav.delete(cfg, calendar_url=str(work.url), href=changed.href, etag=None)  # already gone: quietly
    assert len(work.events()) == 3


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def test_events_need_a_window_with_an_offset(api):
    """GIVEN the events endpoint WHEN asked without an offset, backwards or for years THEN 422 says why."""
    h = bearer(signed_up(api))
    for params in ({"from": "2026-03-01T00:00:00", "to": "2026-03-02T00:00:00"},
                   {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
                   {"from": "2026-01-01T00:00:00Z", "to": "2028-01-01T00:00:00Z"}):
        r = api.get("/api/v1/calendar/events", headers=h, params=params)
        assert r.status_code == 422, (params, r.text)


def test_free_slots_avoid_the_synced_meetings_in_the_users_hours(api, radicale, work):
    """GIVEN a user in Bucharest with a synced meeting 14:00-15:00 local on Wednesday 17 March 2027 and working
    hours 09:00-17:00 with 15 minutes of buffer (Settings) WHEN asking for one-hour slots that day THEN
    every slot is inside 09:00-17:00 local (07:00-15:00 UTC), none within 15 minutes of the meeting,
    and three proposals are spread over days."""
    h = bearer(signed_up(api))
    r = api.patch("/api/v1/settings", headers=h, json={"timezone": "Europe/Bucharest", "scheduling": {
        "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "buffer_before_minutes": 15, "buffer_after_minutes": 15, "min_notice_minutes": 0}})
    assert r.status_code == 200, r.text
    assert r.json()["scheduling"]["buffer_after_minutes"] == 15
    work.save_event(one("sync@test", ":20270317T120000Z", ":20270317T130000Z", "Sync with Dan"))
    connect(api, radicale, h)
    jobs.local_queue().join(60)
    r = api.get("/api/v1/calendar/slots", headers=h,
                params={"from": "2027-03-17T00:00:00Z", "to": "2027-03-18T00:00:00Z", "duration": 60})
    assert r.status_code == 200, r.text
    starts = [s["start"] for s in r.json()]
    # 09:00 local is 07:00Z; the meeting 12:00-13:00Z blocks 11:45-13:15Z; the day ends 15:00Z.
    assert starts[0] == "2027-03-17T07:00:00Z" and starts[-1] == "2027-03-17T14:00:00Z"
    assert "2027-03-17T11:00:00Z" not in starts and "2027-03-17T10:45:00Z" in starts
    assert "2027-03-17T13:00:00Z" not in starts and "2027-03-17T13:15:00Z" in starts
    assert r.json()[0]["local_start"].startswith("2027-03-17T09:00:00+02:00")
    offered = api.get("/api/v1/calendar/slots", headers=h, params={
        "from": "2027-03-15T00:00:00Z", "to": "2027-03-20T00:00:00Z", "duration": 30, "propose": 3}).json()
    assert len(offered) == 3 and len({o["local_start"][:10] for o in offered}) == 3
    bad = api.get("/api/v1/calendar/slots", headers=h, params={"from": "2027-03-17T00:00:00Z",
                                                                "to": "2027-09-17T00:00:00Z"})
    assert bad.status_code == 422
    assert api.patch("/api/v1/settings", headers=h, json={"scheduling": {"hours": {"mon": ["17:00-09:00"]}}}
                     ).status_code == 422


def test_events_made_here_are_written_to_the_server_and_its_copy_wins_a_conflict(api, radicale, work):
    """GIVEN a synced calendar WHEN the user creates an event here THEN it is on the server (in the user's
    zone) and in the week view; WHEN it is changed here THEN the server has the new version; WHEN it was
    changed in another app meanwhile THEN a change here is refused with 409, the server's copy is kept and
    synced back; a delete removes it on the server too."""
    h = bearer(signed_up(api))
    api.patch("/api/v1/settings", headers=h, json={"timezone": "Europe/Bucharest"})
    connect(api, radicale, h)
    jobs.local_queue().join(60)
    cal_id = api.get("/api/v1/calendar/accounts", headers=h).json()[0]["calendars"][0]["id"]
    body = {"calendar_id": cal_id, "title": "Dentist", "start": "2027-02-10T08:00:00Z", "end": "2027-02-10T09:00:00Z"}
    r = api.post("/api/v1/calendar/events", headers=h, json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["tzid"] == "Europe/Bucharest" and made["start"] == "2027-02-10T08:00:00Z"
    on_server = work.event_by_uid(made["uid"]).data
    assert "DTSTART;TZID=Europe/Bucharest:20270210T100000" in on_server

    r = api.put(f"/api/v1/calendar/events/{made['id']}", headers=h, json={**body, "title": "Dentist (moved)",
                                                                          "start": "2027-02-11T08:00:00Z",
                                                                          "end": "2027-02-11T09:00:00Z"})
    assert r.status_code == 200 and r.json()["id"] == made["id"], r.text
    assert "SUMMARY:Dentist (moved)" in work.event_by_uid(made["uid"]).data

    elsewhere = work.event_by_uid(made["uid"])
    elsewhere.data = elsewhere.data.replace("Dentist (moved)", "Dentist (from the phone)")
    elsewhere.save()
    r = api.put(f"/api/v1/calendar/events/{made['id']}", headers=h, json={**body, "title": "Mine"})
    assert r.status_code == 409 and r.json()["code"] == "calendar_conflict", r.text
    jobs.local_queue().join(60)
    titles = [e["title"] for e in events(api, h, "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z")]
    assert titles == ["Dentist (from the phone)"] and "Mine" not in work.event_by_uid(made["uid"]).data

    now = events(api, h, "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z")[0]
    assert api.delete(f"/api/v1/calendar/events/{now['id']}", headers=h).status_code == 204
    assert events(api, h, "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z") == []
    assert made["uid"] not in [e.icalendar_component["uid"] for e in work.events()]



def test_one_occurrence_of_a_series_is_changed_or_removed_within_the_series(api, radicale, work):
    """GIVEN a synced weekly series (one instance already moved, one excluded) WHEN one occurrence is changed here
    THEN the server's series holds an override with that RECURRENCE-ID in the series' own zone, the rest of the
    series is as it was and the occurrence keeps its id; WHEN an occurrence is deleted (a plain one, and the one
    moved before) THEN the series gets an EXDATE for it and loses its override, and only that one is gone."""
    h = bearer(signed_up(api))
    api.patch("/api/v1/settings", headers=h, json={"timezone": "Europe/Bucharest"})
    connect(api, radicale, h)
    jobs.local_queue().join(60)
    standups = [e for e in events(api, h) if e["uid"] == "standup@test"]
    assert [e["start"] for e in standups] == ["2026-03-17T08:00:00Z", "2026-04-01T12:00:00Z", "2026-04-07T07:00:00Z"]
    first, moved, last = standups

    r = api.put(f"/api/v1/calendar/events/{first['id']}", headers=h, json={
        "title": "Standup (Wednesday)", "start": "2026-03-18T09:00:00Z", "end": "2026-03-18T09:30:00Z"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == first["id"] and r.json()["start"] == "2026-03-18T09:00:00Z"
    text = work.event_by_uid("standup@test").data
    assert "RECURRENCE-ID;TZID=Europe/Bucharest:20260317T100000" in text
    assert "DTSTART;TZID=Europe/Bucharest:20260318T110000" in text and "RRULE:FREQ=WEEKLY;COUNT=4" in text
    after = [(e["title"], e["start"]) for e in events(api, h) if e["uid"] == "standup@test"]
    assert after == [("Standup (Wednesday)", "2026-03-18T09:00:00Z"), ("Standup (moved)", "2026-04-01T12:00:00Z"),
                     ("Standup", "2026-04-07T07:00:00Z")]

    assert api.delete(f"/api/v1/calendar/events/{last['id']}", headers=h).status_code == 204
    assert api.delete(f"/api/v1/calendar/events/{moved['id']}", headers=h).status_code == 204
    text = work.event_by_uid("standup@test").data.replace("\r\n ", "")
    assert "20260407T100000" in text and "20260331T100000" in text  # both excluded now
    assert "Standup (moved)" not in text and "Standup (Wednesday)" in text
    after = [(e["id"], e["title"]) for e in events(api, h) if e["uid"] == "standup@test"]
    assert after == [(first["id"], "Standup (Wednesday)")]
    calendar_sync.sync_calendar(calendar_id=_uuid(api.get("/api/v1/calendar/accounts", headers=h).json()[0][
        "calendars"][0]["id"]))  # the server's copy read again gives the same
    assert [(e["id"], e["title"]) for e in events(api, h) if e["uid"] == "standup@test"] == after


def test_a_series_is_expanded_again_as_time_moves_on(api, radicale, work):
    """GIVEN a synced series whose expansion is older than a month (its rows cut short here to show it)
    WHEN the calendar syncs with nothing new on the server THEN the series is expanded again from its
    stored text and all its instances are back, with their ids kept where they existed."""
    from datetime import timedelta

    from sqlalchemy import delete, select as sa_select

    from openfyxer.models.calendar import CalendarEvent, CalendarObject

    h = bearer(signed_up(api))
    connect(api, radicale, h)
    jobs.local_queue().join(60)
    cal_id = _uuid(api.get("/api/v1/calendar/accounts", headers=h).json()[0]["calendars"][0]["id"])
    first = events(api, h)[0]
    with session_scope() as s:
        series = s.exec(sa_select(CalendarObject).where(CalendarObject.uid == "standup@test")).scalar_one()
        series.updated_at -= timedelta(days=40)
        s.add(series)
        s.exec(delete(CalendarEvent).where(CalendarEvent.object_id == series.id, CalendarEvent.id != _uuid(first["id"])))
    assert [e["title"] for e in events(api, h)].count("Standup") == 1
    result = calendar_sync.sync_calendar(calendar_id=cal_id)
    assert result.changed == 1 and not result.full
    again = events(api, h)
    assert [e["title"] for e in again] == ["Standup", "Budget review", "Standup (moved)", "Standup", "Labour Day"]
    assert again[0]["id"] == first["id"]


def test_an_address_without_a_host_is_a_422_not_a_server_error(api):
    """GIVEN a CalDAV "address" that is no URL WHEN connecting THEN 422 says what is wrong (the fuzzer found a 502)."""
    h = bearer(signed_up(api))
    r = api.post("/api/v1/calendar/accounts/caldav", headers=h, json={"url": "0", "username": "a", "password": "b"})
    assert r.status_code == 422 and "host name" in r.json()["detail"], r.text
