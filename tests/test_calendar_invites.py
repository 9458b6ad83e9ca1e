"""Invitations received by mail (iTIP REQUEST / CANCEL / REPLY): read in the sandbox, listed with
conflicts, answered through the real outbox and SMTP relay, applied to a real Radicale calendar."""

from __future__ import annotations

import email as email_lib
import email.header
import uuid
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import caldav as caldav_lib
import icalendar
import pytest
from sqlmodel import select

from openfyxer import jobs
from openfyxer.core.db import session_scope
from openfyxer.integrations.calendar_values import Attendee
from openfyxer.models.account import EmailAccount
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.services.calendar import itip
from openfyxer.services.mail import outbox, sync as mail_sync
from tests.conftest import apply_env
from tests.helpers import bearer, held_jobs, signed_up
from tests.mailhelpers import account_body
from tests.servers import start_radicale

USER, PASSWORD = "ana", "app-password-1"


def vevent(uid: str, *, organizer: str, attendees: list[tuple[str, str]], seq: int = 0,
           start: str = ":20260318T120000Z", end: str = ":20260318T130000Z", summary: str = "Roadmap",
           extra: str = "") -> str:
    people = "".join(f"ATTENDEE;PARTSTAT={p};RSVP=TRUE:mailto:{a}\r\n" for a, p in attendees)
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART{start}\r\nDTEND{end}\r\n"
            f"SEQUENCE:{seq}\r\nSUMMARY:{summary}\r\nORGANIZER;CN=Org:mailto:{organizer}\r\n{people}{extra}"
            "END:VEVENT\r\n")


def vcalendar(method: str | None, *events: str) -> str:
    head = f"METHOD:{method}\r\n" if method else ""
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{head}{''.join(events)}END:VCALENDAR\r\n"


# --- itip, no servers ------------------------------------------------------------------------------

def test_a_request_is_read_with_its_people_and_times():
    """GIVEN a REQUEST in Bucharest time WHEN read in the sandbox THEN its UID, SEQUENCE, UTC times, zone,
    organizer and attendees (lower-case, with PARTSTAT) come back."""
    data = vcalendar("REQUEST", vevent("a@x", organizer="Bob@Example.org", attendees=[("ana@example.com", "NEEDS-ACTION")],
                                       seq=3, start=";TZID=Europe/Bucharest:20260317T100000", end=":20260317T090000Z"))
    read = itip.read([data.encode()], "UTC")
    assert read.skipped == []
    [inv] = read.invitations
    assert (inv.method, inv.uid, inv.sequence, inv.organizer) == ("REQUEST", "a@x", 3, "bob@example.org")
    assert inv.start == datetime(2026, 3, 17, 8, 0, tzinfo=UTC) and inv.end == datetime(2026, 3, 17, 9, tzinfo=UTC)
    assert inv.tzid == "Europe/Bucharest" and not inv.all_day
    assert inv.attendees == (Attendee("ana@example.com", "", "NEEDS-ACTION", "REQ-PARTICIPANT"),)
    assert inv.attendee({"ana@example.com"}) is not None and inv.attendee({"x@y"}) is None
    assert "METHOD" not in inv.data and "UID:a@x" in inv.data


def test_malformed_parts_and_events_are_skipped_and_named():
    """GIVEN one part that is not iCalendar and one with a broken event, an event without UID and a good
    one WHEN read THEN the good one is kept and each bad one is named in `skipped`."""
    good = vevent("good@x", organizer="o@x.org", attendees=[("ana@example.com", "NEEDS-ACTION")])
    broken = "BEGIN:VEVENT\r\nUID:bad@x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:garbage\r\nEND:VEVENT\r\n"
    nameless = "BEGIN:VEVENT\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT\r\n"
    read = itip.read([b"this is not a calendar", vcalendar("REQUEST", broken, nameless, good).encode()])
    assert [i.uid for i in read.invitations] == ["good@x"]
    assert len(read.skipped) == 3
    assert read.skipped[0].startswith("part 1: not iCalendar")
    assert any("bad@x" in s and "DTSTART" in s for s in read.skipped)
    assert any("no UID" in s for s in read.skipped)


def test_a_part_over_the_size_limit_is_not_read():
    big = vcalendar("REQUEST", vevent("big@x", organizer="o@x.org", attendees=[], extra=f"DESCRIPTION:{'x' * 1_100_000}\r\n"))
    read = itip.read([big.encode()])
    assert read.invitations == [] and "larger than" in read.skipped[0]


def test_a_cancel_and_a_reply_need_no_times():
    cancel = "BEGIN:VEVENT\r\nUID:c@x\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:1\r\nORGANIZER:mailto:o@x.org\r\nEND:VEVENT\r\n"
    [inv] = itip.read([vcalendar("CANCEL", cancel)]).invitations
    assert (inv.method, inv.start, inv.sequence) == ("CANCEL", None, 1)


def test_the_reply_names_only_the_answering_attendee():
    """GIVEN an invitation of one instance of a series WHEN answered THEN the REPLY carries METHOD:REPLY,
    the organizer, only the user as ATTENDEE with the answer, and the UID, SEQUENCE and RECURRENCE-ID."""
    event = vevent("s@x", organizer="o@x.org", attendees=[("ana@example.com", "NEEDS-ACTION"), ("dan@x.org", "ACCEPTED")],
                   seq=2, extra="RECURRENCE-ID:20260318T120000Z\r\n")
    [inv] = itip.read([vcalendar("REQUEST", event)]).invitations
    assert inv.recurrence_id == "2026-03-18T12:00:00+00:00"
    text = itip.reply_ics(inv, Attendee("ana@example.com", "Ana", "TENTATIVE", "REQ-PARTICIPANT"))
    cal = icalendar.Calendar.from_ical(text)
    [ev] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REPLY" and str(ev["UID"]) == "s@x" and int(ev["SEQUENCE"]) == 2
    assert str(ev["ORGANIZER"]).lower() == "mailto:o@x.org"
    assert str(ev["ATTENDEE"]).lower() == "mailto:ana@example.com" and ev["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"
    assert ev["RECURRENCE-ID"].dt == datetime(2026, 3, 18, 12, tzinfo=UTC)
    assert ev["DTSTART"].dt == datetime(2026, 3, 18, 12, tzinfo=UTC)


def test_an_all_day_invitation_keeps_its_dates():
    event = vevent("d@x", organizer="o@x.org", attendees=[], start=";VALUE=DATE:20260501", end=";VALUE=DATE:20260502")
    [inv] = itip.read([vcalendar("REQUEST", event)]).invitations
    assert inv.all_day and (inv.start, inv.end) == (date(2026, 5, 1), date(2026, 5, 2))
    assert "VALUE=DATE:20260501" in itip.reply_ics(inv, Attendee("a@x", "", "ACCEPTED", "REQ-PARTICIPANT"))


def test_the_stored_copy_carries_the_answer_and_schedules_by_client():
    event = vevent("p@x", organizer="o@x.org", attendees=[("ana@example.com", "NEEDS-ACTION")])
    [inv] = itip.read([vcalendar("REQUEST", event)]).invitations
    ev = icalendar.Calendar.from_ical(itip.with_answer(inv.data, "ana@example.com", "ACCEPTED")).walk("VEVENT")[0]
    assert ev["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED" and "RSVP" not in ev["ATTENDEE"].params
    assert ev["ORGANIZER"].params["SCHEDULE-AGENT"] == "CLIENT"


# --- against Radicale, Dovecot and the SMTP relay ---------------------------------------------------

@pytest.fixture(scope="module")
def radicale():
    server = start_radicale({USER: PASSWORD})
    yield server
    server.stop()


@pytest.fixture
def work(radicale):
    """A fresh calendar "Work" holding a busy "Budget review" at 12:30-13:30 UTC on 18 March 2026."""
    client = caldav_lib.DAVClient(url=radicale.url, username=USER, password=PASSWORD)
    principal = client.principal()
    for cal in principal.calendars():
        cal.delete()
    cal = principal.make_calendar(name="Work", cal_id="work")
    cal.save_event("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:review@test\r\n"
                   "DTSTAMP:20260101T000000Z\r\nDTSTART:20260318T123000Z\r\nDTEND:20260318T133000Z\r\n"
                   "SUMMARY:Budget review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    yield cal
    client.close()


class World:
    def __init__(self, client, h, account_id, me, org, stranger, dovecot, cal):  # noqa: ANN001
        self.client, self.h, self.account_id = client, h, account_id
        self.me, self.org, self.stranger, self.dovecot, self.cal = me, org, stranger, dovecot, cal

    def mail(self, ics: str, *, sender=None, method: str = "REQUEST", extra_part: str | None = None) -> str:  # noqa: ANN001
        """Deliver a mail carrying `ics` to the user and sync it as the scheduler would; its email id."""
        sender = sender or self.org
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = sender.address, self.me.address, "Invitation: Roadmap"
        m["Date"] = format_datetime(datetime.now(UTC))
        msgid = m["Message-ID"] = make_msgid(domain="example.test")
        m.set_content("You are invited.")
        m.add_alternative(ics, subtype="calendar", params={"method": method})
        if extra_part is not None:
            m.add_attachment(extra_part.encode(), maintype="text", subtype="calendar", filename="broken.ics")
        self.dovecot.deliver(self.me.name, m.as_bytes(), mail_from=sender.address)
        with held_jobs():  # the new mail's processing (triage, drafting) is not what is tested here
            mail_sync.sync_account(account_id=self.account_id)
        with session_scope() as db:
            return str(db.exec(select(Email.id).where(Email.message_id == msgid)).one())

    def invitations(self, email_id: str) -> dict:
        r = self.client.get("/api/v1/calendar/invitations", headers=self.h, params={"email_id": email_id})
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, what: str, **body):  # noqa: ANN003, ANN201
        r = self.client.post(f"/api/v1/calendar/invitations/{what}", headers=self.h, json=body)
        assert jobs.local_queue().join(60)
        return r

    def on_server(self, uid: str) -> icalendar.Event | None:
        for obj in self.cal.events():
            ev = icalendar.Calendar.from_ical(obj.data).walk("VEVENT")
            if ev and str(ev[0]["UID"]) == uid:
                return ev[0]
        return None


@pytest.fixture
def world(client, monkeypatch, dovecot, relay, make_mail_user, database_url, radicale, work):
    apply_env(monkeypatch, tls_ca_file=str(dovecot.cert_path), database_url=database_url)
    me, org, stranger = make_mail_user("me"), make_mail_user("org"), make_mail_user("str")
    h = bearer(signed_up(client))
    account = client.post("/api/v1/accounts", json=account_body(me, dovecot, relay), headers=h)
    assert account.status_code == 201, account.text
    r = client.post("/api/v1/calendar/accounts/caldav", headers=h,
                    json={"url": radicale.url, "username": USER, "password": PASSWORD})
    assert r.status_code == 201, r.text
    assert jobs.local_queue().join(60)
    return World(client, h, uuid.UUID(account.json()["id"]), me, org, stranger, dovecot, work)


def partstat(event: icalendar.Event, address: str) -> str | None:
    found = event.get("ATTENDEE")
    for a in found if isinstance(found, list) else [found]:
        if str(a).lower() == f"mailto:{address}":
            return a.params.get("PARTSTAT")
    return None


def replies(relay) -> list[email_lib.message.Message]:  # noqa: ANN001
    return [email_lib.message_from_bytes(raw) for _, _, raw in relay.delivered]


def calendar_part(msg: email_lib.message.Message) -> email_lib.message.Message:
    return next(p for p in msg.walk() if p.get_content_type() == "text/calendar")


def test_accept_once_then_decline(world, relay):
    """GIVEN a REQUEST by mail overlapping a busy event WHEN listed THEN it is new, with the conflict;
    WHEN accepted (twice) THEN the event is on Radicale with PARTSTAT=ACCEPTED and one REPLY reached the
    relay, text/calendar; method=REPLY, threaded to the invitation; WHEN declined THEN a second REPLY
    (DECLINED) goes and the event leaves the calendar."""
    w = world
    uid = "roadmap-1@org.test"
    email_id = w.mail(vcalendar("REQUEST", vevent(uid, organizer=w.org.address,
                                                  attendees=[(w.me.address, "NEEDS-ACTION"), ("dan@x.org", "ACCEPTED")])))
    listed = w.invitations(email_id)
    [inv] = listed["invitations"]
    assert (inv["status"], inv["me"], inv["answer"], inv["sender_is_organizer"]) == ("new", w.me.address, None, True)
    assert [c["title"] for c in inv["conflicts"]] == ["Budget review"]

    r = w.post("respond", email_id=email_id, uid=uid, answer="accepted")
    assert r.status_code == 200, r.text
    assert r.json()["event"]["uid"] == uid and r.json()["reply"]["calendar_method"] == "REPLY"
    assert partstat(w.on_server(uid), w.me.address) == "ACCEPTED"
    [sent] = replies(relay)
    assert sent["To"] == w.org.address and sent["Subject"] == "Accepted: Roadmap"
    assert sent["Message-ID"] == r.json()["reply"]["message_id"] and sent["Message-ID"].startswith("<itip-")
    with session_scope() as db:
        invitation_msgid = db.get(Email, uuid.UUID(email_id)).message_id
    assert sent["In-Reply-To"] == invitation_msgid
    part = calendar_part(sent)
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "REPLY"
    reply_event = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(reply_event["UID"]) == uid and partstat(reply_event, w.me.address) == "ACCEPTED"
    assert partstat(reply_event, "dan@x.org") is None  # only the answering attendee

    again = w.post("respond", email_id=email_id, uid=uid, answer="accepted")
    assert again.status_code == 200 and again.json()["reply"]["id"] == r.json()["reply"]["id"]
    assert len(relay.delivered) == 1
    shown = w.invitations(email_id)["invitations"][0]
    assert (shown["status"], shown["answer"], shown["conflicts"][0]["title"]) == ("on_calendar", "accepted", "Budget review")

    declined = w.post("respond", email_id=email_id, uid=uid, answer="declined")
    assert declined.status_code == 200 and declined.json()["event"] is None
    assert w.on_server(uid) is None
    assert len(relay.delivered) == 2
    last = icalendar.Calendar.from_ical(calendar_part(replies(relay)[1]).get_payload(decode=True)).walk("VEVENT")[0]
    assert partstat(last, w.me.address) == "DECLINED"
    assert w.invitations(email_id)["invitations"][0]["answer"] == "declined"


def test_updates_and_cancellations_only_from_the_organizer(world, relay):
    """GIVEN an accepted invitation WHEN a higher SEQUENCE arrives THEN it shows as updated, and once
    accepted it moves the event and the first mail shows as outdated (no longer answerable); a stranger's
    "update" naming the same organizer cannot be answered onto the calendar (403), and a stranger's
    CANCEL is refused (403) with the event left on the server; the organizer's CANCEL shows as cancelled
    and removes the event once confirmed; confirming again is harmless."""
    w = world
    uid = "weekly@org.test"
    people = [(w.me.address, "NEEDS-ACTION")]
    first = w.mail(vcalendar("REQUEST", vevent(uid, organizer=w.org.address, attendees=people)))
    assert w.post("respond", email_id=first, uid=uid, answer="accepted").status_code == 200
    update = w.mail(vcalendar("REQUEST", vevent(uid, organizer=w.org.address, attendees=people, seq=1,
                                                start=":20260319T120000Z", end=":20260319T130000Z")))
    assert w.invitations(update)["invitations"][0]["status"] == "updated"
    assert w.post("respond", email_id=update, uid=uid, answer="accepted").status_code == 200
    moved = w.on_server(uid)
    assert int(moved["SEQUENCE"]) == 1 and moved["DTSTART"].dt == datetime(2026, 3, 19, 12, tzinfo=UTC)
    assert partstat(moved, w.me.address) == "ACCEPTED"
    assert w.invitations(first)["invitations"][0]["status"] == "outdated"
    r = w.post("respond", email_id=first, uid=uid, answer="declined")
    assert r.status_code == 409 and r.json()["code"] == "invitation_outdated"

    forged = w.mail(vcalendar("REQUEST", vevent(uid, organizer=w.org.address, attendees=people, seq=5,
                                                summary="Moved to my place")), sender=w.stranger)
    shown = w.invitations(forged)["invitations"][0]
    assert shown["sender_is_organizer"] is False
    r = w.post("respond", email_id=forged, uid=uid, answer="accepted")
    assert r.status_code == 403 and r.json()["code"] == "not_the_organizer"

    stranger_cancel = w.mail(vcalendar("CANCEL", vevent(uid, organizer=w.org.address, attendees=people, seq=2)),
                             sender=w.stranger, method="CANCEL")
    r = w.post("cancel", email_id=stranger_cancel, uid=uid)
    assert r.status_code == 403 and r.json()["code"] == "not_the_organizer"
    assert w.on_server(uid) is not None

    cancel = w.mail(vcalendar("CANCEL", vevent(uid, organizer=w.org.address, attendees=people, seq=2)),
                    method="CANCEL")
    assert w.invitations(cancel)["invitations"][0]["status"] == "cancelled"
    r = w.post("cancel", email_id=cancel, uid=uid)
    assert r.status_code == 200 and r.json() == {"removed": True}
    assert w.on_server(uid) is None
    assert w.post("cancel", email_id=cancel, uid=uid).json() == {"removed": False}
    assert w.post("respond", email_id=cancel, uid=uid, answer="accepted").json()["code"] == "not_a_request"
    assert len(relay.delivered) == 2  # the two acceptances; refusals and cancellations send nothing


def test_a_reply_whose_worker_died_mid_send_is_not_sent_twice(world, relay):
    """GIVEN an accepted invitation whose REPLY went out, but the worker died before recording it (the
    provider files sent mail) WHEN the outbox's recovery runs and the user clicks Accept again THEN the
    REPLY is found in Sent and marked sent, and the relay still holds one copy."""
    w = world
    with session_scope() as db:
        db.get(EmailAccount, w.account_id).smtp_saves_sent = True
    relay.save_sent = True
    uid = "once@org.test"
    email_id = w.mail(vcalendar("REQUEST", vevent(uid, organizer=w.org.address, attendees=[(w.me.address, "NEEDS-ACTION")])))
    r = w.post("respond", email_id=email_id, uid=uid, answer="accepted")
    assert r.status_code == 200 and len(relay.delivered) == 1
    draft_id = uuid.UUID(r.json()["reply"]["id"])
    with session_scope() as db:  # as if the worker died before recording the result
        row = db.get(Draft, draft_id)
        row.status, row.sent_at, row.sending_started_at = "sending", None, datetime.now(UTC) - timedelta(hours=1)
    with session_scope() as db:
        assert draft_id in outbox.due(db)
    assert outbox.deliver(draft_id=draft_id) == "sent"
    assert w.post("respond", email_id=email_id, uid=uid, answer="accepted").status_code == 200
    assert len(relay.delivered) == 1


def test_a_malformed_part_is_flagged_and_the_good_one_listed(world, relay):
    w = world
    broken = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x@y\r\nDTSTART:not-a-time\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    email_id = w.mail(vcalendar("REQUEST", vevent("ok@org.test", organizer=w.org.address,
                                                  attendees=[(w.me.address, "NEEDS-ACTION")])), extra_part=broken)
    listed = w.invitations(email_id)
    assert [i["uid"] for i in listed["invitations"]] == ["ok@org.test"]
    assert len(listed["skipped"]) == 1 and "x@y" in listed["skipped"][0]
    # The good one is answerable, in the user's language.
    assert w.client.patch("/api/v1/settings", json={"language": "ro"}, headers=w.h).status_code == 200
    assert w.post("respond", email_id=email_id, uid="ok@org.test", answer="tentative").status_code == 200
    assert partstat(w.on_server("ok@org.test"), w.me.address) == "TENTATIVE"
    [sent] = replies(relay)
    assert str(email_lib.header.make_header(email_lib.header.decode_header(sent["Subject"]))) == "Provizoriu: Roadmap"


def test_a_received_reply_updates_only_its_own_attendee(world, relay):
    """GIVEN the user's own meeting on the calendar with the organizer's peer as attendee WHEN a REPLY
    naming that attendee comes from someone else THEN it is refused (403) and nothing changes; WHEN the
    attendee's own REPLY comes THEN their PARTSTAT on the server is ACCEPTED, and applying it again
    changes nothing."""
    w = world
    uid = "mine@me.test"
    # A plain PUT: the caldav library's save_event raises SEQUENCE, which the REPLY would then trail.
    r = w.cal.client.put(str(w.cal.url).rstrip("/") + "/mine.ics", vcalendar(None, vevent(
        uid, organizer=w.me.address, attendees=[(w.org.address, "NEEDS-ACTION")], start=":20260320T090000Z",
        end=":20260320T100000Z")), {"Content-Type": "text/calendar"})
    assert r.status in (201, 204)
    cals = w.client.get("/api/v1/calendar/accounts", headers=w.h).json()[0]["calendars"]
    w.client.post(f"/api/v1/calendar/calendars/{cals[0]['id']}/sync", headers=w.h)
    assert jobs.local_queue().join(60)
    answer = vevent(uid, organizer=w.me.address, attendees=[(w.org.address, "ACCEPTED")],
                    start=":20260320T090000Z", end=":20260320T100000Z")
    forged = w.mail(vcalendar("REPLY", answer), sender=w.stranger, method="REPLY")
    assert w.invitations(forged)["invitations"][0]["status"] == "reply"
    r = w.post("reply", email_id=forged, uid=uid)
    assert r.status_code == 403 and r.json()["code"] == "not_the_attendee"
    assert partstat(w.on_server(uid), w.org.address) == "NEEDS-ACTION"

    real = w.mail(vcalendar("REPLY", answer), method="REPLY")
    r = w.post("reply", email_id=real, uid=uid)
    assert r.status_code == 200, r.text
    assert r.json()["changed"] is True and r.json()["attendee"]["partstat"] == "ACCEPTED"
    assert partstat(w.on_server(uid), w.org.address) == "ACCEPTED"
    assert w.post("reply", email_id=real, uid=uid).json()["changed"] is False
    assert relay.delivered == []


def test_invitations_of_another_users_mail_are_not_found(world):
    w = world
    email_id = w.mail(vcalendar("REQUEST", vevent("z@org.test", organizer=w.org.address, attendees=[])))
    other = bearer(signed_up(w.client, "bob@example.com"))
    r = w.client.get("/api/v1/calendar/invitations", headers=other, params={"email_id": email_id})
    assert r.status_code == 404
    r = w.client.post("/api/v1/calendar/invitations/respond", headers=other,
                      json={"email_id": email_id, "uid": "z@org.test", "answer": "accepted"})
    assert r.status_code == 404
    r = w.client.post("/api/v1/calendar/invitations/respond", headers=w.h,
                      json={"email_id": email_id, "uid": "z@org.test", "answer": "maybe", "x": 1})
    assert r.status_code == 422
