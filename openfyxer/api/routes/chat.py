"""/api/v1/chat: the conversation with the user's mail and documents, whole or streamed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS
from openfyxer.core.db import session_scope
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.knowledge_api import ChatIn, ChatMessageOut
from openfyxer.models.user import User
from openfyxer.services.assistant import llm
from openfyxer.services.knowledge import chat, rag

router = APIRouter(prefix="/chat", tags=["knowledge"], responses=ERRORS)


@router.post("", response_model=ChatMessageOut)
def send(body: ChatIn, caller: CurrentCaller, db: DB) -> ChatMessageOut:
    """Ask; the answer (with its sources) comes back whole and both are kept in the history."""
    reply = chat.reply(db, user=caller.user, message=body.message)
    db.commit()
    return ChatMessageOut.model_validate(reply)


@router.post("/stream", responses={200: {"content": {"text/event-stream": {}},
                                         "description": "sources, waiting, then text pieces, then the saved message"}})
def send_streamed(body: ChatIn, caller: CurrentCaller, db: DB) -> StreamingResponse:
    """Server-sent events: `sources` (what the answer may cite), `waiting` (`{"ahead": n}`, now and
    then while the request waits its turn at the embedded model), `text` pieces as the model writes,
    then `message` (the saved answer, citations resolved) or `error`. A client that disconnects gives
    up its place in the model's queue, or stops the answer being written."""
    prepared = chat.prepare(db, user=caller.user, message=body.message)
    user_id = caller.user.id
    db.close()  # nothing is written until the answer is whole

    def save(text: str) -> dict:
        with session_scope() as s:
            reply = chat.save(s, user=s.get(User, user_id), message=body.message, answer=rag.finish(prepared, text))
            return ChatMessageOut.model_validate(reply).model_dump(mode="json")

    async def events() -> AsyncIterator[str]:
        yield _event("sources", [s.model_dump(mode="json") for s in prepared.sources])
        pieces: list[str] = []
        try:
            # Closed however this generator ends (the client gone included): the request leaves the
            # model's queue, or the model stops at its next piece.
            async with aclosing(llm.follow(rag.stream(prepared))) as followed:
                async for kind, value in followed:
                    if kind == "waiting":
                        yield _event("waiting", {"ahead": value})
                    else:
                        pieces.append(value)
                        yield _event("text", value)
        except OpenFyxerError as e:
            yield _event("error", {"detail": e.message, "code": e.code})
            return
        yield _event("message", await run_in_threadpool(save, "".join(pieces)))

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/history", response_model=list[ChatMessageOut])
def get_history(caller: CurrentCaller, db: DB,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[ChatMessageOut]:
    return [ChatMessageOut.model_validate(m) for m in chat.history(db, user=caller.user, limit=limit)]


@router.delete("/history", status_code=status.HTTP_204_NO_CONTENT)
def clear_history(caller: CurrentCaller, db: DB) -> None:
    chat.clear(db, user=caller.user)
    db.commit()
