"""Browser defences on every HTTP response: Content-Security-Policy, no framing, no referrer leaks.

The dashboard renders mail that strangers wrote, so a script that slips through the sanitiser must
not run: scripts load only from this origin, and the inline scripts React Router writes into each
prerendered page are allowed by their SHA-256, read from the built pages, not by 'unsafe-inline'.

No 'unsafe-eval': Reflex runs `rx.call_script` / `rx.call_function` events with `eval`, so this app
sends none (tests/test_structure.py keeps it so); the server reaches the page through the bridge in
assets/app.js instead. Inline styles are allowed: Radix and emotion insert them at run time. Email
HTML is shown in a sandboxed iframe without scripts on top of the sanitiser (ui/pages/mail.py), so
a script in a mail has neither this page's origin nor permission to run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Where `reflex run --env prod` puts the prerendered pages (reflex_base.constants.Dirs.STATIC).
BUILD_DIR = Path(".web") / "build" / "client"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,255}$")

STATIC_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)


def _signature(build: Path) -> tuple[str, float]:
    """Changes when the pages are built again, so a rebuild under a running server is seen."""
    try:
        return str(build), build.stat().st_mtime
    except OSError:
        return str(build), 0.0


@lru_cache(maxsize=4)
def _script_hashes(signature: tuple[str, float]) -> str:
    build = Path(signature[0])
    found: set[str] = set()
    for page in build.rglob("*.html") if build.is_dir() else ():
        for body in _INLINE_SCRIPT.findall(page.read_bytes()):
            if body.strip():
                found.add("'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'")
    return " ".join(sorted(found))


def policy(host: str, build: Path = BUILD_DIR) -> str:
    # The websocket is named by host: 'self' covers ws: in current browsers, not in all.
    sockets = f" ws://{host} wss://{host}" if _HOST.match(host or "") else ""
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' {_script_hashes(_signature(build))}".rstrip(),
        "style-src 'self' 'unsafe-inline'",
        # Remote images in mail load only after the user asks for them (the sanitiser holds them back).
        "img-src 'self' data: blob: https:",
        "font-src 'self' data:",
        f"connect-src 'self'{sockets}",
        "worker-src 'self'",
        "manifest-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


class SecurityHeaders:
    """ASGI middleware: adds the headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, build: Path = BUILD_DIR) -> None:
        self.app = app
        self.build = build

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                extra = [*STATIC_HEADERS, (b"content-security-policy", policy(host, self.build).encode())]
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
