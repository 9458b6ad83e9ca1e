"""/api/v1/model: the caller's place at the embedded model, which answers one request at a time."""

from __future__ import annotations

from fastapi import APIRouter

from openfyxer.api.deps import CurrentCaller
from openfyxer.api.schemas import ERRORS, ModelQueueOut
from openfyxer.services.assistant import llm

router = APIRouter(prefix="/model", tags=["knowledge"], responses=ERRORS)


@router.get("/queue", response_model=ModelQueueOut)
def queue(caller: CurrentCaller) -> ModelQueueOut:
    """Whether a request of yours (a chat answer, a draft being written) waits for the model in this
    server process, and how many come before it. Users take turns: another user's many requests
    put one of theirs ahead of yours at a time."""
    place = llm.model_wait(caller.user.id)
    if place is None:
        return ModelQueueOut(waiting=False, ahead=0, generating=False)
    return ModelQueueOut(waiting=place.waiting, ahead=place.ahead, generating=place.generating)
