"""Triage learns from what the user does: senders they always answer, and senders whose mail they let lie."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from openfyxer.core.db import session_scope
from openfyxer.models.draft import Draft
from openfyxer.models.email import Email
from openfyxer.services.assistant import behaviour
from openfyxer.services.assistant.triage import correct
from openfyxer.services import settings as settings_service
from openfyxer.models.user import User
from tests.test_triage import _add, _run, owner  # noqa: F401  (owner: a fixture)

NOTE = {"subject": "Notes from today", "body_text": "Hi,\n\nHere are my notes from today's workshop.\n\nDan"}
ASK = {"subject": "Signed form", "body_text": "Hi,\n\nCould you send me the signed form by Friday, please?\n\nEve"}


def _history(account_id, sender: str, n: int, *, answered: int = 0, days_ago: int = 10, **fields) -> list[uuid.UUID]:
    """`n` older messages from `sender`, the first `answered` of them answered from the user's Sent folder."""
    ids = []
    for i in range(n):
        msgid = f"<{uuid.uuid4().hex}@example.org>"
        ids.append(_add(account_id, sender=sender, message_id=msgid, subject=f"Earlier {i}", body_text="Hi.",
                        received_at=datetime.now(UTC) - timedelta(days=days_ago + i), **fields))
        if i < answered:
            _add(account_id, sender="me@owner.test", folder_role="sent", in_reply_to=msgid, subject=f"Re: Earlier {i}",
                 received_at=datetime.now(UTC) - timedelta(days=days_ago + i - 1))
    return ids


def test_a_sender_the_user_always_answers_is_to_respond(owner):
    """GIVEN Dan, whose last four messages the user answered three of WHEN Dan sends a note that asks nothing
    THEN it is To respond, by habit, and the reason says how often the user answers Dan."""
    user_id, account_id = owner
    _history(account_id, "dan@example.org", 4, answered=3)
    new = _add(account_id, sender="dan@example.org", **NOTE)
    other = _add(account_id, sender="carol@example.org", **NOTE)  # the same note from someone new: the model decides
    got = _run(user_id, new, other)
    assert (got[new].category, got[new].needs_reply, got[new].triaged_by) == ("to_respond", True, "habit")
    assert got[new].triage_reason == "you answered 3 of dan@example.org's last 4 messages"
    assert got[other].triaged_by == "model" and not got[other].needs_reply


def test_a_sender_the_user_never_answers_is_not_to_respond_on_the_models_word(owner):
    """GIVEN Eve, none of whose last five messages the user answered (two removed unread) WHEN Eve asks for
    something THEN it is FYI by habit, with the reason; the same request from a new sender is To respond."""
    user_id, account_id = owner
    ids = _history(account_id, "eve@example.org", 5)
    with session_scope() as db:
        for i in ids[:2]:
            db.get(Email, i).folder_role = "trash"
    new = _add(account_id, sender="eve@example.org", **ASK)
    fresh = _add(account_id, sender="frank@example.org", **ASK)
    got = _run(user_id, new, fresh)
    assert (got[fresh].category, got[fresh].triaged_by) == ("to_respond", "model")
    assert (got[new].category, got[new].needs_reply, got[new].triaged_by) == ("fyi", False, "habit")
    assert got[new].triage_reason == ("it may ask for something, but you have not answered eve@example.org's last "
                                      "5 messages (2 removed unread)")


def test_too_little_or_too_recent_history_decides_nothing(owner):
    """Two old messages, or answers still possible (mail of the last three days), are no habit."""
    user_id, account_id = owner
    _history(account_id, "gina@example.org", 2)
    _history(account_id, "hal@example.org", 3, days_ago=0)
    got = _run(user_id, _add(account_id, sender="gina@example.org", **ASK), _add(account_id, sender="hal@example.org", **ASK))
    assert {(e.category, e.triaged_by) for e in got.values()} == {("to_respond", "model")}


def test_a_sent_draft_is_an_answer(owner):
    user_id, account_id = owner
    ids = _history(account_id, "ina@example.org", 3)
    with session_scope() as db:
        for i in ids:
            db.add(Draft(user_id=user_id, account_id=account_id, email_id=i, content="Sure.", status="sent"))
    with session_scope() as db:
        habits = behaviour.load(db, user_id=user_id, emails=[db.get(Email, ids[0])], now=datetime.now(UTC))
    assert habits.of("ina@example.org") == behaviour.Habit(seen=3, answered=3, dropped_unread=0)


def test_the_users_word_wins_over_habit(owner):
    """A correction and a priority contact come before what the user's habits suggest."""
    user_id, account_id = owner
    _history(account_id, "dan@example.org", 4, answered=4)
    _history(account_id, "eve@example.org", 4)
    corrected = _add(account_id, sender="dan@example.org", **NOTE)
    with session_scope() as db:
        correct(db, user=db.get(User, user_id), email=db.get(Email, corrected), category="fyi")
        prefs = settings_service.get_or_create(db, user_id=user_id)
        prefs.priority_contacts = ["eve@example.org"]
        db.add(prefs)
    got = _run(user_id, _add(account_id, sender="dan@example.org", **NOTE), _add(account_id, sender="eve@example.org", **ASK))
    by_sender = {e.sender: e for e in got.values()}
    assert (by_sender["dan@example.org"].category, by_sender["dan@example.org"].triaged_by) == ("fyi", "user")
    assert by_sender["eve@example.org"].triaged_by == "rules" and by_sender["eve@example.org"].needs_reply
