"""/api/v1/settings: preferences; secrets are write-only."""

from __future__ import annotations

from fastapi import APIRouter

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS
from openfyxer.models.settings import SettingsPublic, SettingsUpdate
from openfyxer.services import settings as settings_service

router = APIRouter(prefix="/settings", tags=["settings"], responses=ERRORS)


@router.get("", response_model=SettingsPublic)
def read_settings(caller: CurrentCaller, db: DB) -> SettingsPublic:
    out = settings_service.read(db, user=caller.user)
    db.commit()  # the first read creates the row
    return out


@router.patch("", response_model=SettingsPublic)
def update_settings(body: SettingsUpdate, caller: CurrentCaller, db: DB) -> SettingsPublic:
    out = settings_service.update(db, user=caller.user, data=body, ip=caller.ip)
    db.commit()
    return out
