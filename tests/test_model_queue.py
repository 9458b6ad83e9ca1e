"""The embedded model's queue: users take turns (first come, first served within one user), each is
told where they stand, and a reader that goes away gives up its place or stops the model."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from openfyxer.integrations import llm_local
from openfyxer.integrations.llm_local import Place
from openfyxer.services.assistant import llm
from tests.helpers import bearer, signed_up, sse_events, until

pytestmark = pytest.mark.timeout(600)

HELLO = [{"role": "system", "content": "Answer in one short sentence."}, {"role": "user", "content": "Say hello."}]
QUEUE = llm_local.model_queue


def _owner() -> str:
    return str(uuid.uuid4())



@pytest.fixture
def held():
    """The model busy with someone else's request until `release()` is called (at the end at the latest)."""
    ticket = QUEUE.enter("someone-else")
    assert QUEUE.wait(ticket)
    yield lambda: QUEUE.done(ticket)
    QUEUE.done(ticket)


def test_users_take_turns_and_each_is_told_where_they_stand(held):
    """GIVEN the model busy, then three requests of user A and two of user B WHEN the model frees up THEN they
    are served A, B, A, B, A; meanwhile each user is told how many come before their first request."""
    a, b = _owner(), _owner()
    served, threads, tickets = [], [], {}
    for name, owner in (("a1", a), ("a2", a), ("a3", a), ("b1", b), ("b2", b)):
        tickets[name] = ticket = QUEUE.enter(owner)

        def take(ticket=ticket, name=name) -> None:  # noqa: ANN001
            if QUEUE.wait(ticket):
                served.append(name)
                QUEUE.done(ticket)

        threads.append(threading.Thread(target=take))
    assert llm.model_wait(a) == Place(waiting=True, ahead=1, generating=False)  # behind the one being written
    assert llm.model_wait(b) == Place(waiting=True, ahead=2, generating=False)  # and behind A's first
    assert QUEUE.place(tickets["a3"]).ahead == 5  # after a1, b1, a2, b2
    assert llm.model_wait(_owner()) is None
    for t in threads:
        t.start()
    held()
    for t in threads:
        t.join(10)
    assert served == ["a1", "b1", "a2", "b2", "a3"]
    assert llm.model_wait(a) is None and llm.model_wait(b) is None


def test_a_reader_that_leaves_gives_up_its_place_and_the_model(held):
    """GIVEN the embedded model busy WHEN user B's streamed answer is closed while it waits THEN B's place is
    gone at once and the request behind it moves up; WHEN B's next answer is closed while being written THEN
    the model is free again for the next request."""
    b, c = _owner(), _owner()
    choice = llm.Choice("embedded", "smollm2-135m", owner=b)
    waiting = llm.stream(choice, HELLO, max_tokens=16, temperature=0)
    assert llm.model_wait(b) == Place(waiting=True, ahead=1, generating=False)
    behind = QUEUE.enter(c)
    assert llm.model_wait(c).ahead == 2
    waiting.close()
    assert llm.model_wait(b) is None and llm.model_wait(c).ahead == 1
    assert list(waiting) == []
    held()
    assert QUEUE.wait(behind)
    QUEUE.done(behind)

    story = [{"role": "user", "content": "Write a long story about a lighthouse keeper and the sea."}]
    writing = llm.stream(choice, story, max_tokens=400, temperature=0.7)
    assert next(writing)
    assert llm.model_wait(b) == Place(waiting=False, ahead=0, generating=True)
    writing.close()
    assert until(lambda: llm.model_wait(b) is None, 30)
    with QUEUE.turn(c):
        assert llm.model_wait(c) == Place(waiting=False, ahead=0, generating=True)


def test_follow_says_where_a_request_waits_and_closes_it_when_left(held):
    """GIVEN the model busy WHEN a streamed answer is followed from async code THEN it first says it waits
    with one request ahead; WHEN the reader stops THEN the request has left the queue."""
    b = _owner()

    async def first_then_leave() -> tuple[str, object]:
        events = llm.follow(llm.stream(llm.Choice("embedded", "smollm2-135m", owner=b), HELLO, max_tokens=8,
                                       temperature=0))
        first = await events.__anext__()
        await events.aclose()
        return first

    assert asyncio.run(first_then_leave()) == ("waiting", 1)
    assert llm.model_wait(b) is None


def test_the_api_tells_a_user_where_their_request_stands(client, held):
    """GIVEN a signed-in user WHEN /api/v1/model/queue is asked with nothing of theirs queued, then with a
    request waiting behind the one being written THEN it says so; without a token THEN 401."""
    h = bearer(signed_up(client))
    me = client.get("/api/v1/users/me", headers=h).json()["id"]
    assert client.get("/api/v1/model/queue", headers=h).json() == {"waiting": False, "ahead": 0, "generating": False}
    ticket = QUEUE.enter(me)
    try:
        assert client.get("/api/v1/model/queue", headers=h).json() == {"waiting": True, "ahead": 1,
                                                                       "generating": False}
    finally:
        QUEUE.leave(ticket)
    assert client.get("/api/v1/model/queue").status_code == 401




def test_a_streamed_chat_answer_says_it_waits_for_the_model(client, held):
    """GIVEN indexed mail, the embedded model answering, and the model busy with another user's request WHEN
    the user asks on /chat/stream THEN `waiting` events (one request ahead) come before the answer's text,
    and the answer is saved once the model is free."""
    from openfyxer.core.db import session_scope
    from openfyxer.services.knowledge import indexing
    from tests.assistanthelpers import add_email, make_user_account, user_by_email

    h = bearer(signed_up(client))
    with session_scope() as s:
        user = user_by_email(s, "ana@example.com")
        _, account = make_user_account(s, user=user, address="ana@example.com")
        add_email(s, account, subject="Q2 budget numbers", sender="dan.matei@acme.ro", sender_name="Dan Matei",
                  body="Hi Ana,\n\nThe Q2 budget for Project Apollo is 160,000 EUR.\n\nDan",
                  received_at=datetime.now(UTC) - timedelta(days=1))
        user_id, account_id = str(user.id), account.id
    indexing.index_account(account_id=account_id)

    def release_once_seen_waiting() -> None:
        until(lambda: llm.model_wait(user_id) is not None, 30)
        time.sleep(3 * llm.POLL_S)  # the stream says where it stands meanwhile
        held()

    releaser = threading.Thread(target=release_once_seen_waiting)
    releaser.start()
    r = client.post("/api/v1/chat/stream", headers=h, json={"message": "What is the Q2 budget for Apollo?"})
    releaser.join(60)
    events = sse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "sources" and kinds[-1] == "message", kinds
    assert ("waiting", {"ahead": 1}) in events
    assert max(i for i, k in enumerate(kinds) if k == "waiting") < kinds.index("message")
    assert all(i > max(j for j, k in enumerate(kinds) if k == "waiting") for i, k in enumerate(kinds) if k == "text")
    assert llm.model_wait(user_id) is None
