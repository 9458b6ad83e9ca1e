"""What every route shares: the unit of work, the caller, the client address, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from openfyxer.core.config import get_settings
from openfyxer.core.db import get_engine
from openfyxer.core.errors import AuthError, OpenFyxerError, PermissionDenied
from openfyxer.models.user import AuthSession, User
from openfyxer.security import client_address
from openfyxer.services import auth as auth_service

ACCESS_COOKIE = "openfyxer_access"
UI_REFRESH_COOKIE = auth_service.UI_REFRESH_COOKIE  # the dashboard's sign-in (api/routes/ui_cookie.py)
REFRESH_COOKIE = "openfyxer_refresh"
CSRF_COOKIE = "openfyxer_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db() -> Iterator[Session]:
    """A session for one request. Routes that change data call `db.commit()` themselves, so
    the response is sent only after the change is durable."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


DB = Annotated[Session, Depends(get_db)]


def client_ip(request: Request) -> str | None:
    """The peer's address, or the client's behind our trusted proxies (security/client_address)."""
    return client_address.resolve(request.client.host if request.client else None,
                                  request.headers.get("x-forwarded-for"))


def is_https(request: Request) -> bool:
    """Served over HTTPS: directly, or behind a trusted proxy that says so. Cookies are then Secure
    whatever OPENFYXER_COOKIE_SECURE says, so a TLS-terminating proxy needs no extra setting."""
    if request.url.scheme == "https" or get_settings().cookie_secure:
        return True
    return client_address.trusted(request.client.host if request.client else None) and \
        request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower() == "https"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def check_csrf(request: Request) -> None:
    """Double-submit check for cookie-authenticated requests that change state.

    A bearer token cannot be sent by another site, so only cookie auth needs it.
    """
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not secrets.compare_digest(cookie, header):
        raise PermissionDenied("missing or wrong CSRF token", code="csrf_failed")


@dataclass(frozen=True)
class Caller:
    user: User
    session: AuthSession
    ip: str | None


# Declares the scheme in the OpenAPI document; the check itself is ours (cookie or bearer).
_bearer_scheme = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


def current_caller(request: Request, db: DB,
                   _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)] = None) -> Caller:
    token = bearer_token(request)
    if token is None:
        token = request.cookies.get(ACCESS_COOKIE)
        if not token:
            raise AuthError("not signed in", code="not_authenticated")
        check_csrf(request)
    user, auth_session = auth_service.authenticate(db, token)
    return Caller(user=user, session=auth_session, ip=client_ip(request))


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def administrator(request: Request,
                  _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)] = None,
                  ) -> User | None:
    """The caller when the request carries an active administrator's bearer token, else None: for
    what anyone may ask and an administrator sees more of (/health). It never refuses: a missing,
    wrong or expired token, or a database that is down, just gets the public answer."""
    token = bearer_token(request)
    if token is None:
        return None
    try:
        with Session(get_engine(), expire_on_commit=False) as db:
            user, _ = auth_service.authenticate(db, token)
            return user if user.is_admin else None
    except (OpenFyxerError, SQLAlchemyError):
        return None


Administrator = Annotated[User | None, Depends(administrator)]
