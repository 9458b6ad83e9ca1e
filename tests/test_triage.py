"""Triage: every processed email gets a category, a needs-reply flag and a reason; corrections teach it."""

from __future__ import annotations

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


@pytest.fixture
def owner(sqlite_url):
    with session_scope() as db:
        user = auth.register(db, email=f"{uuid.uuid4().hex[:6]}@owner.test", password="correct horse battery")
        account = EmailAccount(user_id=user.id, provider="imap", email_address="me@owner.test")
        db.add(account)
        db.flush()
        return user.id, account.id


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
