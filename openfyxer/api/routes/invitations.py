"""/api/v1/calendar/invitations: invitation responses. Invitations received by mail (iTIP REQUEST,
CANCEL, REPLY), answered with a REPLY through the outbox and applied to the calendar."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.calendar import EventPublic
from openfyxer.models.draft import DraftPublic
from openfyxer.models.invitation import (
    CancelOut,
    InvitationAttendee,
    InvitationRespond,
    InvitationsOut,
    InvitationTarget,
    ReplyOut,
    RespondOut,
)
from openfyxer.services.calendar import invites

router = APIRouter(prefix="/calendar/invitations", tags=["invitation responses"], responses=ERRORS)
_NOT_FOUND = {404: {"model": ErrorOut, "description": "No such email, or no invitation with that UID in it"}}
_WRITE = {**_NOT_FOUND,
          403: {"model": ErrorOut, "description": "The mail is not from the organizer (or the attendee) it speaks for"},
          409: {"model": ErrorOut, "description": "Another kind of iTIP object, an outdated one, or the event "
                                                  "changed on the calendar server meanwhile"},
          502: {"model": ErrorOut, "description": "The calendar server failed"},
          503: {"model": ErrorOut, "description": "The calendar server asks to slow down"}}


@router.get("", response_model=InvitationsOut, responses=_NOT_FOUND)
def list_invitations(caller: CurrentCaller, db: DB, email_id: uuid.UUID = Query()) -> InvitationsOut:
    """The invitations an email carries, their standing against the calendar, the user's answer and
    conflicts; calendar parts that could not be read are listed in `skipped`."""
    return invites.for_email(db, user=caller.user, email_id=email_id)


@router.post("/respond", response_model=RespondOut, responses=_WRITE)
def respond(body: InvitationRespond, caller: CurrentCaller, db: DB) -> RespondOut:
    """Accept, tentatively accept or decline: the REPLY is approved and sent once by the outbox, the
    calendar follows. Repeating the same answer sends nothing more."""
    draft, event = invites.respond(db, user=caller.user, email_id=body.email_id, uid=body.uid, answer=body.answer,
                                   calendar_id=body.calendar_id, ip=caller.ip)
    db.commit()
    return RespondOut(reply=DraftPublic.model_validate(draft), event=EventPublic.of(event) if event else None)


@router.post("/cancel", response_model=CancelOut, responses=_WRITE)
def apply_cancel(body: InvitationTarget, caller: CurrentCaller, db: DB) -> CancelOut:
    """The user confirms a cancellation: the event leaves the calendar (only the organizer's mail does this)."""
    removed = invites.apply_cancel(db, user=caller.user, email_id=body.email_id, uid=body.uid, ip=caller.ip)
    db.commit()
    return CancelOut(removed=removed)


@router.post("/reply", response_model=ReplyOut, responses=_WRITE)
def apply_reply(body: InvitationTarget, caller: CurrentCaller, db: DB) -> ReplyOut:
    """An attendee's answer to the user's invitation: their status on the user's event."""
    event, who, changed = invites.apply_reply(db, user=caller.user, email_id=body.email_id, uid=body.uid, ip=caller.ip)
    db.commit()
    return ReplyOut(event=EventPublic.of(event) if event else None, changed=changed,
                    attendee=InvitationAttendee(email=who.email, name=who.name, partstat=who.partstat, role=who.role))
