"""/api/v1/emails/actions, /emails/undo and /emails/{id}/forward: archive, delete, done, star, snooze (one or
many, undoable), and passing a message on."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.draft import DraftPublic
from openfyxer.models.email_api import EmailAction, EmailActionDone, EmailSummary, UndoRequest
from openfyxer.services.mail import emails, forward, inbox, unsubscribe

router = APIRouter(prefix="/emails", tags=["emails"], responses=ERRORS)
_404 = {404: {"model": ErrorOut, "description": "No such email, or nothing left to undo"}}


@router.post("/actions", response_model=EmailActionDone, responses=_404)
def act(body: EmailAction, caller: CurrentCaller, db: DB) -> EmailActionDone:
    """Shown at once; the mail server is told by a job, so other mail clients see the same."""
    changed, token = inbox.act(db, user=caller.user, email_ids=body.email_ids, action=body.action, until=body.until,
                               ip=caller.ip)
    db.commit()
    return EmailActionDone(items=[emails.summary(e) for e in changed], undo_token=token)


@router.post("/undo", response_model=list[EmailSummary], responses=_404)
def undo(body: UndoRequest, caller: CurrentCaller, db: DB) -> list[EmailSummary]:
    """Put the messages of an action back as they were (once, within a minute of it)."""
    restored = inbox.undo(db, user=caller.user, token=body.undo_token, ip=caller.ip)
    db.commit()
    return [emails.summary(e) for e in restored]


@router.post("/{email_id}/forward", status_code=201, response_model=DraftPublic, responses=_404)
def forward_email(email_id: uuid.UUID, caller: CurrentCaller, db: DB) -> DraftPublic:
    """A pending draft forwarding the message with its attachments; name its recipients (PATCH the draft),
    then send it like any draft."""
    draft = forward.forward(db, user=caller.user, email_id=email_id, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(draft)


class Unsubscribed(BaseModel):
    how: str = Field(description="one_click (RFC 8058 POST done), mailto (a message sent through the outbox) "
                                 "or web (a page for the user to open: `detail`)")
    detail: str


@router.post("/{email_id}/unsubscribe", response_model=Unsubscribed,
             responses={**_404, 409: {"model": ErrorOut, "description": "No way to unsubscribe, or refused"}})
def unsubscribe_list(email_id: uuid.UUID, caller: CurrentCaller, db: DB) -> Unsubscribed:
    """Leave the mailing list this message came from, the way its List-Unsubscribe header offers."""
    done = unsubscribe.unsubscribe(db, user=caller.user, email_id=email_id, ip=caller.ip)
    db.commit()
    return Unsubscribed(how=done.how, detail=done.detail)
