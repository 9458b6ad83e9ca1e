"""Small helpers for API tests."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

PASSWORD = "correct horse battery staple"


def register(client, email: str = "ana@example.com", password: str = PASSWORD) -> dict:
    r = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    return r.json()


def login(client, email: str = "ana@example.com", password: str = PASSWORD, **extra) -> dict:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def signed_up(client, email: str = "ana@example.com") -> dict:
    """Register and sign in; returns the token response. Cookies are dropped: callers use bearer tokens."""
    register(client, email)
    client.cookies.clear()
    tokens = login(client, email)
    client.cookies.clear()
    return tokens


def enable_2fa(client, tokens: dict) -> tuple[str, int, list[str]]:  # noqa: ANN001
    """Set up and confirm 2FA for the signed-in user: (TOTP secret, time step of the code spent on
    confirming, the recovery codes shown)."""
    import time

    import pyotp

    setup = client.post("/api/v1/auth/2fa/setup", json={"current_password": PASSWORD}, headers=bearer(tokens))
    assert setup.status_code == 200, setup.text
    secret, now = setup.json()["secret"], time.time()
    r = client.post("/api/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).at(now)}, headers=bearer(tokens))
    assert r.status_code == 200 and r.json()["totp_enabled"] is True, r.text
    return secret, int(now // 30), r.json()["recovery_codes"]


@contextmanager
def held_jobs() -> Iterator[list]:
    """Within: jobs declared by services are collected in the yielded list instead of queued."""
    import openfyxer.jobs  # noqa: F401  (the sender this replaces is installed on import)
    from openfyxer.core import later

    held: list = []
    previous = later.install(held.extend)
    try:
        yield held
    finally:
        later.install(previous)


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF of these numbered objects (1 is the catalog), with the cross-reference table a writer makes."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def until(condition, timeout_s: float = 15) -> bool:  # noqa: ANN001
    """Wait for a condition (bounded); True once it holds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def sse_events(text: str) -> list[tuple[str, object]]:
    """A server-sent event stream's (event, data) pairs."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out
