"""The dashboard's upload endpoint (Reflex's /_upload) answers only a browser that is signed in.

Reflex reads the whole multipart body before the handler it names can look at the tab's sign-in,
so anyone who reached the port could make the server take an upload. The dashboard's sign-in
cookie (HttpOnly, set by api/routes/ui_cookie.py) goes with the browser's upload request and is
checked here first, without being spent; the handler still checks the tab's own sign-in.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from openfyxer.core.db import session_scope
from openfyxer.services import auth


def _signed_in(token: str) -> bool:
    with session_scope() as db:
        return auth.user_of_refresh(db, token) is not None


class UploadGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if (path.rstrip("/") == "/_upload" or path.startswith("/_upload/")) and scope.get("method") != "OPTIONS":
            token = auth.ui_refresh_token(dict(scope.get("headers") or []).get(b"cookie", b"").decode("latin-1"))
            # A database lookup: off the event loop, like every other blocking call here.
            if not token or not await run_in_threadpool(_signed_in, token):
                body = json.dumps({"detail": "sign in to upload", "code": "not_authenticated"}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
