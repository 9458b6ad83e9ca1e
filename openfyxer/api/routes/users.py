"""/api/v1/users: the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter

from openfyxer.api.deps import CurrentCaller
from openfyxer.api.schemas import ERRORS
from openfyxer.models.user import UserPublic

router = APIRouter(prefix="/users", tags=["users"], responses=ERRORS)


@router.get("/me", response_model=UserPublic)
def me(caller: CurrentCaller) -> UserPublic:
    return UserPublic.model_validate(caller.user)
