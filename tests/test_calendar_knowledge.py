"""Calendar events in the knowledge graph: Meeting nodes ATTENDED by the people mail knows, a chunk
each for retrieval, kept in step with the calendar; and "when did I last meet Ana?" answered from the
calendar with the event as its source."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import caldav as caldav_lib
import pytest
from sqlmodel import select

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.integrations import embeddings
from openfyxer.integrations.graph_store import Ref, Step
from openfyxer.integrations.knowledge_store import get_store
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent
from openfyxer.models.user import User
from openfyxer.services.calendar import accounts as calendar_accounts
from openfyxer.services.knowledge import calendar_index, meeting_queries, rag
from tests.assistanthelpers import make_user_account
from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.servers import start_radicale

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(params=["embedded", "neo4j"])
def store_kind(request, sqlite_url, monkeypatch):  # noqa: ANN001, ANN201
    if request.param == "neo4j":
        apply_env(monkeypatch, neo4j_url=request.getfixturevalue("neo4j_server").url)
    return request.param


def _calendar(s, user: User) -> Calendar:  # noqa: ANN001
    account = CalendarAccount(user_id=user.id, provider="caldav", server_url="http://127.0.0.1:1/", username="me")
    s.add(account)
    s.flush()
    cal = Calendar(user_id=user.id, account_id=account.id, url="http://127.0.0.1:1/work/", name="Work")
    s.add(cal)
    s.flush()
    return cal


def _event(s, cal: Calendar, title: str, start: datetime, *, attendees=(), organizer=None, uid=None,  # noqa: ANN001
           recurrence_id="", status="CONFIRMED", location=None) -> uuid.UUID:
    e = CalendarEvent(user_id=cal.user_id, calendar_id=cal.id, provider="caldav", uid=uid or uuid.uuid4().hex,
                      recurrence_id=recurrence_id, title=title, start_time=start, end_time=start + timedelta(hours=1),
                      location=location, attendees=list(attendees), organizer=organizer, status=status,
                      tzid="Europe/Bucharest")
    s.add(e)
    s.flush()
    return e.id


def _meetings(now: datetime) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """Me with a one-off review (Ana, Dan; organised by me), a weekly sync with Ana (three weeks back, two ahead;
    the one two weeks ago with Maria too), a cancelled lunch with Eve and an offsite with Dan next month."""
    with session_scope() as s:
        user, _ = make_user_account(s, address="me@mine.ro")
        user.timezone = "Europe/Bucharest"
        cal = _calendar(s, user)
        ids = {"review": _event(s, cal, "Budget review", now - timedelta(days=10), location="Room 2",
                                attendees=["Ana.Pop@acme.ro", "dan@acme.ro"], organizer="me@mine.ro")}
        for weeks in (-3, -2, -1, 1, 2):
            start = now + timedelta(weeks=weeks)
            people = ["ana.pop@acme.ro", "maria@acme.ro"] if weeks == -2 else ["ana.pop@acme.ro"]
            ids[f"sync{weeks:+d}"] = _event(s, cal, "Weekly sync", start, attendees=people, organizer="me@mine.ro",
                                            uid="weekly@test", recurrence_id=start.isoformat())
        ids["lunch"] = _event(s, cal, "Lunch", now - timedelta(days=3), attendees=["eve@gmail.com"], status="CANCELLED")
        ids["offsite"] = _event(s, cal, "Offsite planning", now + timedelta(days=30), attendees=["dan@acme.ro"])
        return user.id, ids


def _keys(user_id, label: str = "Meeting") -> set[str]:  # noqa: ANN001
    return {n.key for n in get_store().having(str(user_id), label, "origin", "calendar")}


def _attended(user_id, address: str) -> set[str]:  # noqa: ANN001
    return {n.key for n in get_store().walk(str(user_id), Ref("Person", address), [Step("ATTENDED", "Meeting")])}


def test_events_become_meetings_attended_by_people_and_stay_in_step(store_kind) -> None:  # noqa: ANN001
    """GIVEN a calendar with a one-off meeting, a weekly series (one week with another person too), a cancelled
    lunch and a meeting next month
    WHEN it is indexed THEN each one-off, the series' latest past and next instance and the week with other people
    are Meeting nodes ATTENDED by their people (organizer included, by address as mail keys them), with a chunk
    that word search finds; the cancelled lunch and the older and later weeks are not.
    WHEN indexed again THEN nothing is written; WHEN an attendee leaves THEN only that node is rewritten and their
    edge goes; WHEN an event is deleted THEN its node leaves; WHEN a week passes THEN the series' nodes move on."""
    now = datetime.now(UTC).replace(microsecond=0)
    user_id, ids = _meetings(now)
    result = calendar_index.index_calendar(user_id=user_id, now=now)
    want = {str(ids[k]) for k in ("review", "sync-1", "sync+1", "sync-2", "offsite")}
    assert result == {"written": 5, "deleted": 0, "unchanged": 0}
    assert _keys(user_id) == want
    me, store = str(user_id), get_store()
    review = store.node(me, Ref("Meeting", str(ids["review"])))
    assert review.props["title"] == "Budget review" and review.props["location"] == "Room 2"
    assert review.props["date"] == (now - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%S")
    assert _attended(user_id, "ana.pop@acme.ro") == {str(ids[k]) for k in ("review", "sync-1", "sync+1", "sync-2")}
    assert _attended(user_id, "me@mine.ro") == {str(ids[k]) for k in ("review", "sync-1", "sync+1", "sync-2")}
    assert _attended(user_id, "maria@acme.ro") == {str(ids["sync-2"])}
    assert _attended(user_id, "eve@gmail.com") == set()
    assert [n.key for n in store.walk(me, Ref("Company", "acme.ro"), [Step("WORKS_AT", "Person", "in")])] == [
        "ana.pop@acme.ro", "dan@acme.ro", "maria@acme.ro"]
    hits = store.search_words(me, ["budget", "review"], embeddings.embed_one("budget review"), k=3)
    assert hits[0].item.key == str(ids["review"]) and "Room 2" in hits[0].text and "Ana.Pop" not in hits[0].text
    first = store.stats(me)

    assert calendar_index.index_calendar(user_id=user_id, now=now) == {"written": 0, "deleted": 0, "unchanged": 5}
    assert store.stats(me) == first

    with session_scope() as s:
        s.get(CalendarEvent, ids["review"]).attendees = ["ana.pop@acme.ro"]
        s.delete(s.get(CalendarEvent, ids["offsite"]))
    assert calendar_index.index_calendar(user_id=user_id, now=now) == {"written": 1, "deleted": 1, "unchanged": 3}
    assert _attended(user_id, "dan@acme.ro") == set()
    assert store.node(me, Ref("Meeting", str(ids["offsite"]))) is None
    assert store.stats(me)["chunks"] == first["chunks"] - 1

    later = calendar_index.index_calendar(user_id=user_id, now=now + timedelta(days=8))
    assert later["deleted"] == 1 and _keys(user_id) == {str(ids[k]) for k in ("review", "sync+1", "sync+2", "sync-2")}


def test_when_did_i_last_meet_someone_is_answered_from_the_calendar(store_kind) -> None:  # noqa: ANN001
    """GIVEN the same calendar, indexed
    WHEN the user asks "when did I last meet Ana?" (or in Romanian, or by address, or about Maria)
    THEN the answer is written by code: the latest meeting that has started with that person and the next one,
    each cited as an "event" source; Eve's cancelled lunch is no meeting, and "Diana" is not Ana."""
    now = datetime.now(UTC).replace(microsecond=0)
    user_id, ids = _meetings(now)
    calendar_index.index_calendar(user_id=user_id, now=now)
    with session_scope() as s:
        user = s.get(User, user_id)
        prepared = rag.prepare(s, user=user, question="When did I last meet Ana?")
        assert prepared.messages is None
        lines = prepared.text.splitlines()
        day = (now - timedelta(weeks=1)).astimezone(meeting_queries.zone(user))
        assert lines[0] == f"Your last meeting with Ana was on {day.day} {day:%b} {day.year}:"
        assert lines[1].startswith("[1] Weekly sync — ") and lines[2].startswith("The next one is on ")
        assert [(x.n, x.kind, x.id) for x in prepared.sources] == [
            (1, "event", ids["sync-1"]), (2, "event", ids["sync+1"])]
        answer = rag.finish(prepared, "")
        assert answer.grounded and answer.sources[0].kind == "event"

        ro = meeting_queries.answer(s, user=user, question="când m-am întâlnit ultima dată cu Ana Pop?", now=now)
        assert ro.text.startswith("Ultima întâlnire cu Ana Pop a fost pe ") and ro.sources[0].id == ids["sync-1"]
        maria = meeting_queries.answer(s, user=user, question="when was my last meeting with maria@acme.ro", now=now)
        assert [x.id for x in maria.sources] == [ids["sync-2"]]
        dan = meeting_queries.answer(s, user=user, question="When did I last see Dan?", now=now)
        assert [x.id for x in dan.sources] == [ids["review"], ids["offsite"]]
        eve = meeting_queries.answer(s, user=user, question="Când am avut ultima întâlnire cu Eve?", now=now)
        assert eve.text == "Nu am găsit nicio întâlnire cu Eve în calendarul tău." and eve.sources == []
        assert meeting_queries.answer(s, user=user, question="when did I last meet Diana?", now=now).sources == []
        assert meeting_queries.answer(s, user=user, question="when did I first meet Ana?", now=now) is None
        assert meeting_queries.answer(s, user=user, question="what did Ana send me?", now=now) is None


def test_a_meeting_found_by_meaning_is_an_event_source(sqlite_url) -> None:  # noqa: ANN001
    """GIVEN an indexed calendar WHEN retrieval looks for "budget review in Room 2" or names Ana
    THEN the review (and Ana's latest meetings, through the graph) come back as "event" candidates, and the
    source is the event's own row: its title, the day in the zone it was written in, and a snippet."""
    now = datetime.now(UTC).replace(microsecond=0)
    user_id, ids = _meetings(now)
    calendar_index.index_calendar(user_id=user_id, now=now)
    with session_scope() as s:
        user = s.get(User, user_id)
        found = rag.retrieve(s, user=user, question="budget review in Room 2")
        assert (found[0].kind, found[0].id) == ("event", ids["review"])
        source, block = rag._source(1, found[0], s.get(CalendarEvent, ids["review"]))
        assert (source.kind, source.title) == ("event", "Budget review") and "Room 2" in source.snippet
        assert block.startswith("[1] Calendar event, ") and "<untrusted_email>" in block
        named = {c.id for c in rag.retrieve(s, user=user, question="What was discussed with Ana Pop?", k=10)
                 if c.kind == "event"}
        assert {ids["sync-1"], ids["review"]} <= named


def test_no_calendar_says_so_and_removing_one_declares_the_reindex(sqlite_url, declared_jobs) -> None:  # noqa: ANN001
    """GIVEN a user without a calendar WHEN they ask when they last met Ana THEN the answer says to connect one.
    GIVEN a calendar WHEN its account is removed THEN re-indexing the user's meetings is declared, and it leaves
    no Meeting behind."""
    now = datetime.now(UTC)
    with session_scope() as s:
        user, _ = make_user_account(s)
        none = meeting_queries.answer(s, user=user, question="when did I last meet Ana?")
        assert none.text.startswith("No calendar is connected") and none.sources == []
    user_id, ids = _meetings(now)
    calendar_index.index_calendar(user_id=user_id)
    with session_scope() as s:
        account_id = s.exec(select(CalendarAccount.id).where(CalendarAccount.user_id == user_id)).one()
        calendar_accounts.remove_account(s, user=s.get(User, user_id), account_id=account_id)
    assert ("index_calendar", (str(user_id),)) in [(d.name, d.args) for d in declared_jobs]
    calendar_index.index_calendar(user_id=user_id)
    assert _keys(user_id) == set() and get_store().stats(str(user_id)).get("Meeting", 0) == 0


EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
         "DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{title}\r\n"
         "ORGANIZER:mailto:ana@example.com\r\nATTENDEE;CN=Dan Matei:mailto:dan.matei@acme.ro\r\n"
         "END:VEVENT\r\nEND:VCALENDAR\r\n")


def _ics(uid: str, title: str, start: datetime) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    return EVENT.format(uid=uid, title=title, start=start.strftime(fmt), end=(start + timedelta(hours=1)).strftime(fmt))


def test_a_synced_calendar_is_indexed_and_answers_through_the_chat(client, database_url,  # noqa: ANN001
                                                                  monkeypatch) -> None:
    """GIVEN a real CalDAV server with a meeting with Dan last week and one next week
    WHEN the calendar is connected (the sync job runs, and declares the indexing) THEN the meetings are in the
    graph, and the chat's answer to "when did I last meet Dan?" cites last week's as an event.
    WHEN the meeting is deleted on the server and the calendar synced again THEN its node leaves the graph."""
    apply_env(monkeypatch, database_url=database_url)
    server = start_radicale({"ana": "app-password-1"})
    try:
        dav = caldav_lib.DAVClient(url=server.url, username="ana", password="app-password-1")
        cal = dav.principal().make_calendar(name="Work", cal_id="work")
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        cal.save_event(_ics("past@test", "Contract talk", now - timedelta(days=6)))
        cal.save_event(_ics("next@test", "Contract follow-up", now + timedelta(days=6)))
        h = bearer(signed_up(client))
        r = client.post("/api/v1/calendar/accounts/caldav", headers=h,
                        json={"url": server.url, "username": "ana", "password": "app-password-1"})
        assert r.status_code == 201, r.text
        jobs.local_queue().join(120)
        with session_scope() as s:
            user_id = s.exec(select(User.id).where(User.email == "ana@example.com")).one()
            rows = {e.uid: e.id for e in s.exec(select(CalendarEvent)).all()}
        assert _keys(user_id) == {str(rows["past@test"]), str(rows["next@test"])}
        assert _attended(user_id, "dan.matei@acme.ro") == _keys(user_id)

        reply = client.post("/api/v1/chat", headers=h, json={"message": "When did I last meet Dan?"}).json()
        assert reply["content"].startswith("Your last meeting with Dan was on ")
        assert [(x["kind"], x["id"], x["title"]) for x in reply["sources"]] == [
            ("event", str(rows["past@test"]), "Contract talk"), ("event", str(rows["next@test"]), "Contract follow-up")]

        cal.event_by_uid("past@test").delete()
        cal_id = client.get("/api/v1/calendar/accounts", headers=h).json()[0]["calendars"][0]["id"]
        assert client.post(f"/api/v1/calendar/calendars/{cal_id}/sync", headers=h).status_code == 202
        jobs.local_queue().join(120)
        assert _keys(user_id) == {str(rows["next@test"])}
        dav.close()
    finally:
        server.stop()
