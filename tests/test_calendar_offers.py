"""Meetings by mail, end to end on real servers: a mail synced from Dovecot asks to meet, the reply
offers free times from a Radicale calendar (in the sender's zone and the user's), a time is booked
(on the calendar, with SCHEDULE-AGENT=CLIENT) and its iMIP invitation reaches the SMTP relay once,
after approval; a sender's answer naming one offered time books it."""

from __future__ import annotations

import email
import uuid
from datetime import UTC, datetime, timedelta, timezone

import caldav as caldav_lib
import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import Conflict
from openfyxer.models.account import EmailAccount
from openfyxer.models.calendar import CalDavConnect, Calendar, CalendarEvent
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.models.settings import SchedulingPrefs
from openfyxer.models.user import User
from openfyxer.services import settings as settings_service
from openfyxer.services.assistant import processing
from openfyxer.services.calendar import accounts, booking, offers
from openfyxer.services.calendar import sync as calendar_sync
from openfyxer.services.mail import outbox, sync
from tests.conftest import apply_env
from tests.helpers import held_jobs
from tests.mailhelpers import connect_account, message
from tests.servers import start_radicale

CAL_USER, CAL_PASSWORD = "ana", "app-password-1"
# Wednesday 10 March 2027, 11:00 in New York (EST); the user is in Bucharest (UTC+2 until 28 March). New York
# moves its clocks on 14 March: a time named for the 16th is EDT (UTC-4), which only the stated zone tells.
ASKED = datetime(2027, 3, 10, 11, 0, tzinfo=timezone(timedelta(hours=-5)))
NOW = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def radicale():
    server = start_radicale({CAL_USER: CAL_PASSWORD})
    yield server
    server.stop()


@pytest.fixture
def calendar(radicale):
    client = caldav_lib.DAVClient(url=radicale.url, username=CAL_USER, password=CAL_PASSWORD)
    principal = client.principal()
    for cal in principal.calendars():
        cal.delete()
    yield principal.make_calendar(name="Work", cal_id="work")
    client.close()


@pytest.fixture
def setup(monkeypatch, dovecot, database_url, make_mail_user, relay, radicale, calendar):
    """A user in Bucharest with a mail account on Dovecot and a synced (empty) CalDAV calendar;
    and a correspondent in New York."""
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url)
    me, them = make_mail_user("me"), make_mail_user("ny")
    account_id = connect_account(me, dovecot, relay)
    with held_jobs(), session_scope() as db:
        user = db.get(User, db.get(EmailAccount, account_id).user_id)
        user.timezone = "Europe/Bucharest"
        prefs = settings_service.get_or_create(db, user_id=user.id)
        prefs.scheduling = SchedulingPrefs(min_notice_minutes=60).model_dump()
        accounts.connect_caldav(db, user=user, data=CalDavConnect(url=radicale.url, username=CAL_USER,
                                                                  password=CAL_PASSWORD))
        user_id = user.id
    _sync_calendars(user_id)
    return account_id, user_id, me, them


def _sync_calendars(user_id: uuid.UUID) -> None:
    with session_scope() as db:
        ids = db.exec(select(Calendar.id).where(Calendar.user_id == user_id)).all()
    for cal_id in ids:
        assert calendar_sync.sync_calendar(calendar_id=cal_id).error is None


def _deliver_and_sync(dovecot, me, account_id, raw: bytes, msgid: str) -> uuid.UUID:
    dovecot.deliver(me.name, raw)
    sync.sync_account(account_id=account_id)
    with session_scope() as db:
        return db.exec(select(Email.id).where(Email.message_id == msgid)).one()


def _offer(user_id, email_id, **kw) -> Draft:
    with session_scope() as db:
        return offers.offer_times(db, user=db.get(User, user_id), email_id=email_id, now=NOW, **kw)


def _send(draft_id) -> Draft:
    with session_scope() as db:
        d = db.get(Draft, draft_id)
        outbox.approve(db, user=db.get(User, d.user_id), draft_id=draft_id)
    assert outbox.deliver(draft_id=draft_id) == "sent"
    with session_scope() as db:
        return db.get(Draft, draft_id)


def _book(user_id, draft_id, start: datetime):
    with session_scope() as db:
        event, invite = booking.book(db, user=db.get(User, user_id), draft_id=draft_id, start=start, now=NOW)
        return event.id, invite.id


def test_a_free_named_time_is_accepted_and_its_invitation_is_sent_once_after_approval(
        setup, dovecot, relay, calendar):
    """GIVEN a mail from New York (Date -0500) asking "next Tuesday at 10am ET", after New York's DST change,
    the time free in Bucharest working hours WHEN times are offered THEN the draft accepts that time in
    both zones; booking it puts the event on Radicale with the attendee asked to reply and SCHEDULE-AGENT=CLIENT,
    and the invitation leaves only when approved, exactly once, as text/calendar; method=REQUEST."""
    account_id, user_id, me, them = setup
    email_id = _deliver_and_sync(dovecot, me, account_id, message(
        to=me.address, sender=f"Ana Pop <{them.address}>", subject="Project kickoff",
        body="Hi,\n\nCan we meet next Tuesday at 10am ET to go over the plan?\n\nAna", msgid="<ask1@example.org>",
        when=ASKED), "<ask1@example.org>")
    draft = _offer(user_id, email_id)
    # Tuesday 16 March 10:00 EDT = 14:00 UTC = 16:00 in Bucharest (EET).
    assert draft.meeting["accepted"] is True
    assert draft.meeting["slots"] == [["2027-03-16T14:00:00+00:00", "2027-03-16T14:30:00+00:00"]]
    assert "Tuesday 16 March, 10:00–10:30" in draft.content and "16:00–16:30 for me" in draft.content
    assert draft.meeting["zone"] == "America/New_York" and draft.to_addresses == [them.address]
    assert "(New York, your time; 16:00–16:30 for me)" in draft.content
    assert draft.content.startswith("Hi Ana,")

    event_id, invite_id = _book(user_id, draft.id, datetime(2027, 3, 16, 14, 0, tzinfo=UTC))
    stored = calendar.event_by_uid(_uid(event_id)).data
    assert "SCHEDULE-AGENT=CLIENT" in stored and f"mailto:{them.address}" in stored.lower()
    assert relay.delivered == []  # booked, but nothing leaves before approval
    with session_scope() as db:
        offer = db.get(Draft, draft.id)
        invite = db.get(Draft, invite_id)
        assert offer.status == "rejected" and offer.meeting["event_id"] == str(event_id)
        assert invite.status == "pending" and invite.calendar_method == "REQUEST"
        assert invite.in_reply_to == "<ask1@example.org>" and invite.to_addresses == [them.address]

    sent = _send(invite_id)
    assert outbox.deliver(draft_id=invite_id) == "skipped"
    mine = [raw for _, rcpt, raw in relay.delivered if them.address in rcpt]
    assert len(mine) == 1
    got = email.message_from_bytes(mine[0])
    assert got["Message-ID"] == sent.message_id
    parts = {p.get_content_type(): p for p in got.walk()}
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    ics = parts["text/calendar"].get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in ics and _uid(event_id) in ics and "RSVP=TRUE" in ics
    assert "SCHEDULE-AGENT" not in ics  # a server-side hint, not for the attendee's client
    assert "text/html" in parts and "text/plain" in parts


def test_a_busy_named_time_gets_other_times_that_day_and_a_taken_time_cannot_be_booked(setup, dovecot, calendar):
    """GIVEN the named time is taken by a meeting on the calendar WHEN times are offered THEN up to three other
    free times of that day, none overlapping the meeting; booking the busy time is refused (409 slot_taken)
    and booking twice is refused (meeting_booked)."""
    account_id, user_id, me, them = setup
    calendar.save_event("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:busy@t\r\n"
                        "DTSTAMP:20270101T000000Z\r\nDTSTART:20270316T133000Z\r\nDTEND:20270316T150000Z\r\n"
                        "SUMMARY:Board\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    _sync_calendars(user_id)
    email_id = _deliver_and_sync(dovecot, me, account_id, message(
        to=me.address, sender=f"Ana Pop <{them.address}>", subject="Kickoff",
        body="Can we meet next Tuesday at 10am ET?", msgid="<ask2@example.org>", when=ASKED), "<ask2@example.org>")
    draft = _offer(user_id, email_id, duration_minutes=60)
    slots = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in draft.meeting["slots"]]
    assert draft.meeting["accepted"] is False and 1 <= len(slots) <= 3
    busy = (datetime(2027, 3, 16, 13, 30, tzinfo=UTC), datetime(2027, 3, 16, 15, 0, tzinfo=UTC))
    for a, b in slots:
        assert b - a == timedelta(hours=1) and (b <= busy[0] or a >= busy[1])
        assert a.date().isoformat() == "2027-03-16"  # the day they named
        assert 7 <= a.hour and b.hour <= 15  # 09:00-17:00 in Bucharest
    assert "Would one of these times work for you?" in draft.content
    with pytest.raises(Conflict) as taken:
        _book(user_id, draft.id, datetime(2027, 3, 16, 14, 0, tzinfo=UTC))
    assert taken.value.code == "slot_taken"
    _book(user_id, draft.id, slots[0][0])
    with pytest.raises(Conflict) as twice:
        _book(user_id, draft.id, slots[-1][0])
    assert twice.value.code == "meeting_booked"
    with session_scope() as db:
        assert len(db.exec(select(CalendarEvent).where(CalendarEvent.user_id == user_id,
                                                       CalendarEvent.title == "Kickoff")).all()) == 1


def test_the_senders_answer_naming_one_offered_time_books_it(setup, dovecot, relay):
    """GIVEN an offer of three times sent to the sender WHEN their answer says "Thursday at 11 works" (one of
    them) THEN the meeting-answer job books it and its invitation waits for approval; an answer from someone
    else, or one naming no offered time, books nothing."""
    account_id, user_id, me, them = setup
    email_id = _deliver_and_sync(dovecot, me, account_id, message(
        to=me.address, sender=f"Ana Pop <{them.address}>", subject="Catch up",
        body="Could we have a call next week? Let me know what works.", msgid="<ask3@example.org>", when=ASKED),
        "<ask3@example.org>")
    draft = _offer(user_id, email_id)
    assert not draft.meeting["accepted"] and len(draft.meeting["slots"]) == 3
    sent = _send(draft.id)
    first = datetime.fromisoformat(draft.meeting["slots"][1][0]).astimezone(timezone(timedelta(hours=-5)))
    # What they write names the second offered time on their own clock.
    day = first.strftime("%A")
    answer = message(to=me.address, sender=f"Ana Pop <{them.address}>", subject="Re: Catch up",
                     body=f"{day} at {first:%H:%M} works for me.\n\nOn Wed, you wrote:\n> Monday 10:00",
                     msgid="<ans3@example.org>", in_reply_to=sent.message_id, references=[sent.message_id],
                     when=ASKED + timedelta(hours=2))
    answer_id = _deliver_and_sync(dovecot, me, account_id, answer, "<ans3@example.org>")
    with session_scope() as db:
        assert booking.answers_an_offer(db, user=db.get(User, user_id), email=db.get(Email, answer_id))
    event_id = processing.meeting_answer(email_id=answer_id)
    assert event_id is not None
    with session_scope() as db:
        event = db.get(CalendarEvent, event_id)
        assert event.start_time == datetime.fromisoformat(draft.meeting["slots"][1][0])
        invite = db.exec(select(Draft).where(Draft.email_id == answer_id)).one()
        assert invite.calendar_method == "REQUEST" and invite.status == "pending"
        assert invite.in_reply_to == "<ans3@example.org>"
    assert processing.meeting_answer(email_id=answer_id) is None  # booked once, not twice
    assert relay.delivered and all(b"METHOD:REQUEST" not in raw for *_, raw in relay.delivered)


def test_an_ask_in_romanian_is_answered_in_romanian_and_an_automatic_draft_uses_the_calendar(setup, dovecot):
    """GIVEN "Putem vorbi joi la 15:00?" from a colleague in the user's own zone WHEN the automatic draft job runs
    THEN it is the offer written by code (no model), in Romanian, accepting Thursday 15:00 when free."""
    account_id, user_id, me, them = setup
    email_id = _deliver_and_sync(dovecot, me, account_id, message(
        to=me.address, sender=f"Andrei Ionescu <{them.address}>", subject="Contract",
        body="Bună ziua,\n\nPutem vorbi joi la 15:00 despre contract?\n\nMulțumesc,\nAndrei",
        msgid="<ro1@example.org>", when=datetime(2027, 3, 10, 9, 0, tzinfo=timezone(timedelta(hours=2)))),
        "<ro1@example.org>")
    with session_scope() as db:
        assert offers.wants_times(db, user=db.get(User, user_id), email=db.get(Email, email_id))
    with session_scope() as db:
        draft = offers.offer_times(db, user=db.get(User, user_id), email_id=email_id, now=NOW)
        assert draft.language == "ro" and draft.meeting["accepted"]
        assert draft.meeting["zone"] == "Europe/Bucharest"  # same offset as the user: their own zone
        assert "joi 11 martie, 15:00–15:30 îmi convine" in draft.content and "pentru mine" not in draft.content


def _uid(event_id) -> str:
    with session_scope() as db:
        return db.get(CalendarEvent, event_id).uid
