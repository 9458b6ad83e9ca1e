"""/api/v1/auth: register, login, refresh, logout, 2FA."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from openfyxer.api import deps
from openfyxer.api.deps import DB, CurrentCaller, client_ip
from openfyxer.api.schemas import (ERRORS, CurrentPasswordIn, EmailChangeIn, ErrorOut, PasswordChangeIn, RecoveryCodesOut,
                                   RefreshIn, TokenOut, TotpDisableIn, TotpSetupOut, TotpStatusOut, TotpVerifyIn,
                                   TotpVerifyOut)
from openfyxer.core.config import get_settings
from openfyxer.core.errors import AuthError
from openfyxer.models.user import LoginRequest, UserCreate, UserPublic
from openfyxer.security.tokens import new_csrf_token
from openfyxer.services import auth

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERRORS)


def _token_response(request: Request, response: Response, pair: auth.TokenPair) -> TokenOut:
    """Tokens in the body for API clients, and as httpOnly cookies for the browser."""
    s = get_settings()
    csrf = new_csrf_token()
    common = {"secure": deps.is_https(request), "samesite": "strict"}  # Secure whenever served over HTTPS
    response.set_cookie(deps.ACCESS_COOKIE, pair.access_token, max_age=pair.expires_in, httponly=True, path="/", **common)
    response.set_cookie(deps.REFRESH_COOKIE, pair.refresh_token, max_age=s.refresh_token_days * 86400,
                        httponly=True, path="/api/v1/auth", **common)
    response.set_cookie(deps.CSRF_COOKIE, csrf, max_age=s.refresh_token_days * 86400, httponly=False, path="/", **common)
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                    expires_in=pair.expires_in, csrf_token=csrf)


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic,
             responses={403: {"model": ErrorOut, "description": "Registration closed, or no valid invitation"},
                        409: {"model": ErrorOut, "description": "Email already registered"}})
def register(body: UserCreate, request: Request, db: DB) -> UserPublic:
    user = auth.register(db, email=body.email, password=body.password, language=body.language,
                         timezone=body.timezone, ip=client_ip(request), invitation=body.invitation)
    db.commit()
    return UserPublic.model_validate(user)


@router.post("/login", response_model=TokenOut)
def login(body: LoginRequest, request: Request, response: Response, db: DB) -> TokenOut:
    pair = auth.login(db, email=body.email, password=body.password, totp_code=body.totp_code,
                      recovery_code=body.recovery_code, ip=client_ip(request),
                      user_agent=request.headers.get("user-agent"))
    db.commit()
    return _token_response(request, response, pair)


@router.post("/refresh", response_model=TokenOut)
def refresh(request: Request, response: Response, db: DB, body: RefreshIn | None = None) -> TokenOut:
    token = body.refresh_token if body and body.refresh_token else None
    if token is None:
        token = request.cookies.get(deps.REFRESH_COOKIE)
        if not token:
            raise AuthError("no refresh token", code="not_authenticated")
        deps.check_csrf(request)
    pair = auth.refresh(db, refresh_token=token, ip=client_ip(request))
    db.commit()
    return _token_response(request, response, pair)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(caller: CurrentCaller, response: Response, db: DB) -> Response:
    auth.logout(db, user_id=caller.user.id, session_id=caller.session.id, ip=caller.ip)
    db.commit()
    return _forget_cookies(Response(status_code=status.HTTP_204_NO_CONTENT))


def _forget_cookies(response: Response) -> Response:
    for name, path in ((deps.ACCESS_COOKIE, "/"), (deps.REFRESH_COOKIE, "/api/v1/auth"), (deps.CSRF_COOKIE, "/")):
        response.delete_cookie(name, path=path)
    return response


@router.post("/logout-everywhere", status_code=status.HTTP_204_NO_CONTENT)
def logout_everywhere(caller: CurrentCaller, db: DB) -> Response:
    """End every sign-in of this account, this one included (a lost phone, a shared computer)."""
    auth.logout_everywhere(db, user_id=caller.user.id, ip=caller.ip)
    db.commit()
    return _forget_cookies(Response(status_code=status.HTTP_204_NO_CONTENT))


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT,
             responses={403: {"model": ErrorOut, "description": "The current password is not right"}})
def change_password(body: PasswordChangeIn, caller: CurrentCaller, db: DB) -> Response:
    """A new password, given the current one; every other sign-in of the account ends."""
    auth.change_password(db, user=caller.user, current=body.current_password, new=body.new_password,
                         keep_session=caller.session.id, ip=caller.ip)
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


WRONG_PASSWORD = {403: {"model": ErrorOut, "description": "The current password is not right"}}


@router.get("/2fa", response_model=TotpStatusOut)
def totp_status(caller: CurrentCaller, db: DB) -> TotpStatusOut:
    """Whether 2FA is on, and how many recovery codes are still unused."""
    return TotpStatusOut(totp_enabled=caller.user.totp_enabled,
                         recovery_codes_left=auth.recovery_codes_left(db, user=caller.user))


@router.post("/email", response_model=UserPublic,
             responses={403: {"model": ErrorOut, "description": "The current password is not right"},
                        409: {"model": ErrorOut, "description": "Another account uses that address"}})
def change_email(body: EmailChangeIn, caller: CurrentCaller, db: DB) -> UserPublic:
    """A new sign-in address, given the current password; every other sign-in of the account ends."""
    user = auth.change_email(db, user=caller.user, current=body.current_password, email=str(body.email),
                             keep_session=caller.session.id, ip=caller.ip)
    db.commit()
    return UserPublic.model_validate(user)


@router.post("/2fa/setup", response_model=TotpSetupOut,
             responses={**WRONG_PASSWORD, 409: {"model": ErrorOut, "description": "2FA already enabled"}})
def totp_setup(body: CurrentPasswordIn, caller: CurrentCaller, db: DB) -> TotpSetupOut:
    setup = auth.totp_setup(db, user=caller.user, current_password=body.current_password, ip=caller.ip)
    db.commit()
    return TotpSetupOut(secret=setup.secret, provisioning_uri=setup.provisioning_uri, qr_svg=setup.qr_svg)


@router.post("/2fa/verify", response_model=TotpVerifyOut,
             responses={409: {"model": ErrorOut, "description": "2FA was not set up, or is already enabled"}})
def totp_verify(body: TotpVerifyIn, caller: CurrentCaller, db: DB) -> TotpVerifyOut:
    """Turn 2FA on with a first code from the app; the answer carries the recovery codes, shown this once."""
    codes = auth.totp_verify(db, user=caller.user, code=body.code, ip=caller.ip)
    db.commit()
    return TotpVerifyOut(totp_enabled=True, recovery_codes=codes)


@router.post("/2fa/recovery-codes", response_model=RecoveryCodesOut,
             responses={**WRONG_PASSWORD, 409: {"model": ErrorOut, "description": "2FA is not enabled"}})
def new_recovery_codes(body: CurrentPasswordIn, caller: CurrentCaller, db: DB) -> RecoveryCodesOut:
    """A fresh set of recovery codes, shown this once; the earlier ones stop working."""
    codes = auth.new_recovery_codes(db, user=caller.user, current_password=body.current_password, ip=caller.ip)
    db.commit()
    return RecoveryCodesOut(recovery_codes=codes)


@router.post("/2fa/disable", response_model=TotpStatusOut,
             responses={**WRONG_PASSWORD, 409: {"model": ErrorOut, "description": "2FA is not enabled"}})
def totp_disable(body: TotpDisableIn, caller: CurrentCaller, db: DB) -> TotpStatusOut:
    """Turn 2FA off, given the current password and a code from the app or a recovery code."""
    auth.totp_disable(db, user=caller.user, current_password=body.current_password, code=body.code, ip=caller.ip)
    db.commit()
    return TotpStatusOut(totp_enabled=False, recovery_codes_left=0)
