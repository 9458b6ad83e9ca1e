"""/api/v1/accounts: connect, list, remove, sync; OAuth for Gmail, Outlook and custom providers."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse

from openfyxer.api import deps
from openfyxer.api.deps import DB, CurrentCaller, client_ip
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.core.errors import OpenFyxerError
from openfyxer.models.account import AccountCreate, AccountPublic, SyncProgress
from openfyxer.models.oauth import OAuthStart, OAuthStartOut
from openfyxer.services import auth
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


def _nonce_cookie_attributes(request: Request) -> dict:
    # Lax, not Strict: the callback is a top-level navigation arriving from the provider's site, and
    # a Strict cookie is not sent with it. HttpOnly: no page script ever needs to read it.
    return {"httponly": True, "samesite": "lax", "secure": deps.is_https(request)}


@router.post("/oauth/{provider}/start", response_model=OAuthStartOut,
             responses={404: {"model": ErrorOut, "description": "Unknown provider"}})
def oauth_start(provider: str, body: OAuthStart, request: Request, response: Response, caller: CurrentCaller,
                db: DB) -> OAuthStartOut:
    """The response sets the flow's nonce cookie: the callback is accepted only from the browser
    holding it, so send this same browser to authorization_url."""
    started = oauth.start(db, user=caller.user, provider=provider, data=body)
    db.commit()
    c = started.cookie
    response.set_cookie(c.name, c.value, max_age=c.max_age, path=c.path, **_nonce_cookie_attributes(request))
    return OAuthStartOut(authorization_url=started.url, state=started.state)


@router.get("/oauth/{provider}/begin", status_code=status.HTTP_303_SEE_OTHER, response_class=RedirectResponse,
            responses={303: {"description": "On to the provider, or back to the dashboard"},
                       404: {"model": ErrorOut, "description": "Unknown provider"}})
def oauth_begin(provider: str, request: Request, db: DB, ticket: str = "") -> Response:
    """The dashboard's way into a flow it started: sets the nonce cookie, HttpOnly, for a browser
    signed in to the dashboard as the flow's user (the ticket alone, forwarded, is not enough)."""
    oauth.known(provider)
    token = request.cookies.get(deps.UI_REFRESH_COOKIE, "")
    user = auth.user_of_refresh(db, token) if token else None
    started = oauth.claim_ticket(ticket, user_id=user.id if user else None)
    if started is None:
        return RedirectResponse("/settings?oauth_error=oauth_browser_mismatch", status_code=303)
    response = RedirectResponse(started.url, status_code=303)
    c = started.cookie
    response.set_cookie(c.name, c.value, max_age=c.max_age, path=c.path, **_nonce_cookie_attributes(request))
    return response


@router.get("/oauth/{provider}/callback", status_code=status.HTTP_303_SEE_OTHER, response_class=RedirectResponse,
            responses={303: {"description": "Back to the dashboard"}, 400: {"model": ErrorOut},
                       404: {"model": ErrorOut, "description": "Unknown provider"}})
def oauth_callback(provider: str, request: Request, db: DB, state: str = "", code: str = "",
                   error: str = "") -> Response:
    """The provider sends the browser here; the state finds the flow, the nonce cookie proves this is
    the browser that started it. The cookie is cleared whatever the outcome."""
    oauth.known(provider)
    if error or not code or not state:
        # The provider's word, kept to what an OAuth error code can be (RFC 6749: printable ASCII).
        reason = "".join(c for c in error if c.isascii() and (c.isalnum() or c in "_-."))[:60] or "missing_code"
        response: Response = RedirectResponse(f"/settings?{urlencode({'oauth_error': reason})}", status_code=303)
    else:
        response = _finish(provider, request, db, state=state, code=code)
    if state:
        response.delete_cookie(oauth.cookie_name(state), path=oauth.cookie_path(provider),
                               **_nonce_cookie_attributes(request))
    return response


def _finish(provider: str, request: Request, db: DB, *, state: str, code: str) -> Response:
    try:
        account = oauth.finish(db, provider=provider, state=state, code=code, ip=client_ip(request),
                               browser_nonce=request.cookies.get(oauth.cookie_name(state)))
    except oauth.OAuthRefused as e:
        db.commit()  # the flow is used up and the refusal audited; nothing else changed
        query = urlencode({"oauth_error": e.code, **e.shown})
        return RedirectResponse(f"/settings?{query}", status_code=303)
    except OpenFyxerError as e:  # answered as the API's error handler would, with the cookie cleared
        return JSONResponse(ErrorOut(detail=e.message, code=e.code).model_dump(), status_code=e.status)
    db.commit()
    return RedirectResponse(f"/settings?connected={account.id}", status_code=303)
