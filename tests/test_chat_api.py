"""/api/v1/chat: a kept conversation over the same retrieval, whole or streamed."""

from __future__ import annotations


import pytest

from tests.assistanthelpers import scripted, scripted_server  # noqa: F401
from tests.helpers import sse_events
from tests.test_rag_api import mailbox  # noqa: F401

pytestmark = pytest.mark.timeout(600)




def test_a_conversation_is_kept_and_follows_on(mailbox, scripted) -> None:  # noqa: ANN001, F811
    """GIVEN indexed mail WHEN the user asks about the budget, then a short follow-up THEN both answers cite the
    budget mail, the follow-up's prompt carries the earlier turn, and the history holds all four messages."""
    client, h, ids = mailbox
    scripted.reply = "The Q2 budget for Apollo is 160,000 EUR [1]."
    first = client.post("/api/v1/chat", headers=h, json={"message": "What is the Q2 budget for Apollo?"}).json()
    assert first["role"] == "assistant" and first["grounded"] and first["content"].startswith("The Q2 budget")
    assert ids["budget"] in {s["id"] for s in first["sources"]}

    scripted.reply = "Travel is 40,000 EUR of it [1]."
    second = client.post("/api/v1/chat", headers=h, json={"message": "And the travel part?"}).json()
    assert second["grounded"]
    messages = scripted.requests[-1]["body"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "What is the Q2 budget for Apollo?"
    assert "40,000 EUR" in messages[-1]["content"]  # found by reading the follow-up with the question before it

    history = client.get("/api/v1/chat/history", headers=h).json()
    assert [(m["role"], m["content"][:15]) for m in history] == [
        ("user", "What is the Q2 "), ("assistant", "The Q2 budget f"), ("user", "And the travel "),
        ("assistant", "Travel is 40,00")]
    assert history[1]["sources"] and history[0]["sources"] == []
    assert client.delete("/api/v1/chat/history", headers=h).status_code == 204
    assert client.get("/api/v1/chat/history", headers=h).json() == []


def test_the_answer_streams_then_is_saved(mailbox, scripted) -> None:  # noqa: ANN001, F811
    """WHEN asked on /chat/stream THEN the sources come first, the text in pieces that add up to the answer,
    then the saved message; WHEN the model fails mid-way THEN an error event and nothing is saved."""
    client, h, ids = mailbox
    scripted.reply = "Dan asked for the Q2 budget numbers by Friday [1]."
    r = client.post("/api/v1/chat/stream", headers=h, json={"message": "What did Dan ask for?"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "sources" and kinds[-1] == "message" and kinds.count("text") >= 5
    assert "".join(d for k, d in events if k == "text") == scripted.reply
    saved = events[-1][1]
    assert saved["content"] == scripted.reply and ids["budget"] in {s["id"] for s in saved["sources"]}
    assert scripted.requests[-1]["body"].get("stream") is True

    scripted.status = 500
    try:
        r = client.post("/api/v1/chat/stream", headers=h, json={"message": "What did Dan ask for?"})
    finally:
        scripted.status = 200
    events = sse_events(r.text)
    assert [k for k, _ in events] == ["sources", "error"]
    assert len(client.get("/api/v1/chat/history", headers=h).json()) == 2  # only the first exchange
