"""Gmail and Outlook calendars through the mail account's OAuth grant, against the local server that
speaks Google Calendar v3 and Microsoft Graph (tests/calendar_stub.py, answering on recorded and
documented shapes): connect through the API, first and incremental sync into the week and the free
slots, a forgotten sync token (410) read whole without duplicates, a refused token, read-only writes.

Google's and Microsoft's own servers cannot be reached from here; the OAuth part that asks Microsoft
for a Graph token is tested against the local OAuth provider (the `scope` it is sent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.integrations import oauth_client
from openfyxer.integrations.calendar_api import CalendarAuthError
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent
from openfyxer.models.email import Email
from openfyxer.models.user import User
from openfyxer.models.draft import Draft
from openfyxer.services.calendar import accounts as calendar_accounts
from openfyxer.services.calendar import booking, offers, scheduling
from openfyxer.services.calendar import sync as calendar_sync
from openfyxer.services.mail import oauth as oauth_service
from tests.calendar_stub import GRAPH_CALENDAR, GRAPH_SHARED, CalendarStub
from tests.conftest import apply_env
from tests.helpers import bearer, held_jobs, signed_up

SERIES = "7kukuqrfedlm2f9t3rmiq7c5cn@google.com"


@pytest.fixture
def stub():
    server = CalendarStub().start()
    yield server
    server.stop()
    assert not server.errors


@pytest.fixture
def api(client, database_url, monkeypatch, stub):
    apply_env(monkeypatch, database_url=database_url, google_calendar_api_base=stub.google_base,
              graph_api_base=stub.graph_base)
    return client


def _mail_account(email: str, provider: str, token: str) -> str:
    """A Gmail/Outlook account as its provider's sign-in leaves it (an unexpired access token)."""
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == email)).one()
        account = EmailAccount(user_id=user.id, provider=provider, email_address="ana@example.com",
                               oauth_token=token, oauth_refresh_token="refresh-1",
                               oauth_expires_at=datetime.now(UTC) + timedelta(hours=1))
        db.add(account)
        db.flush()
        return str(account.id)


def _events(api, h) -> list[dict]:  # noqa: ANN001
    r = api.get("/api/v1/calendar/events", headers=h, params={"from": "2026-03-01T00:00:00Z",
                                                               "to": "2026-05-01T00:00:00Z"})
    assert r.status_code == 200, r.text
    return r.json()


def _sync(calendar_id: str) -> calendar_sync.SyncResult:
    return calendar_sync.sync_calendar(calendar_id=_uuid(calendar_id))


def _uuid(value: str):  # noqa: ANN202
    import uuid

    return uuid.UUID(value)


def test_a_gmail_accounts_calendars_connect_sync_and_count_as_busy(api, stub):
    """GIVEN a Gmail account connected with Google's sign-in WHEN its calendars are connected THEN both are
    listed (the primary one counted as busy, the subscribed holidays not), the first sync brings each instance
    once in UTC, the next one only what changed (a moved meeting, a cancelled instance), a forgotten token is
    read whole without duplicates, and the free slots avoid the meetings."""
    tokens = signed_up(api)
    h = bearer(tokens)
    mail_id = _mail_account("ana@example.com", "gmail", stub.token)
    with held_jobs() as held:  # the syncs are this test's to run, one at a time
        r = api.post("/api/v1/calendar/accounts/oauth", headers=h, json={"email_account_id": mail_id})
    assert r.status_code == 201, r.text
    assert len(held) == 2
    account = r.json()
    assert account["provider"] == "google" and account["username"] == "ana@example.com"
    cals = {c["name"]: c for c in account["calendars"]}
    assert set(cals) == {"ana@example.com", "Romanian holidays"}
    assert cals["ana@example.com"]["busy"] and not cals["Romanian holidays"]["busy"]
    with held_jobs():
        again = api.post("/api/v1/calendar/accounts/oauth", headers=h, json={"email_account_id": mail_id})
    assert again.status_code == 409

    primary = cals["ana@example.com"]["id"]
    first = _sync(primary)
    assert first.full and first.error is None
    got = {(e["title"], e["start"]) for e in _events(api, h)}
    assert ("Budget review", "2026-03-17T09:00:00Z") in got
    assert ("Team sync", "2026-03-25T14:00:00Z") in got  # the moved instance, where it went
    assert not any(start == "2026-03-31T12:00:00Z" for _, start in got)  # the cancelled one
    assert ("Team sync", "2026-04-07T12:00:00Z") in got
    first_count = len(got)

    second = _sync(primary)
    assert not second.full
    got = {(e["title"], e["start"]) for e in _events(api, h)}
    assert ("Budget review (moved)", "2026-03-18T09:00:00Z") in got and ("Budget review", "2026-03-17T09:00:00Z") \
        not in got
    assert not any(start == "2026-04-07T12:00:00Z" for _, start in got)  # cancelled since

    stub.google.expire()
    third = _sync(primary)
    # Read whole again: what the listing holds (the stub's listing is the recorded first one), nothing twice.
    assert third.full and len(_events(api, h)) == first_count
    assert ("Budget review (moved)", "2026-03-18T09:00:00Z") not in {(e["title"], e["start"]) for e in _events(api, h)}

    with session_scope() as db:  # seen from before that week: the meetings are busy time, the rest of the day free
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        slots = scheduling.free_slots(db, user=user, start=datetime(2026, 3, 17, tzinfo=UTC),
                                      end=datetime(2026, 3, 18, tzinfo=UTC), duration_minutes=30,
                                      now=datetime(2026, 3, 1, tzinfo=UTC))
    starts = {s.start.strftime("%H:%M") for s in slots}  # the user's zone is UTC, working 09:00-17:00
    assert {"10:00", "12:30", "13:30", "16:30"} <= starts
    assert not {"09:00", "09:30", "12:45", "13:00", "13:15"} & starts  # Budget review 9-10, Team sync 13-13:30


def _zone(email: str, zone: str) -> None:
    with session_scope() as db:
        db.exec(select(User).where(User.email == email)).one().timezone = zone


def _last(stub, method: str):  # noqa: ANN001, ANN202
    return [r for r in stub.requests if r.method == method][-1]


def test_events_are_written_back_to_a_google_calendar_and_a_change_made_elsewhere_wins(api, stub):
    """GIVEN a connected Google calendar (the user in Bucharest) WHEN an event is created, changed and deleted
    here THEN each goes to Google first (sendUpdates=none, no guests; changes with If-Match of the etag read), the
    next incremental sync finds the same event, not a second; WHEN the event was renamed on the phone meanwhile
    THEN the change here is refused (409), Google's version stays and a sync is queued; the holidays calendar,
    which Google lets the user only read, is refused before anything is sent."""
    h = bearer(signed_up(api))
    _zone("ana@example.com", "Europe/Bucharest")
    mail_id = _mail_account("ana@example.com", "gmail", stub.token)
    with held_jobs():
        account = api.post("/api/v1/calendar/accounts/oauth", headers=h, json={"email_account_id": mail_id}).json()
    cals = {c["name"]: c for c in account["calendars"]}
    primary, holidays = cals["ana@example.com"]["id"], cals["Romanian holidays"]["id"]
    assert cals["ana@example.com"]["writable"] and not cals["Romanian holidays"]["writable"]
    assert _sync(primary).full

    before = len(stub.requests)
    r = api.post("/api/v1/calendar/events", headers=h, json={
        "calendar_id": holidays, "title": "Dentist", "start": "2026-12-20T08:00:00Z", "end": "2026-12-20T09:00:00Z"})
    assert r.status_code == 422 and r.json()["code"] == "calendar_read_only"
    assert len(stub.requests) == before

    r = api.post("/api/v1/calendar/events", headers=h, json={
        "calendar_id": primary, "title": "Dentist", "location": "Str. Lipscani 5", "start": "2026-12-20T08:00:00Z",
        "end": "2026-12-20T09:00:00Z"})
    assert r.status_code == 201, r.text
    event = r.json()
    sent = _last(stub, "POST")
    assert sent.query["sendUpdates"] == "none" and "attendees" not in sent.body
    assert sent.body["start"] == {"dateTime": "2026-12-20T10:00:00+02:00", "timeZone": "Europe/Bucharest"}
    (gid,) = stub.google.written
    assert event["uid"] == f"{gid}@google.com" and event["start"] == "2026-12-20T08:00:00Z"
    assert event["location"] == "Str. Lipscani 5" and event["tzid"] == "Europe/Bucharest"
    assert not _sync(primary).full
    december = {"from": "2026-12-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
    listed = api.get("/api/v1/calendar/events", headers=h, params=december).json()
    assert [(e["id"], e["title"]) for e in listed] == [(event["id"], "Dentist")]  # the sync met it: one row

    etag = stub.google.written[gid]["etag"]
    r = api.put(f"/api/v1/calendar/events/{event['id']}", headers=h, json={
        "title": "Dentist", "all_day": True, "start_date": "2026-12-21", "end_date": "2026-12-22"})
    assert r.status_code == 200, r.text
    sent = _last(stub, "PATCH")
    assert sent.if_match == etag and sent.query["sendUpdates"] == "none"
    assert sent.body["start"] == {"date": "2026-12-21", "dateTime": None, "timeZone": None}
    assert stub.google.written[gid]["start"] == {"date": "2026-12-21"}  # the timed start is gone
    assert r.json()["all_day"] and r.json()["start_date"] == "2026-12-21"

    stub.google.change_elsewhere(gid, "Dentist - Dr. Ionescu")
    with held_jobs() as held:
        r = api.put(f"/api/v1/calendar/events/{event['id']}", headers=h, json={
            "title": "Mine", "start": "2026-12-22T08:00:00Z", "end": "2026-12-22T09:00:00Z"})
    assert r.status_code == 409 and r.json()["code"] == "calendar_conflict"
    assert any("sync_calendar" in str(job) for job in held)
    assert stub.google.written[gid]["summary"] == "Dentist - Dr. Ionescu"
    _sync(primary)
    listed = api.get("/api/v1/calendar/events", headers=h, params=december).json()
    assert [(e["id"], e["title"]) for e in listed] == [(event["id"], "Dentist - Dr. Ionescu")]

    etag = stub.google.written[gid]["etag"]  # the renamed version, which the sync brought
    r = api.delete(f"/api/v1/calendar/events/{event['id']}", headers=h)
    assert r.status_code == 204, r.text
    assert _last(stub, "DELETE").if_match == etag
    assert stub.google.written[gid]["status"] == "cancelled"
    assert api.get("/api/v1/calendar/events", headers=h, params=december).json() == []
    _sync(primary)  # Google reports the deletion: nothing comes back
    assert api.get("/api/v1/calendar/events", headers=h, params=december).json() == []

    with session_scope() as db:
        db.get(EmailAccount, _uuid(mail_id)).oauth_token = "revoked-token"
    with pytest.raises(CalendarAuthError):
        _sync(primary)
    state = api.get(f"/api/v1/calendar/calendars/{primary}/sync", headers=h).json()["calendar"]
    assert state["sync_state"] == "error" and "refused" in state["sync_error"].lower()


def test_only_oauth_mail_accounts_have_calendars_to_connect(api):
    h = bearer(signed_up(api))
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        imap = EmailAccount(user_id=user.id, provider="imap", email_address="ana@example.com", imap_password="x")
        db.add(imap)
        db.flush()
        imap_id = str(imap.id)
    r = api.post("/api/v1/calendar/accounts/oauth", headers=h, json={"email_account_id": imap_id})
    assert r.status_code == 422 and r.json()["code"] == "calendar_not_oauth"
    other = bearer(signed_up(api, "bob@example.com"))
    assert api.post("/api/v1/calendar/accounts/oauth", headers=other,
                    json={"email_account_id": imap_id}).status_code == 404


def _outlook_calendar(stub, remote_id: str = GRAPH_CALENDAR) -> str:  # noqa: ANN001
    """An Outlook account's calendar as connecting leaves it, with the Graph token held."""
    mail_id = _mail_account("ana@example.com", "outlook", "outlook-mail-token")
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        account = CalendarAccount(user_id=user.id, provider="microsoft", email_account_id=_uuid(mail_id),
                                  server_url="microsoft", username="ana@example.com", password=stub.token,
                                  token_expires_at=datetime.now(UTC) + timedelta(hours=1))
        db.add(account)
        db.flush()
        cal = Calendar(user_id=user.id, account_id=account.id, url=remote_id, name="Calendar")
        db.add(cal)
        db.flush()
        return str(cal.id)


def test_an_outlook_calendar_syncs_by_delta_link_with_its_graph_token(api, stub):
    """GIVEN an Outlook account whose Graph token is held (as the refresh gives it) WHEN its calendar syncs THEN
    the delta rounds bring the meetings, the moved one changes in place and the deleted occurrence leaves;
    a delta link Graph forgot (410) is read whole again without duplicates."""
    h = bearer(signed_up(api))
    cal_id = _outlook_calendar(stub)
    assert _sync(cal_id).full
    got = {(e["title"], e["start"]) for e in _events(api, h)}
    first_count = len(got)
    assert ("Quarterly planning", "2026-03-17T08:00:00Z") in got
    assert ("Standup with Seattle", "2026-03-24T16:00:00Z") in got
    second = _sync(cal_id)
    assert not second.full and second.deleted == 1
    got = {(e["title"], e["start"]) for e in _events(api, h)}
    assert ("Quarterly planning (moved)", "2026-03-17T10:00:00Z") in got
    assert not any(t == "Standup with Seattle" and s == "2026-03-24T16:00:00Z" for t, s in got)
    stub.graph.expire(410, "SyncStateNotFound")
    # Read whole again: what the listing holds (the stub's is the recorded first round), nothing twice.
    assert _sync(cal_id).full and len(_events(api, h)) == first_count
    with session_scope() as db:
        rows = db.exec(select(CalendarEvent).where(CalendarEvent.calendar_id == _uuid(cal_id))).all()
        assert {r.provider for r in rows} == {"microsoft"}
        assert len({(r.uid, r.recurrence_id) for r in rows}) == len(rows)


def test_events_are_written_back_to_an_outlook_calendar_in_the_zone_the_user_lives_in(api, stub):
    """GIVEN an Outlook calendar and a user in Bucharest WHEN an event is created THEN Graph is sent the wall time
    in the Windows zone name with no attendees (Exchange would mail them at once), the delta round after finds
    the same event; an all-day change is written as midnights of that zone and read back as the same date; a
    delete with an old etag is refused and Graph's version stays; a calendar Graph refuses to write is a clear
    422."""
    h = bearer(signed_up(api))
    _zone("ana@example.com", "Europe/Bucharest")
    cal_id = _outlook_calendar(stub)
    assert _sync(cal_id).full
    r = api.post("/api/v1/calendar/events", headers=h, json={
        "calendar_id": cal_id, "title": "Board call", "description": "Agenda in the deck",
        "start": "2026-12-20T08:00:00Z", "end": "2026-12-20T09:00:00Z"})
    assert r.status_code == 201, r.text
    event = r.json()
    sent = _last(stub, "POST")
    assert sent.path == f"/v1.0/me/calendars/{GRAPH_CALENDAR}/events" and "attendees" not in sent.body
    assert sent.body["start"] == {"dateTime": "2026-12-20T10:00:00", "timeZone": "GTB Standard Time"}
    assert sent.body["body"] == {"contentType": "text", "content": "Agenda in the deck"}
    (gid,) = stub.graph.written
    assert event["start"] == "2026-12-20T08:00:00Z" and event["tzid"] == "Europe/Bucharest"
    _sync(cal_id)
    _sync(cal_id)
    december = {"from": "2026-12-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
    listed = api.get("/api/v1/calendar/events", headers=h, params=december).json()
    assert [(e["id"], e["title"]) for e in listed] == [(event["id"], "Board call")]

    etag = stub.graph.written[gid]["@odata.etag"]
    r = api.put(f"/api/v1/calendar/events/{event['id']}", headers=h, json={
        "title": "Board day", "all_day": True, "start_date": "2026-12-24", "end_date": "2026-12-25"})
    assert r.status_code == 200, r.text
    sent = _last(stub, "PATCH")
    assert sent.if_match == etag and sent.path == f"/v1.0/me/events/{gid}"
    assert sent.body["isAllDay"] and sent.body["start"] == {"dateTime": "2026-12-24T00:00:00",
                                                            "timeZone": "GTB Standard Time"}
    assert stub.graph.written[gid]["start"]["dateTime"].startswith("2026-12-23T22:00:00")  # Graph answers in UTC
    assert r.json()["start_date"] == "2026-12-24" and r.json()["end_date"] == "2026-12-25"

    stub.graph.change_elsewhere(gid, "Board day (moved room)")
    with held_jobs() as held:
        r = api.delete(f"/api/v1/calendar/events/{event['id']}", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "calendar_conflict"
    assert any("sync_calendar" in str(job) for job in held)
    assert stub.graph.written[gid] is not None
    _sync(cal_id)
    assert api.delete(f"/api/v1/calendar/events/{event['id']}", headers=h).status_code == 204
    assert stub.graph.written[gid] is None
    _sync(cal_id)
    assert api.get("/api/v1/calendar/events", headers=h, params=december).json() == []

    shared = _outlook_calendar_for_existing_user(GRAPH_SHARED)
    r = api.post("/api/v1/calendar/events", headers=h, json={
        "calendar_id": shared, "title": "x", "start": "2026-12-20T08:00:00Z", "end": "2026-12-20T09:00:00Z"})
    assert r.status_code == 422 and r.json()["code"] == "calendar_read_only"


def _outlook_calendar_for_existing_user(remote_id: str) -> str:
    """A second calendar of the Outlook account already connected (the row says writable: Graph decides)."""
    with session_scope() as db:
        account = db.exec(select(CalendarAccount).where(CalendarAccount.provider == "microsoft")).one()
        cal = Calendar(user_id=account.user_id, account_id=account.id, url=remote_id, name="Shared")
        db.add(cal)
        db.flush()
        return str(cal.id)


def test_a_meeting_booked_on_a_google_calendar_invites_under_googles_uid(api, stub):
    """GIVEN an offer of times and only a Google calendar WHEN a time is booked THEN the event goes to Google with
    no guests (Google would add it to their calendars before the user approved anything) and the pending
    invitation carries the UID Google gave the event, so the guests' answers find it."""
    signed_up(api)
    mail_id = _mail_account("ana@example.com", "gmail", stub.token)
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        with held_jobs():
            account = calendar_accounts.connect_oauth(db, user=user, email_account_id=_uuid(mail_id))
        primary = db.exec(select(Calendar).where(Calendar.account_id == account.id,
                                                 Calendar.url == "ana@example.com")).one()
        offer = Draft(user_id=user.id, account_id=_uuid(mail_id), to_addresses=["dan@client.example"],
                      subject="Re: a call", content="Monday at 10:00 or 14:00?", status="pending", language="en",
                      llm_model="scheduling", meeting={"duration_minutes": 30, "calendar_id": str(primary.id),
                                                       "title": "Call with Dan", "zone": "UTC", "slots": []})
        db.add(offer)
        db.flush()
        event, invite = booking.book(db, user=user, draft_id=offer.id, start=datetime(2026, 12, 21, 10, tzinfo=UTC),
                                     now=datetime(2026, 12, 3, tzinfo=UTC))
        assert invite.status == "pending" and invite.to_addresses == ["dan@client.example"]
        ics, uid = invite.calendar_ics, event.uid
    sent = _last(stub, "POST")
    assert sent.query["sendUpdates"] == "none" and "attendees" not in sent.body
    (gid,) = stub.google.written
    assert uid == f"{gid}@google.com" and f"UID:{uid}" in ics.replace("\r\n ", "")
    assert "METHOD:REQUEST" in ics and "ATTENDEE" in ics


def test_the_graph_token_comes_from_the_refresh_token_with_the_calendar_scope(api, oauth, monkeypatch):
    """Microsoft gives a token for one API at a time: the Graph token is asked for with the refresh token and
    Graph's calendar scope (which the user consented to with the mail), and the rotated refresh token is kept;
    an account that never consented to the calendar gets a clear error."""
    oauth.register_client("ms-test", "ms-secret", ["http://127.0.0.1/cb"])
    oauth.rotate_refresh_tokens = True
    ep = oauth_client.Endpoints(oauth.authorize_url, oauth.token_url, "ms-test", "ms-secret", "openid email mail")
    monkeypatch.setattr(oauth_service, "endpoints", lambda provider: ep)  # Microsoft's server, stood in for
    signed_up(api)
    consented = oauth.issue_tokens("ana", client_id="ms-test",
                                   scope=f"openid email mail {oauth_service.GRAPH_CALENDAR_SCOPE} offline_access")
    mail_only = oauth.issue_tokens("ana", client_id="ms-test", scope="openid email mail offline_access")
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        account = EmailAccount(user_id=user.id, provider="outlook", email_address="ana@example.com",
                               oauth_refresh_token=consented["refresh_token"])
        db.add(account)
        db.flush()
        tokens = oauth_service.graph_token(db, account)
        assert oauth.introspect(tokens.access_token)["scope"] == f"{oauth_service.GRAPH_CALENDAR_SCOPE} offline_access"
        assert account.oauth_refresh_token == tokens.refresh_token != consented["refresh_token"]
        account.oauth_refresh_token = mail_only["refresh_token"]
        with pytest.raises(oauth_client.OAuthError):
            oauth_service.graph_token(db, account)


def _connected_google(api, h, stub) -> None:  # noqa: ANN001
    mail_id = _mail_account("ana@example.com", "gmail", stub.token)
    with held_jobs():
        assert api.post("/api/v1/calendar/accounts/oauth", headers=h,
                        json={"email_account_id": mail_id}).status_code == 201


def test_attendees_busy_time_from_google_keeps_slots_off_it_and_the_unseen_are_named(api, stub):
    """GIVEN a Gmail account whose Google can show Radu's free/busy (busy 09:00-12:00 UTC) but not Nobody's
    WHEN free slots with both as attendees are asked for THEN none overlaps Radu's busy time, the day is
    otherwise the user's working hours, and Nobody is named in X-Attendees-Unknown (scheduled without them);
    an offer of times to Radu's mail avoids it too."""
    h = bearer(signed_up(api))
    _connected_google(api, h, stub)
    stub.free_busy = {"radu@example.ro": [("2027-03-16T09:00:00Z", "2027-03-16T12:00:00Z", "busy")]}
    r = api.get("/api/v1/calendar/slots", headers=h, params={
        "from": "2027-03-16T00:00:00Z", "to": "2027-03-17T00:00:00Z", "duration": 60,
        "attendees": ["Radu@example.ro", "nobody@example.org"]})
    assert r.status_code == 200, r.text
    starts = [s["start"] for s in r.json()]
    assert starts[0] == "2027-03-16T12:00:00Z" and starts[-1] == "2027-03-16T16:00:00Z"
    assert r.headers["X-Attendees-Unknown"] == "nobody@example.org"
    asked = [s for s in stub.requests if s.path == "/calendar/v3/freeBusy"]
    assert len(asked) == 1
    alone = api.get("/api/v1/calendar/slots", headers=h, params={
        "from": "2027-03-16T00:00:00Z", "to": "2027-03-17T00:00:00Z", "duration": 60})
    assert alone.json()[0]["start"] == "2027-03-16T09:00:00Z" and "X-Attendees-Unknown" not in alone.headers

    with session_scope() as db:
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        ask = Email(account_id=db.exec(select(EmailAccount.id)).first(), message_id="<m@x>", sender="radu@example.ro",
                    sender_name="Radu", subject="Budget", body_text="Can we meet on 16 March 2027?",
                    received_at=datetime(2027, 3, 10, 9, tzinfo=UTC), sent_utc_offset=0)
        offer = offers.find(db, user=user, email=ask, duration_minutes=60, now=datetime(2027, 3, 10, 9, tzinfo=UTC))
    assert offer.slots and all(s.start >= datetime(2027, 3, 16, 12, tzinfo=UTC) for s in offer.slots)


def test_outlook_working_hours_and_tentative_time_of_an_attendee(api, stub):
    """GIVEN Maria in Seattle (Graph: working 08:00-12:00 Pacific, Monday to Friday; tentative 15:00-15:30 UTC)
    WHEN a one-hour slot with her is asked for on 16 March 2027 (Seattle on summer time, UTC-7) THEN only her
    08:00-12:00 inside the user's 09:00-17:00 UTC is offered, after her tentative meeting: 15:30 to 16:00."""
    h = bearer(signed_up(api))
    mail_id = _mail_account("ana@example.com", "outlook", "outlook-mail-token")
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        db.add(CalendarAccount(user_id=user.id, provider="microsoft", email_account_id=_uuid(mail_id),
                               server_url="microsoft", username="ana@example.com", password=stub.token,
                               token_expires_at=datetime.now(UTC) + timedelta(hours=1)))
    stub.free_busy = {"maria@contoso.com": [("2027-03-16T15:00:00Z", "2027-03-16T15:30:00Z", "tentative"),
                                            ("2027-03-16T17:00:00Z", "2027-03-16T18:00:00Z", "free")]}
    stub.working_hours = {"maria@contoso.com": {
        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"], "startTime": "08:00:00.0000000",
        "endTime": "12:00:00.0000000", "timeZone": {"name": "Pacific Standard Time"}}}
    r = api.get("/api/v1/calendar/slots", headers=h, params={
        "from": "2027-03-16T00:00:00Z", "to": "2027-03-17T00:00:00Z", "duration": 60,
        "attendees": "maria@contoso.com"})
    assert r.status_code == 200, r.text
    assert [s["start"] for s in r.json()] == ["2027-03-16T15:30:00Z", "2027-03-16T15:45:00Z",
                                              "2027-03-16T16:00:00Z"]
    (asked,) = [s for s in stub.requests if s.path == "/v1.0/me/calendar/getSchedule"]
    assert 'outlook.timezone="UTC"' in asked.prefer
