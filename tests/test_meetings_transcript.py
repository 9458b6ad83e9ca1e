"""A meeting's transcript downloaded through the API, its link to a calendar event, and the activity stamp
that moves the Meetings pages while it is transcribed. Rows are written directly: no audio is needed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import NotFound
from openfyxer.models.calendar import Calendar, CalendarAccount, CalendarEvent
from openfyxer.models.meeting import Meeting, TranscriptSegment
from openfyxer.models.user import User
from openfyxer.services import activity
from openfyxer.services.meetings import recordings
from tests.helpers import bearer, signed_up


@pytest.fixture
def api(sqlite_url, live_jobs):  # noqa: ANN001, ANN201
    from fastapi.testclient import TestClient

    from openfyxer.api import create_api

    with TestClient(create_api(), base_url="http://127.0.0.1:3000") as c:
        yield c


def _meeting(email: str, title: str = "Budget review") -> uuid.UUID:
    """A meeting halfway through transcription, with two segments, for the user of `email`."""
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        m = Meeting(user_id=user.id, title=title, filename="b.wav", samples=16000 * 120, done_samples=16000 * 60,
                    chunks_done=1, status="transcribing")
        s.add(m)
        s.flush()
        s.add(TranscriptSegment(meeting_id=m.id, chunk_index=0, seq=0, start_s=1.0, end_s=3.5, text=" Hello all."))
        s.add(TranscriptSegment(meeting_id=m.id, chunk_index=0, seq=1, start_s=62.0, end_s=64.0, text="Budget."))
        return m.id


def test_the_transcript_downloads_as_text_srt_and_vtt(api):  # noqa: ANN001
    """GIVEN a meeting with two segments so far WHEN its transcript is asked for in each format THEN each comes
    as an attachment named after the title, in its media type; another user gets 404, an unknown format 422."""
    h = bearer(signed_up(api))
    meeting_id = _meeting("ana@example.com")
    url = f"/api/v1/meetings/{meeting_id}/transcript"

    r = api.get(url, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text == "[00:01] Hello all.\n[01:02] Budget.\n"
    assert r.headers["content-disposition"] == 'attachment; filename="budget-review.txt"'
    r = api.get(url, params={"format": "srt"}, headers=h)
    assert r.headers["content-type"].startswith("application/x-subrip")
    assert r.text.startswith("1\n00:00:01,000 --> 00:00:03,500\nHello all.\n\n2\n00:01:02,000")
    r = api.get(url, params={"format": "vtt"}, headers=h)
    assert r.headers["content-type"].startswith("text/vtt") and r.text.startswith("WEBVTT\n\n00:00:01.000 -->")
    assert api.get(url, params={"format": "docx"}, headers=h).status_code == 422
    other = bearer(signed_up(api, "eve@example.com"))
    assert api.get(url, headers=other).status_code == 404
    schema = api.get("/api/v1/openapi.json").json()["paths"]["/api/v1/meetings/{meeting_id}/transcript"]["get"]
    assert set(schema["responses"]["200"]["content"]) == {"text/plain", "application/x-subrip", "text/vtt"}
    assert "404" in schema["responses"]


def _event(s, user: User, title: str, start, hours: float = 1) -> CalendarEvent:  # noqa: ANN001
    account = s.exec(select(CalendarAccount).where(CalendarAccount.user_id == user.id)).first()
    if account is None:
        account = CalendarAccount(user_id=user.id, provider="caldav", server_url="http://127.0.0.1:1/", username="me")
        s.add(account)
        s.flush()
        s.add(Calendar(user_id=user.id, account_id=account.id, url="http://127.0.0.1:1/work/", name="Work"))
        s.flush()
    cal = s.exec(select(Calendar).where(Calendar.account_id == account.id)).one()
    e = CalendarEvent(user_id=user.id, calendar_id=cal.id, provider="caldav", uid=uuid.uuid4().hex, title=title,
                      start_time=start, end_time=start + timedelta(hours=hours), attendees=["dan@example.com"])
    s.add(e)
    s.flush()
    return e


def test_a_meeting_links_to_one_of_its_users_events_near_its_upload(api):  # noqa: ANN001
    """GIVEN events a day before, just before and ten days before a meeting's upload, and another user's event
    WHEN the events near it are listed THEN the one that ended closest to the upload comes first and the old one
    is not offered; linking sets it, another user's event is refused, and a linked event is always offered."""
    signed_up(api)
    signed_up(api, "eve@example.com")
    meeting_id = _meeting("ana@example.com")
    with session_scope() as s:
        ana = s.exec(select(User).where(User.email == "ana@example.com")).one()
        eve = s.exec(select(User).where(User.email == "eve@example.com")).one()
        uploaded = s.get(Meeting, meeting_id).created_at
        yesterday = _event(s, ana, "Yesterday's sync", uploaded - timedelta(days=1))
        just = _event(s, ana, "Budget review", uploaded - timedelta(minutes=70))
        old = _event(s, ana, "Old planning", uploaded - timedelta(days=10))
        theirs = _event(s, eve, "Eve's call", uploaded - timedelta(hours=1)).id
        meeting = s.get(Meeting, meeting_id)
        assert [e.title for e in recordings.events_near(s, user=ana, meeting=meeting)] == [
            "Budget review", "Yesterday's sync"]
        recordings.link_event(s, user=ana, meeting_id=meeting_id, event_id=just.id)
        assert recordings.linked_event(s, meeting).title == "Budget review"
        with pytest.raises(NotFound):
            recordings.link_event(s, user=ana, meeting_id=meeting_id, event_id=theirs)
        recordings.link_event(s, user=ana, meeting_id=meeting_id, event_id=old.id)
        assert [e.id for e in recordings.events_near(s, user=ana, meeting=meeting)] == [old.id, just.id, yesterday.id]
        recordings.link_event(s, user=ana, meeting_id=meeting_id, event_id=None)
        assert recordings.linked_event(s, meeting) is None


def test_the_activity_stamp_moves_with_transcription_progress(api):  # noqa: ANN001
    """GIVEN a meeting being transcribed WHEN a chunk is committed, and when it is done THEN the user's activity
    stamp changes each time (the Meetings pages redraw on it)."""
    signed_up(api)
    meeting_id = _meeting("ana@example.com")

    def stamp() -> tuple:
        with session_scope() as s:
            return activity.stamp(s, user_id=s.get(Meeting, meeting_id).user_id)

    first = stamp()
    with session_scope() as s:
        s.get(Meeting, meeting_id).done_samples += 16000 * 45
    second = stamp()
    with session_scope() as s:
        s.get(Meeting, meeting_id).status = "done"
    assert len({first, second, stamp()}) == 3
