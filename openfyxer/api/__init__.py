"""The REST API (/api/v1) and health endpoints, as one FastAPI app.

Reflex mounts its own backend beneath it (`api_transformer`), so in production one port
serves the dashboard, its websocket and this API.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from openfyxer.api import deps
from openfyxer.api.limits import BodyLimit
from openfyxer.api.routes import (accounts, admin, audit, auth, calendar, chat, drafts, emails, health, invitations,
                                    followups, model, notifications, rag, settings, ui_cookie, users)
from openfyxer.api.routes import email_actions, meeting_audio, meeting_speakers, meetings
from openfyxer.core.config import get_settings
from openfyxer.core.errors import OpenFyxerError, Throttled
from openfyxer.security import ratelimit, tokens

API_PREFIX = "/api/v1"


# Routes for people not signed in: counted per client address even when a token is attached, or a
# valid token of one's own would lift the limit on guessing someone else's password.
ANONYMOUS = tuple(f"{API_PREFIX}/auth/{name}" for name in ("login", "register", "refresh"))


def _rate_key(request: Request) -> str:
    """Per user when the request carries a valid access token, else per client address."""
    if request.url.path.rstrip("/") in ANONYMOUS:
        return ratelimit.address_key(deps.client_ip(request))
    token = deps.bearer_token(request) or request.cookies.get(deps.ACCESS_COOKIE)
    if token:
        try:
            return f"user:{tokens.decode(token, tokens.ACCESS).user_id}"
        except OpenFyxerError:
            pass
    return ratelimit.address_key(deps.client_ip(request))


def api_not_found_guard(fallback: ASGIApp) -> ASGIApp:
    """Answer unknown /api paths with a JSON 404 instead of handing them to the dashboard."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX + "/"):
            body = {"detail": "no such endpoint", "code": "not_found"}
            await JSONResponse(body, status_code=404)(scope, receive, send)
            return
        await fallback(scope, receive, send)

    return app


def create_api() -> FastAPI:
    s = get_settings()
    api = FastAPI(
        title="OpenFyxer API",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    for r in (auth.router, users.router, settings.router, audit.router, accounts.router, email_actions.router, emails.router,
              drafts.router, rag.router, chat.router, model.router, admin.router, ui_cookie.router, calendar.router,
              invitations.router, notifications.router, followups.router, meetings.router,
              meeting_audio.router, meeting_speakers.router):
        api.include_router(r, prefix=API_PREFIX)
    api.include_router(health.router)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Same shape as every other error, so clients parse one format.
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                413: "too_large"}.get(exc.status_code, "http_error")
        return JSONResponse({"detail": str(exc.detail), "code": code}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @api.exception_handler(OpenFyxerError)
    async def _domain_error(_request: Request, exc: OpenFyxerError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, Throttled):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status, headers=headers)

    @api.middleware("http")
    async def _rate_limit(request: Request, call_next):  # noqa: ANN001, ANN202
        if not request.url.path.startswith(API_PREFIX) or request.method == "OPTIONS":
            return await call_next(request)
        # Redis is network I/O: keep it off the event loop that also serves the websocket.
        decision = await run_in_threadpool(ratelimit.hit, _rate_key(request))
        if not decision.allowed:
            return JSONResponse(
                {"detail": "too many requests", "code": "rate_limited"},
                status_code=429,
                headers={"Retry-After": str(decision.retry_after)},
            )
        response = await call_next(request)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
        return response

    @api.middleware("http")
    async def _security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        if request.url.path.startswith(API_PREFIX) or request.url.path.startswith("/health"):
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    api.add_middleware(BodyLimit)  # added before CORS: runs inside it, so a 413 still carries CORS headers
    api.add_middleware(
        CORSMiddleware,
        allow_origins=s.origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type", deps.CSRF_HEADER],
    )
    return api
