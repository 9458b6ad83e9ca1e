"""/api/v1/follow-ups: sent mail awaiting a reply; snooze or dismiss each."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.notify import FollowUpPublic, FollowUpSnooze
from openfyxer.services.notify import followups

router = APIRouter(prefix="/follow-ups", tags=["follow-ups"], responses=ERRORS)
_ERR = {404: {"model": ErrorOut, "description": "No such follow-up"}}


@router.get("", response_model=list[FollowUpPublic])
def awaiting(caller: CurrentCaller, db: DB) -> list[FollowUpPublic]:
    return [followups.public(f) for f in followups.list_open(db, user=caller.user)]


@router.post("/{follow_up_id}/snooze", response_model=FollowUpPublic, responses=_ERR)
def snooze(follow_up_id: uuid.UUID, body: FollowUpSnooze, caller: CurrentCaller, db: DB) -> FollowUpPublic:
    out = followups.public(followups.snooze(db, user=caller.user, follow_up_id=follow_up_id, days=body.days))
    db.commit()
    return out


@router.post("/{follow_up_id}/dismiss", response_model=FollowUpPublic, responses=_ERR)
def dismiss(follow_up_id: uuid.UUID, caller: CurrentCaller, db: DB) -> FollowUpPublic:
    out = followups.public(followups.dismiss(db, user=caller.user, follow_up_id=follow_up_id))
    db.commit()
    return out
