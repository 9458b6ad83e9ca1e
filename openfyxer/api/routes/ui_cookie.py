"""/api/v1/auth/ui-cookie: the dashboard's refresh token, set and cleared by the server, HttpOnly.

The dashboard signs in over its websocket, which cannot set a cookie; script could, but then script
(and Reflex's saved state) would hold the token. Instead the socket gives the browser a one-time
code (services.auth.handoff) that the page trades here for the cookie. The dashboard's state reads
the cookie from the websocket's own request headers when a tab opens.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from openfyxer.api import deps
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.core.config import get_settings
from openfyxer.core.errors import AuthError, PermissionDenied
from openfyxer.services import auth

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERRORS)


class HandoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=16, max_length=128)


def _same_origin(request: Request) -> None:
    """Only the dashboard's own pages set or clear its cookie (a fetch sends Origin on POST/DELETE)."""
    origin = (request.headers.get("origin") or "").rstrip("/")
    if origin and urlsplit(origin).netloc != request.headers.get("host", "") and origin not in get_settings().origins:
        raise PermissionDenied("not from the dashboard", code="origin_refused")


@router.post("/ui-cookie", status_code=status.HTTP_204_NO_CONTENT,
             responses={401: {"model": ErrorOut, "description": "Unknown, used or expired code"}})
def set_ui_cookie(body: HandoffIn, request: Request) -> Response:
    _same_origin(request)
    token = auth.claim_handoff(body.code)
    if token is None:
        raise AuthError("unknown, used or expired sign-in code", code="handoff_invalid")
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(deps.UI_REFRESH_COOKIE, token, max_age=get_settings().refresh_token_days * 86400,
                        httponly=True, secure=deps.is_https(request), samesite="strict", path="/")
    return response


@router.delete("/ui-cookie", status_code=status.HTTP_204_NO_CONTENT)
def clear_ui_cookie(request: Request) -> Response:
    """Sign-out's last step in the browser; the sign-in itself was already revoked over the socket."""
    _same_origin(request)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(deps.UI_REFRESH_COOKIE, path="/", httponly=True, secure=deps.is_https(request),
                           samesite="strict")
    return response
