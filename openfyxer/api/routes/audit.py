"""/api/v1/audit: the caller's own audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS
from openfyxer.models.audit import AuditPage, AuditPublic
from openfyxer.services import audit

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERRORS)


@router.get("", response_model=AuditPage)
def list_audit(caller: CurrentCaller, db: DB,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> AuditPage:
    rows, total = audit.list_for_user(db, user_id=caller.user.id, limit=limit, offset=offset)
    return AuditPage(items=[AuditPublic.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)
