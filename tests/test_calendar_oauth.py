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
from openfyxer.services.calendar import offers, scheduling
from openfyxer.services.calendar import sync as calendar_sync
from openfyxer.services.mail import oauth as oauth_service
from tests.calendar_stub import CalendarStub
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


def test_google_calendars_are_read_only_here_and_a_refused_token_is_a_clear_error(api, stub):
    """GIVEN a connected Google calendar WHEN an event is created in it THEN 422 calendar_read_only, nothing sent
    to Google; WHEN Google refuses the access token during a sync THEN the calendar shows the error."""
    h = bearer(signed_up(api))
    mail_id = _mail_account("ana@example.com", "gmail", stub.token)
    with held_jobs():
        account = api.post("/api/v1/calendar/accounts/oauth", headers=h, json={"email_account_id": mail_id}).json()
    primary = next(c["id"] for c in account["calendars"] if c["name"] == "ana@example.com")
    before = len(stub.requests)
    r = api.post("/api/v1/calendar/events", headers=h, json={
        "calendar_id": primary, "title": "Dentist", "start": "2026-12-20T10:00:00Z", "end": "2026-12-20T11:00:00Z"})
    assert r.status_code == 422 and r.json()["code"] == "calendar_read_only"
    assert len(stub.requests) == before
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


def test_an_outlook_calendar_syncs_by_delta_link_with_its_graph_token(api, stub):
    """GIVEN an Outlook account whose Graph token is held (as the refresh gives it) WHEN its calendar syncs THEN
    the delta rounds bring the meetings, the moved one changes in place and the deleted occurrence leaves;
    a delta link Graph forgot (410) is read whole again without duplicates."""
    h = bearer(signed_up(api))
    mail_id = _mail_account("ana@example.com", "outlook", "outlook-mail-token")
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == "ana@example.com")).one()
        account = CalendarAccount(user_id=user.id, provider="microsoft", email_account_id=_uuid(mail_id),
                                  server_url="microsoft", username="ana@example.com", password=stub.token,
                                  token_expires_at=datetime.now(UTC) + timedelta(hours=1))
        db.add(account)
        db.flush()
        cal = Calendar(user_id=user.id, account_id=account.id, url="AAMkAGI2TGuLAAA=", name="Calendar")
        db.add(cal)
        db.flush()
        cal_id = str(cal.id)
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
