"""/api/v1/drafts: the approval queue. Sending is the user's explicit approval."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.draft import REJECT_REASONS, DraftCreate, DraftPublic, DraftUpdate
from openfyxer.services.mail import drafts, outbox

router = APIRouter(prefix="/drafts", tags=["drafts"], responses=ERRORS)
_ERR = {404: {"model": ErrorOut, "description": "No such draft"},
        409: {"model": ErrorOut, "description": "Not allowed in the draft's state"}}
Status = Annotated[str | None, Query(pattern="^(pending|approved|sending|sent|failed|rejected)$")]
Reason = Annotated[str | None, Query(pattern="^(" + "|".join(REJECT_REASONS) + ")$",
                                     description="why the draft is thrown away, kept as feedback")]


@router.get("", response_model=list[DraftPublic])
def list_drafts(caller: CurrentCaller, db: DB, status: Status = "pending",
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[DraftPublic]:
    rows = drafts.list_drafts(db, user=caller.user, status=status, limit=limit, offset=offset)
    return [DraftPublic.model_validate(d) for d in rows]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DraftPublic, responses=_ERR)
def create(body: DraftCreate, caller: CurrentCaller, db: DB) -> DraftPublic:
    draft = drafts.create(db, user=caller.user, data=body, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(draft)


@router.get("/{draft_id}", response_model=DraftPublic, responses=_ERR)
def read(draft_id: uuid.UUID, caller: CurrentCaller, db: DB) -> DraftPublic:
    return DraftPublic.model_validate(drafts.get(db, user=caller.user, draft_id=draft_id))


@router.patch("/{draft_id}", response_model=DraftPublic, responses=_ERR)
def edit(draft_id: uuid.UUID, body: DraftUpdate, caller: CurrentCaller, db: DB) -> DraftPublic:
    draft = drafts.update(db, user=caller.user, draft_id=draft_id, data=body, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(draft)


@router.delete("/{draft_id}", response_model=DraftPublic, responses=_ERR)
def reject(draft_id: uuid.UUID, caller: CurrentCaller, db: DB, reason: Reason = None) -> DraftPublic:
    draft = drafts.reject(db, user=caller.user, draft_id=draft_id, reason=reason, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(draft)


@router.post("/{draft_id}/send", status_code=status.HTTP_202_ACCEPTED, response_model=DraftPublic, responses=_ERR)
def send(draft_id: uuid.UUID, caller: CurrentCaller, db: DB,
         resend: Annotated[bool, Query(description="send a draft whose delivery was uncertain again, knowingly")] = False
         ) -> DraftPublic:
    """Approve and queue. Repeating it never sends twice: the outbox sends each approval once. A draft
    that failed with its delivery uncertain is refused (409 delivery_uncertain) unless `resend=true`."""
    draft = outbox.approve(db, user=caller.user, draft_id=draft_id, resend=resend, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(draft)


@router.post("/{draft_id}/unsend", response_model=DraftPublic, responses=_ERR)
def unsend(draft_id: uuid.UUID, caller: CurrentCaller, db: DB) -> DraftPublic:
    """Undo send: within the hold after approval (OPENFYXER_UNDO_SEND_SECONDS) the draft goes back to
    pending and nothing is sent; after it, 409 draft_not_undoable."""
    draft = outbox.unsend(db, user=caller.user, draft_id=draft_id, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(draft)
