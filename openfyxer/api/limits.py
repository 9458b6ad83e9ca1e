"""Request bodies are bounded before they are read: a 30 MB JSON body to the sign-in route used to
be read whole before it was refused.

Every HTTP request through this app (the API, and the dashboard's own backend mounted beneath
it) gets a limit by path: the upload limit for the two upload endpoints, `max_json_kb` for the
rest. A declared Content-Length over it is answered 413 at once; a body sent without one is
counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openfyxer.core.config import get_settings

# The API's document upload and Reflex's upload endpoint (the dashboard's Knowledge page).
UPLOAD_PATHS = ("/api/v1/rag/documents", "/_upload")
MULTIPART_SLACK = 64 * 1024  # form boundaries and part headers around the file itself


MEETING_PATH = "/api/v1/meetings"  # recordings: their own, larger limit


def limit_for(path: str) -> int:
    s = get_settings()
    if path.rstrip("/") == MEETING_PATH:
        return s.max_meeting_mb * 1024 * 1024 + MULTIPART_SLACK
    if path.rstrip("/") in UPLOAD_PATHS or path.startswith("/_upload/"):
        return s.max_attachment_mb * 1024 * 1024 + MULTIPART_SLACK
    return s.max_json_kb * 1024


class TooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the {limit // 1024} KB limit")


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": TooLarge(limit).detail, "code": "too_large"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True  # not a number: nothing honest sends that
            if too_big:
                await _refuse(send, limit)
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(limit)  # FastAPI answers it; anything else falls to the except below
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await _refuse(send, limit)
