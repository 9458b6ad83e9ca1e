"""/api/v1/admin: what only an administrator may do; today, the invitations that let people register."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.user import InvitationCreate, InvitationCreated, InvitationPublic
from openfyxer.services import invitations

# A 403 also answers anyone who is not an administrator.
router = APIRouter(prefix="/admin", tags=["admin"], responses=ERRORS)


@router.post("/invitations", status_code=status.HTTP_201_CREATED, response_model=InvitationCreated)
def create_invitation(caller: CurrentCaller, db: DB, body: InvitationCreate | None = None) -> InvitationCreated:
    body = body or InvitationCreate()
    invitation, token = invitations.create(db, caller.user, email=body.email, days=body.days, ip=caller.ip)
    db.commit()
    return InvitationCreated(id=invitation.id, token=token, email=invitation.email, expires_at=invitation.expires_at)


@router.get("/invitations", response_model=list[InvitationPublic])
def list_invitations(caller: CurrentCaller, db: DB) -> list[InvitationPublic]:
    return [InvitationPublic.model_validate(i) for i in invitations.list_all(db, caller.user)]


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"model": ErrorOut, "description": "No such invitation"},
                          409: {"model": ErrorOut, "description": "The invitation was already used"}})
def revoke_invitation(invitation_id: uuid.UUID, caller: CurrentCaller, db: DB) -> Response:
    invitations.revoke(db, caller.user, invitation_id, ip=caller.ip)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
