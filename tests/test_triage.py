"""Triage: every processed email gets a category, a needs-reply flag and a reason; corrections teach it."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.account import EmailAccount
from openfyxer.models.email import Email, Notification
from openfyxer.models.user import User
from openfyxer.services import auth
from openfyxer.services.assistant import triage
from openfyxer.services import settings as settings_service


def _owner() -> tuple[uuid.UUID, uuid.UUID]:
    with session_scope() as db:
        user = auth.register(db, email=f"{uuid.uuid4().hex[:6]}@owner.test", password="correct horse battery")
        account = EmailAccount(user_id=user.id, provider="imap", email_address="me@owner.test")
        db.add(account)
        db.flush()
        return user.id, account.id


@pytest.fixture
def owner(sqlite_url):
    return _owner()


def _add(account_id, **fields) -> uuid.UUID:
    defaults = {"message_id": f"<{uuid.uuid4().hex}@example.org>", "subject": "Hello", "sender": "bob@example.org",
                "body_text": "Hi.", "folder_role": "inbox", "received_at": datetime.now(UTC) - timedelta(hours=1)}
    with session_scope() as db:
        e = Email(account_id=account_id, **{**defaults, **fields})
        db.add(e)
        db.flush()
        return e.id


def _run(user_id, *ids) -> dict[uuid.UUID, Email]:
    with session_scope() as db:
        user = db.get(User, user_id)
        emails = [db.get(Email, i) for i in ids]
        triage.triage_batch(db, user=user, emails=emails)
        return {e.id: e for e in emails}


def test_headers_requests_and_urgency(owner):
    """GIVEN a newsletter, an automatic notice, a plain update, a request and an urgent request
    WHEN triaged THEN newsletter, fyi, fyi, to_respond, urgent, each with a reason."""
    user_id, account_id = owner
    ids = {
        "newsletter": _add(account_id, subject="Weekly digest", body_text="Top stories this week.",
                           list_unsubscribe="<mailto:unsub@news.example>", sender="news@news.example"),
        "auto": _add(account_id, subject="Your build passed", body_text="Build 42 passed.", auto_submitted="auto-generated",
                     sender="ci@builds.example"),
        "update": _add(account_id, subject="Office closed Friday", body_text="The office will be closed on Friday for maintenance."),
        "request": _add(account_id, subject="Contract", body_text="Could you send me the signed contract when you have a moment?"),
        "urgent": _add(account_id, subject="Server down", body_text="Can you call me as soon as possible? The server is down and we need a fix today."),
    }
    out = _run(user_id, *ids.values())
    got = {k: out[v].category for k, v in ids.items()}
    assert got == {"newsletter": "newsletter", "auto": "fyi", "update": "fyi", "request": "to_respond", "urgent": "urgent"}
    assert out[ids["request"]].needs_reply and not out[ids["newsletter"]].needs_reply
    assert all(out[v].triage_reason and out[v].processed_at for v in ids.values())


def test_romanian_request_is_recognised(owner):
    """GIVEN a Romanian request without diacritics WHEN triaged THEN to_respond."""
    user_id, account_id = owner
    i = _add(account_id, subject="Raport", body_text="Buna ziua, ma puteti ajuta cu raportul pana joi? Multumesc!")
    assert _run(user_id, i)[i].category == "to_respond"


def test_spam_from_the_corpus_is_caught(owner):
    """GIVEN a real spam message from the SpamAssassin corpus WHEN stored and triaged THEN spam."""
    from bench.corpus import messages
    from openfyxer.services.mail.mime import parse_message

    user_id, account_id = owner
    raw = next(r for g, r in messages() if g == "spam-2")
    p = parse_message(raw)
    i = _add(account_id, message_id=p.message_id, subject=p.subject, sender=p.sender, body_text=p.body_text,
             body_html=p.body_html, has_remote_images=p.has_remote_images, list_unsubscribe=p.list_unsubscribe)
    assert _run(user_id, i)[i].category == "spam"


def test_priority_contact_and_urgent_notification(owner):
    """GIVEN a priority contact WHEN they ask for something THEN urgent, and one notification is recorded."""
    user_id, account_id = owner
    with session_scope() as db:
        settings_service.get_or_create(db, user_id=user_id).priority_contacts = ["boss@example.org"]
    i = _add(account_id, sender="boss@example.org", subject="Numbers", body_text="Can you send me the Q3 numbers?")
    assert _run(user_id, i)[i].category == "urgent"
    _run(user_id, i)
    with session_scope() as db:
        notes = db.exec(select(Notification).where(Notification.email_id == i)).all()
    assert len(notes) == 1 and notes[0].kind == "urgent"


def test_a_correction_changes_how_similar_mail_is_sorted(owner):
    """GIVEN a message the user moves from fyi to urgent WHEN a near-identical one arrives THEN it is urgent too,
    and a correction is never overwritten by a later triage."""
    user_id, account_id = owner
    body = "Monthly server status report: all systems nominal, disk usage at 71 percent on db-2."
    first = _add(account_id, subject="Status report", body_text=body, sender="ops@example.org")
    assert _run(user_id, first)[first].category == "fyi"
    with session_scope() as db:
        triage.correct(db, user=db.get(User, user_id), email=db.get(Email, first), category="urgent")
    second = _add(account_id, subject="Status report", body_text=body.replace("71", "73"), sender="ops@example.org")
    out = _run(user_id, first, second)
    assert out[second].category == "urgent" and out[second].triaged_by == "user"
    with session_scope() as db:
        assert db.get(Email, first).category == "urgent"


# ---- bulk mail, current urgency, corrections that generalise ---------------------------------

@pytest.fixture
def owner_any_db(database_url):
    """A user with one account, on SQLite and on PostgreSQL."""
    return _owner()


@functools.cache
def _corpus() -> list[tuple[str, bytes]]:
    from bench.corpus import messages

    return messages()


def _corpus_raw(marker: bytes) -> bytes:
    """The one SpamAssassin corpus message (2002) that contains `marker`."""
    found = [raw for _, raw in _corpus() if marker in raw]
    assert len(found) == 1, (marker, len(found))
    return found[0]


def _add_raw(account_id, raw: bytes) -> uuid.UUID:
    """A real message through the sync's parser and row mapping (headers as they are stored)."""
    from tests.assistanthelpers import add_mime

    with session_scope() as db:
        return add_mime(db, db.get(EmailAccount, account_id), raw).id


def _correct(user_id, email_id, category: str) -> None:
    with session_scope() as db:
        triage.correct(db, user=db.get(User, user_id), email=db.get(Email, email_id), category=category)


# A colleague's everyday HTML: an Outlook-style signature table, a few links and a disclaimer.
_SIGNATURE_HTML = (
    "<p>{text}</p><table><tr><td><b>Dan Popescu</b><br>Finance Lead, Acme Corp</td>"
    "<td><a href='https://acme-corp.example'>acme-corp.example</a> | "
    "<a href='https://www.linkedin.com/in/danpopescu'>LinkedIn</a></td></tr></table>"
    "<p style='font-size:8pt'>This e-mail is confidential. See our "
    "<a href='https://acme-corp.example/privacy'>privacy policy</a>.</p>"
)
_FOOTER = ("\n\n--\nYou are receiving this e-mail because you subscribed to {name}.\n"
           "To unsubscribe, visit https://{host}/unsubscribe?u=8f2c1\n")


def test_a_list_newsletter_that_shouts_is_a_newsletter(owner):
    """GIVEN a current newsletter with a List-Id whose text shouts "Reply now! Act today!" (the request
    model says it asks, with urgency cues) WHEN triaged THEN newsletter, no reply needed, not urgent,
    and the reason names the list."""
    user_id, account_id = owner
    i = _add(account_id, subject="Python Weekly: early-bird tickets end today", sender="news@pyweekly.example",
             body_text="This week in Python: the 3.13 release notes, a tour of the new JIT and five talks from "
                       "PyCon. Early-bird tickets for PyCon Romania end today. Reply now! Act today! Can you join "
                       "us in Cluj on 14 June?",
             list_id="Python Weekly <weekly.pyweekly.example>", list_unsubscribe="<https://pyweekly.example/u/1>")
    e = _run(user_id, i)[i]
    assert (e.category, e.needs_reply, e.triaged_by) == ("newsletter", False, "rules")
    assert e.triage_reason == "mailing list (Python Weekly)"
    with session_scope() as db:
        assert not db.exec(select(Notification).where(Notification.email_id == i)).all()


def test_feed_items_and_old_newsletters_without_list_headers_are_not_to_respond(owner):
    """GIVEN 2002 mail from the SpamAssassin corpus without any List header that the old triage put in
    To respond or Urgent - a boingboing RSS item ("Go! Register! Bid!") and a CNET newsletter ("if you
    have a question, post it!") - and an rss2email-style item from a person-looking sender
    WHEN triaged THEN newsletter, no reply needed, each with what gave it away."""
    user_id, account_id = owner
    rss = _add_raw(account_id, _corpus_raw(b'Buy the Enron "E"'))
    cnet = _add_raw(account_id, _corpus_raw(b"Why I don't use firewalls"))
    item = _add(account_id, subject="What do you think of RSS 3.0?", sender="dave@scripting.example",
                sender_name="Scripting News",
                body_text="URL: http://scripting.example/2024/05/02.html#a1234\nDate: Thu, 02 May 2024 12:24:45 GMT\n\n"
                          "Could you tell me what you think of the new RSS draft? Please reply today, I need "
                          "answers for the spec meeting.\n")
    out = _run(user_id, rss, cnet, item)
    assert {k: (out[k].category, out[k].needs_reply) for k in (rss, cnet, item)} == {
        rss: ("newsletter", False), cnet: ("newsletter", False), item: ("newsletter", False)}
    assert out[rss].triage_reason.startswith("RSS or feed item")
    assert out[item].triage_reason.startswith("RSS or feed item")
    assert out[cnet].triage_reason == "mass mailing (unsubscribe link in the text)"


def test_weeks_old_urgent_mail_is_not_urgent_today(owner):
    """GIVEN a colleague's "urgent, please answer today" received three weeks ago WHEN triaged now
    THEN it still asks for something (to_respond, needs a reply) but is not urgent, no urgent
    notification is raised, and the reason says how old it is."""
    user_id, account_id = owner
    i = _add(account_id, subject="Invoice approval", sender="ioana.marin@acme-corp.example",
             received_at=datetime.now(UTC) - timedelta(days=21, hours=2),
             body_text="Hi,\n\nThis is urgent: could you please approve the Dunmore invoice and answer me today? "
                       "Accounts close the month tonight.\n\nThanks,\nIoana")
    e = _run(user_id, i)[i]
    assert (e.category, e.needs_reply) == ("to_respond", True)
    assert e.triage_reason == "asks for something, but it is 3 weeks old"
    with session_scope() as db:
        assert not db.exec(select(Notification).where(Notification.email_id == i)).all()


def test_a_request_whose_deadline_has_passed_is_not_urgent(owner):
    """GIVEN a two-day-old urgent request "by Friday 3 May 2024" and one "until 12.03.2024" (both in
    the past) WHEN triaged THEN to_respond, not urgent, and the reason names the passed deadline."""
    user_id, account_id = owner
    two_days = datetime.now(UTC) - timedelta(days=2)
    english = _add(account_id, subject="Signed form needed", sender="radu@clinic.example", received_at=two_days,
                   body_text="Hello,\n\nCould you please send me the signed consent form by Friday 3 May 2024? "
                             "It is urgent, the registration closes then.\n\nBest,\nRadu")
    romanian = _add(account_id, subject="Urgent: contractul", sender="elena@firma.example", received_at=two_days,
                    body_text="Bună ziua,\n\nVă rog să-mi trimiteți urgent contractul semnat, oferta e valabilă "
                              "până la 12.03.2024.\n\nMulțumesc,\nElena")
    out = _run(user_id, english, romanian)
    assert (out[english].category, out[english].needs_reply) == ("to_respond", True)
    assert out[english].triage_reason == "asks for something, but its deadline (3 May 2024) has passed"
    assert out[romanian].category == "to_respond"
    assert out[romanian].triage_reason == "asks for something, but its deadline (12 March 2024) has passed"


def test_a_colleagues_current_requests_stay_to_respond_and_urgent(owner):
    """GIVEN a colleague's HTML mail with a signature table, links and a privacy-policy disclaimer asking
    "Could you send me the Q2 numbers by Friday?", and a current urgent request from another
    colleague WHEN triaged THEN to_respond and urgent: neither looks like bulk mail."""
    user_id, account_id = owner
    text = "Hi Ana,\n\nCould you send me the Q2 numbers by Friday? I need them for the board deck.\n\nThanks,\nDan"
    question = _add(account_id, subject="Q2 numbers", sender="dan.popescu@acme-corp.example",
                    sender_name="Dan Popescu", body_text=text,
                    body_html=_SIGNATURE_HTML.format(text=text.replace("\n", "<br>")))
    urgent = _add(account_id, subject="Server down", sender="mihai@acme-corp.example",
                  received_at=datetime.now(UTC) - timedelta(minutes=20),
                  body_text="Ana, the production server is down. Can you call me as soon as possible? "
                            "We need a fix today.\n\nMihai")
    out = _run(user_id, question, urgent)
    assert (out[question].category, out[question].needs_reply) == ("to_respond", True)
    assert out[urgent].category == "urgent" and out[urgent].triage_reason == "asks for something, and soon"


def test_correcting_one_list_message_moves_the_next_one_of_that_list(owner_any_db):
    """GIVEN a newsletter of a list (List-Id) that the user moves to Spam WHEN a new message of the same
    list arrives from another address of the sender, with other text THEN it is Spam at once, decided
    by the user's correction, and the reason says it is this list's."""
    user_id, account_id = owner_any_db
    list_id = "Acme Weekly <weekly.acme-news.example>"
    first = _add(account_id, subject="Acme Weekly #41: gardening tools", sender="news@acme-news.example",
                 list_id=list_id, body_text="This week: ten gardening tools on sale, our spring catalogue and "
                                            "a recipe for rhubarb pie.")
    assert _run(user_id, first)[first].category == "newsletter"
    _correct(user_id, first, "spam")
    second = _add(account_id, subject="Your exclusive invitation to the Acme loyalty club", list_id=list_id,
                  sender="offers@acme-news.example",
                  body_text="Members save on every order. Join the Acme loyalty club before Sunday and get a "
                            "free tote bag with your next purchase.")
    e = _run(user_id, second)[second]
    assert (e.category, e.needs_reply, e.triaged_by) == ("spam", False, "user")
    assert e.triage_reason == "you moved mail from this list (weekly.acme-news.example) to Spam"


def test_correcting_one_cnet_newsletter_moves_its_siblings(owner):
    """GIVEN two 2002 newsletters of the corpus from newsletter.online.com (CNET and ZDNet, each from its
    own per-recipient sender address, no List-Id) WHEN the user moves the CNET one to Spam
    THEN the ZDNet one follows at once, and the reason names the sender domain."""
    user_id, account_id = owner
    cnet = _add_raw(account_id, _corpus_raw(b"Why I don't use firewalls"))
    assert _run(user_id, cnet)[cnet].category == "newsletter"
    _correct(user_id, cnet, "spam")
    zdnet = _add_raw(account_id, _corpus_raw(b"Subject: What to look for in your next smart phone"))
    e = _run(user_id, zdnet)[zdnet]
    assert (e.category, e.triaged_by) == ("spam", "user")
    assert e.triage_reason == "you moved mail from newsletter.online.com to Spam"


def test_a_correction_of_one_gmail_sender_does_not_move_other_gmail_senders(owner):
    """GIVEN a club newsletter sent from a gmail.com address, which the user moves to Spam
    WHEN more mail arrives from that address, another gmail.com newsletter and a gmail.com friend's
    question THEN only the corrected address follows (Spam); the others are sorted as before."""
    user_id, account_id = owner
    club = _add(account_id, subject="Chess club news, May", sender="chess.club.news@gmail.com",
                body_text="Tournament results and the summer schedule." + _FOOTER.format(name="Chess club news",
                                                                                          host="chessclub.example"))
    _run(user_id, club)
    _correct(user_id, club, "spam")
    again = _add(account_id, subject="Chess club news, June", sender="chess.club.news@gmail.com",
                 body_text="Simultaneous exhibition on Saturday." + _FOOTER.format(name="Chess club news",
                                                                                   host="chessclub.example"))
    books = _add(account_id, subject="Book club: June reading list", sender="bookclub.updates@gmail.com",
                 body_text="This month we read Solenoid." + _FOOTER.format(name="the book club", host="books.example"))
    friend = _add(account_id, subject="Saturday", sender="maria.ionescu@gmail.com",
                  body_text="Hi! Could you lend me your tent for the weekend? Let me know.")
    out = _run(user_id, again, books, friend)
    assert (out[again].category, out[again].triage_reason) == (
        "spam", "you moved mail from chess.club.news@gmail.com to Spam")
    assert (out[books].category, out[books].triaged_by) == ("newsletter", "rules")
    assert (out[friend].category, out[friend].needs_reply) == ("to_respond", True)


def test_a_persons_sender_correction_moves_their_notes_but_not_their_next_question(owner):
    """GIVEN a colleague's note the user moves from FYI to Newsletter WHEN the colleague sends another
    note, then a question THEN the note follows at once (the reason names the sender), while the
    question still lands in To respond: one correction does not hide a person's requests."""
    user_id, account_id = owner
    note = _add(account_id, subject="Canteen menu", sender="bob@acme-corp.example",
                body_text="The canteen menu for next week is on the intranet.")
    _run(user_id, note)
    _correct(user_id, note, "newsletter")
    later_note = _add(account_id, subject="Parking", sender="bob@acme-corp.example",
                      body_text="The car park will be repainted on Saturday.")
    question = _add(account_id, subject="Review", sender="bob@acme-corp.example",
                    body_text="Could you review the contract draft and tell me what you think?")
    out = _run(user_id, later_note, question)
    assert (out[later_note].category, out[later_note].triage_reason) == (
        "newsletter", "you moved mail from bob@acme-corp.example to Newsletter")
    assert (out[question].category, out[question].triaged_by) == ("to_respond", "model")


def test_corrections_are_kept_per_user(owner_any_db):
    """GIVEN two users subscribed to the same list, one of whom moved its mail to Spam WHEN the other
    user's copy arrives THEN it is a newsletter for them: nobody's corrections sort anyone else's mail."""
    user_id, account_id = owner_any_db
    with session_scope() as db:
        other = auth.register(db, email=f"{uuid.uuid4().hex[:6]}@other.test", password="correct horse battery")
        other_account = EmailAccount(user_id=other.id, provider="imap", email_address="other@other.test")
        db.add(other_account)
        db.flush()
        other_id, other_account_id = other.id, other_account.id
    fields = {"subject": "Acme Weekly #42", "sender": "news@acme-news.example", "list_id": "<weekly.acme-news.example>",
              "body_text": "Spring catalogue and rhubarb pie."}
    mine = _add(account_id, **fields)
    _correct(user_id, mine, "spam")
    theirs = _add(other_account_id, **fields, message_id=f"<{uuid.uuid4().hex}@acme-news.example>")
    e = _run(other_id, theirs)[theirs]
    assert (e.category, e.triaged_by) == ("newsletter", "rules")
