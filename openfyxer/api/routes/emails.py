"""/api/v1/emails: the sorted inbox, one message with its thread, corrections, reply drafts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.draft import DraftPublic
from openfyxer.models.email_api import Category, EmailDetail, EmailPage, EmailSummary, EmailUpdate
from openfyxer.services.assistant import drafting
from openfyxer.services.mail import emails

router = APIRouter(prefix="/emails", tags=["emails"], responses=ERRORS)
_404 = {404: {"model": ErrorOut, "description": "No such email"}}


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instructions: str | None = Field(None, max_length=500, description='e.g. "decline politely"')
    choice: str | None = Field(None, max_length=200, description="one of the draft's `choices`: the user's answer "
                                                                  "to what the email asks them to decide")


@router.get("", response_model=EmailPage)
def list_emails(caller: CurrentCaller, db: DB, category: Category | None = None, account_id: uuid.UUID | None = None,
                is_read: bool | None = None, thread_id: Annotated[str | None, Query(max_length=998)] = None,
                q: Annotated[str | None, Query(max_length=200)] = None,
                folder: Annotated[str | None, Query(pattern="^(inbox|sent|archive|junk|trash|snoozed|all)$")] = "inbox",
                starred: bool | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> EmailPage:
    items, total = emails.list_emails(db, user=caller.user, category=category, account_id=account_id, is_read=is_read,
                                      thread_id=thread_id, q=q, folder=None if folder == "all" else folder,
                                      limit=limit, offset=offset, starred=starred)
    return EmailPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{email_id}", response_model=EmailDetail, responses=_404)
def read(email_id: uuid.UUID, caller: CurrentCaller, db: DB, images: bool = False) -> EmailDetail:
    """The sanitised message; remote images stay blocked unless `images=true`."""
    return emails.get_email(db, user=caller.user, email_id=email_id, allow_images=images)


@router.patch("/{email_id}", response_model=EmailSummary, responses=_404)
def update(email_id: uuid.UUID, body: EmailUpdate, caller: CurrentCaller, db: DB) -> EmailSummary:
    email = emails.update_email(db, user=caller.user, email_id=email_id, data=body, ip=caller.ip)
    db.commit()
    return emails.get_email(db, user=caller.user, email_id=email.id)


@router.post("/{email_id}/draft", status_code=status.HTTP_201_CREATED, response_model=DraftPublic, responses=_404)
def draft(email_id: uuid.UUID, caller: CurrentCaller, db: DB, body: DraftRequest | None = None) -> DraftPublic:
    """Write a reply draft now (it waits for the user's approval like every draft)."""
    d = drafting.generate(db, user=caller.user, email_id=email_id, instructions=body.instructions if body else None,
                          choice=body.choice if body else None, ip=caller.ip)
    db.commit()
    return DraftPublic.model_validate(d)
