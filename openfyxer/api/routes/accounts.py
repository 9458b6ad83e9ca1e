"""/api/v1/accounts: connect, list, remove, sync; OAuth for Gmail, Outlook and custom providers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse

from openfyxer.api.deps import DB, CurrentCaller, client_ip
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.account import AccountCreate, AccountPublic, SyncProgress
from openfyxer.models.oauth import OAuthStart, OAuthStartOut
from openfyxer.services.mail import accounts, oauth

router = APIRouter(prefix="/accounts", tags=["accounts"], responses=ERRORS)
_CONNECT_ERRORS = {400: {"model": ErrorOut, "description": "Wrong credentials or unreachable server"},
                   409: {"model": ErrorOut, "description": "Already connected"}}
_NOT_FOUND = {404: {"model": ErrorOut, "description": "No such account"}}


def _progress(a, job_id: str | None = None) -> SyncProgress:  # noqa: ANN001
    return SyncProgress(account_id=a.id, state=a.sync_state, done=a.sync_done, total=a.sync_total,
                        error=a.sync_error, last_sync=a.last_sync, job_id=job_id)


@router.get("", response_model=list[AccountPublic])
def list_accounts(caller: CurrentCaller, db: DB) -> list[AccountPublic]:
    return [AccountPublic.model_validate(a) for a in accounts.list_accounts(db, user=caller.user)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AccountPublic, responses=_CONNECT_ERRORS)
def connect(body: AccountCreate, caller: CurrentCaller, db: DB) -> AccountPublic:
    account = accounts.connect_account(db, user=caller.user, data=body, ip=caller.ip)
    db.commit()
    return AccountPublic.model_validate(account)


@router.delete("/{account_id}", response_model=dict[str, int], responses=_NOT_FOUND)
def remove(account_id: uuid.UUID, caller: CurrentCaller, db: DB) -> dict[str, int]:
    counts = accounts.remove_account(db, user=caller.user, account_id=account_id, ip=caller.ip)
    db.commit()
    return counts


@router.post("/{account_id}/sync", status_code=status.HTTP_202_ACCEPTED, response_model=SyncProgress,
             responses=_NOT_FOUND)
def start_sync(account_id: uuid.UUID, caller: CurrentCaller, db: DB) -> SyncProgress:
    account, job_id = accounts.request_sync(db, user=caller.user, account_id=account_id)
    db.commit()
    return _progress(account, job_id)


@router.get("/{account_id}/sync", response_model=SyncProgress, responses=_NOT_FOUND)
def sync_progress(account_id: uuid.UUID, caller: CurrentCaller, db: DB) -> SyncProgress:
    return _progress(accounts.get_account(db, user=caller.user, account_id=account_id))


@router.post("/oauth/{provider}/start", response_model=OAuthStartOut,
             responses={404: {"model": ErrorOut, "description": "Unknown provider"}})
def oauth_start(provider: str, body: OAuthStart, caller: CurrentCaller, db: DB) -> OAuthStartOut:
    url, state = oauth.start(db, user=caller.user, provider=provider, data=body)
    db.commit()
    return OAuthStartOut(authorization_url=url, state=state)


@router.get("/oauth/{provider}/callback", status_code=status.HTTP_303_SEE_OTHER, response_class=RedirectResponse,
            responses={303: {"description": "Back to the dashboard"}, 400: {"model": ErrorOut}})
def oauth_callback(provider: str, request: Request, db: DB, state: str = "", code: str = "",
                   error: str = "") -> RedirectResponse:
    """The provider sends the browser here; the state ties it to the user who started the flow."""
    if error or not code or not state:
        return RedirectResponse(f"/settings?oauth_error={error or 'missing_code'}", status_code=303)
    account = oauth.finish(db, provider=provider, state=state, code=code, ip=client_ip(request))
    db.commit()
    return RedirectResponse(f"/settings?connected={account.id}", status_code=303)
