"""The dashboard's browser defences, below the browser: the security headers and their script
hashes, the sign-in cookie handed over by one-time code, the upload endpoint's sign-in check.
(tests/test_app_prod.py drives the same in Chromium, under the policy.)"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os

from openfyxer.api.headers import SecurityHeaders, policy
from openfyxer.api.upload_guard import UploadGuard
from openfyxer.core.db import session_scope
from openfyxer.services import auth
from tests.helpers import PASSWORD, signed_up


def _sha(body: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"


def _call(app, path: str, headers: list[tuple[bytes, bytes]] | None = None, method: str = "GET") -> dict:  # noqa: ANN001
    """Run one request through an ASGI app; returns the response start message and what reached the app."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers or [(b"host", b"127.0.0.1:3000")]}
    asyncio.run(app(scope, receive, send))
    return sent[0]


def test_the_policy_allows_the_built_pages_inline_scripts_by_hash_and_nothing_else(tmp_path):
    """GIVEN a build with two pages holding inline scripts THEN the policy names each by its hash, allows
    no inline script otherwise and no eval, forbids framing; a rebuild is seen without a restart."""
    (tmp_path / "a.html").write_bytes(b"<html><script>window.a=1</script><script src='/x.js'></script></html>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_bytes(b'<script type="module">import "/m.js";</script>')
    csp = policy("127.0.0.1:3000", tmp_path)
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert _sha(b"window.a=1") in script_src and _sha(b'import "/m.js";') in script_src
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp and "connect-src 'self' ws://127.0.0.1:3000 wss://127.0.0.1:3000" in csp
    (tmp_path / "a.html").write_bytes(b"<script>window.a=2</script>")
    os.utime(tmp_path, (1, 1))  # a new build stamps the folder anew
    assert _sha(b"window.a=2") in policy("127.0.0.1:3000", tmp_path)
    assert "ws://" not in policy("evil\r\nx: y", tmp_path)  # a host header that is no host names no socket


def test_every_response_gets_the_headers_and_a_route_may_set_its_own(tmp_path):
    async def plain(scope, receive, send):  # noqa: ANN001, ANN202
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-frame-options", b"SAMEORIGIN")]})
        await send({"type": "http.response.body", "body": b"ok"})

    start = _call(SecurityHeaders(plain, tmp_path), "/inbox")
    headers = dict(start["headers"])
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"  # the route's own word stands
    assert headers[b"referrer-policy"] == b"no-referrer" and headers[b"x-content-type-options"] == b"nosniff"
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]


def test_the_sign_in_cookie_is_set_by_the_server_once_per_code(client):
    """GIVEN a hand-over code for a sign-in WHEN the page trades it THEN the answer sets the refresh token as
    an HttpOnly, SameSite=Strict cookie; the same code again, a made-up one, or one from another site's page
    is refused; DELETE clears the cookie."""
    signed_up(client)
    with session_scope() as db:
        pair = auth.login(db, email="ana@example.com", password=PASSWORD)
    code = auth.handoff(pair)
    assert pair.refresh_token not in code
    r = client.post("/api/v1/auth/ui-cookie", json={"code": code})
    assert r.status_code == 204
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"openfyxer_ui_refresh={pair.refresh_token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    client.cookies.clear()
    again = client.post("/api/v1/auth/ui-cookie", json={"code": code})
    assert again.status_code == 401 and again.json()["code"] == "handoff_invalid"
    assert client.post("/api/v1/auth/ui-cookie", json={"code": "x" * 43}).status_code == 401
    foreign = client.post("/api/v1/auth/ui-cookie", json={"code": auth.handoff(pair)},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    gone = client.delete("/api/v1/auth/ui-cookie")
    assert gone.status_code == 204 and 'openfyxer_ui_refresh=""' in gone.headers["set-cookie"]


def test_cookies_are_secure_over_https_or_behind_a_trusted_proxy_that_says_so(monkeypatch):
    from starlette.requests import Request

    from openfyxer.api.deps import is_https
    from tests.conftest import apply_env

    def request(scheme: str, peer: str, proto: str | None = None) -> Request:
        headers = [(b"x-forwarded-proto", proto.encode())] if proto else []
        return Request({"type": "http", "scheme": scheme, "method": "GET", "path": "/", "headers": headers,
                        "client": (peer, 5000), "server": ("127.0.0.1", 3000)})

    assert is_https(request("https", "203.0.113.9"))
    assert not is_https(request("http", "127.0.0.1", "https"))  # nobody's proxy: its word is not taken
    apply_env(monkeypatch, trusted_proxies="127.0.0.1/32")
    assert is_https(request("http", "127.0.0.1", "https"))
    assert not is_https(request("http", "198.51.100.7", "https"))


def test_the_upload_endpoint_needs_a_live_sign_in_before_anything_is_read(client):
    """GIVEN Reflex's upload path WHEN a request has no sign-in cookie, a made-up one, or one of a signed-out
    session THEN 401 and the app behind never sees it; with a live one it goes through, unspent."""
    reached: list[str] = []

    async def reflex_upload(scope, receive, send):  # noqa: ANN001, ANN202
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = UploadGuard(reflex_upload)
    signed_up(client)
    with session_scope() as db:
        pair = auth.login(db, email="ana@example.com", password=PASSWORD)

    def cookie(value: str) -> list[tuple[bytes, bytes]]:
        return [(b"host", b"127.0.0.1"), (b"cookie", f"other=1; openfyxer_ui_refresh={value}".encode())]

    assert _call(guard, "/_upload", method="POST")["status"] == 401
    assert _call(guard, "/_upload", cookie("made-up"), method="POST")["status"] == 401
    assert not reached
    assert _call(guard, "/_upload", cookie(pair.refresh_token), method="POST")["status"] == 200
    assert _call(guard, "/_upload", cookie(pair.refresh_token), method="POST")["status"] == 200  # not spent
    assert _call(guard, "/inbox")["status"] == 200  # other paths pass untouched
    with session_scope() as db:
        auth.logout(db, user_id=pair.user_id, session_id=pair.session_id)
    assert _call(guard, "/_upload", cookie(pair.refresh_token), method="POST")["status"] == 401
    assert reached == ["/_upload", "/_upload", "/inbox"]


def test_the_apis_sign_in_cookies_are_secure_over_https(client):
    """GIVEN the API reached over HTTPS (OPENFYXER_COOKIE_SECURE not set) THEN the session cookies it sets are
    Secure; over plain HTTP on 127.0.0.1 they are not (a browser would drop them)."""
    signed_up(client)
    body = {"email": "ana@example.com", "password": PASSWORD}
    over_tls = client.post("https://127.0.0.1:3000/api/v1/auth/login", json=body)
    assert over_tls.status_code == 200
    assert all("Secure" in c for c in over_tls.headers.get_list("set-cookie"))
    plain = client.post("/api/v1/auth/login", json=body)
    assert not any("Secure" in c for c in plain.headers.get_list("set-cookie"))
