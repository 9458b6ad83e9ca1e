"""Hardening the way in: bodies bounded before they are read, the sign-in throttle per client
address whatever token is attached (behind trusted proxies only through them), a per-account
slow-down and temporary lock, and no line breaks in header text."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.requests import Request

from openfyxer.core.db import session_scope
from openfyxer.models.audit import AuditLog
from openfyxer.models.user import User
from openfyxer.services import lockout
from tests.conftest import apply_env
from tests.helpers import PASSWORD, bearer, register, signed_up

MB = 1024 * 1024


def _login(client, password: str, **headers):  # noqa: ANN001, ANN202
    return client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": password}, headers=headers)


def _age_failures(seconds: float) -> None:
    """Move the account's recorded sign-in attempts into the past, as if that much time had gone by."""
    with session_scope() as s:
        user_id = s.exec(select(User.id).where(User.email == "ana@example.com")).one()
        rows = s.exec(select(AuditLog).where(AuditLog.user_id == user_id,
                                             AuditLog.action.in_((lockout.FAILED, lockout.SIGNED_IN)))).all()
        for row in rows:
            row.created_at = row.created_at - timedelta(seconds=seconds)


# --- bodies ------------------------------------------------------------------------------------------------

def test_a_30_mb_body_is_refused_before_it_is_read(client):
    """WHEN 30 MB of JSON go to the sign-in route, or 30 MB to either upload endpoint with no session THEN 413
    with a clear error; the API still answers afterwards."""
    big = b'{"email": "' + b"a" * (30 * MB) + b'"}'
    r = client.post("/api/v1/auth/login", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    files = {"file": ("big.txt", b"x" * (30 * MB), "text/plain")}
    assert client.post("/api/v1/rag/documents", files=files).status_code == 413
    assert client.post("/_upload", files=files).status_code == 413
    assert client.get("/health").status_code == 200


def test_the_limit_is_checked_before_the_app_reads_anything():
    """GIVEN a declared length over the limit THEN the app never sees the request and nothing is received;
    GIVEN a body sent in pieces with no length THEN reading stops at the first piece past the limit."""
    from openfyxer.api.limits import BodyLimit, limit_for

    received, reached = [], []

    async def app(scope, receive, send):  # noqa: ANN001, ANN202
        reached.append(scope["path"])
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def run(headers: list, pieces: int) -> list[dict]:
        sent: list[dict] = []

        async def receive():  # noqa: ANN202
            received.append(1)
            return {"type": "http.request", "body": b"x" * 65536, "more_body": len(received) < pieces}

        async def send(message):  # noqa: ANN001, ANN202
            sent.append(message)

        scope = {"type": "http", "path": "/api/v1/auth/login", "method": "POST", "headers": headers}
        asyncio.run(BodyLimit(app)(scope, receive, send))
        return sent

    sent = run([(b"content-length", str(30 * MB).encode())], pieces=480)
    assert sent[0]["status"] == 413 and received == [] and reached == []
    limit = limit_for("/api/v1/auth/login")
    sent = run([], pieces=480)
    assert sent[0]["status"] == 413 and len(received) == limit // 65536 + 1
    received.clear()
    assert run([], pieces=2)[0]["status"] == 200


def test_a_subject_with_a_line_break_is_refused_and_a_strangers_is_made_one_line(client):
    from openfyxer.services.mail.drafts import reply_subject

    tokens = signed_up(client)
    body = {"account_id": "00000000-0000-4000-8000-000000000001", "to": ["bob@example.org"],
            "subject": "Hello\r\nBcc: everyone@example.org", "content": "Hi"}
    r = client.post("/api/v1/drafts", json=body, headers=bearer(tokens))
    assert r.status_code == 422 and "line break" in r.text
    assert reply_subject("Invoice\r\n due\nBcc: x@y.z") == "Re: Invoice due Bcc: x@y.z"


# --- who is asking -----------------------------------------------------------------------------------------

def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers, "path": "/", "method": "GET"})


def test_forwarded_for_counts_only_behind_a_trusted_proxy(monkeypatch):
    from openfyxer.api.deps import client_ip

    apply_env(monkeypatch, trusted_proxies="")
    assert client_ip(_request("127.0.0.1", "203.0.113.9")) == "127.0.0.1"
    apply_env(monkeypatch, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    # The client may write anything before the hops our proxies added: the last untrusted hop is the client.
    assert client_ip(_request("127.0.0.1", "198.51.100.1, 203.0.113.9, 10.1.2.3")) == "203.0.113.9"
    assert client_ip(_request("127.0.0.1", None)) == "127.0.0.1"
    assert client_ip(_request("192.0.2.7", "203.0.113.9")) == "192.0.2.7"  # not our proxy: its header is ignored


def test_the_sign_in_throttle_counts_the_address_whatever_token_is_attached(client, monkeypatch):
    """GIVEN two signed-in users WHEN guesses at other accounts carry their valid tokens, in turn THEN they
    are still counted against the one client address: the budget runs out as for anonymous requests."""
    tokens = [signed_up(client, "bob@example.com"), signed_up(client, "dan@example.com")]
    apply_env(monkeypatch, rate_limit_per_minute="6")
    codes = [client.post("/api/v1/auth/login", json={"email": f"nobody{i}@example.com", "password": "guess"},
                         headers=bearer(tokens[i % 2])).status_code for i in range(7)]
    assert codes[:6] == [401] * 6 and codes[6] == 429
    # Signed-in requests elsewhere keep their own budget.
    assert client.get("/api/v1/users/me", headers=bearer(tokens[0])).status_code == 200


# --- the account's own attempts ----------------------------------------------------------------------------

def test_failed_sign_ins_slow_down_then_lock_the_account_until_it_expires(client):
    """GIVEN an account WHEN three wrong passwords are sent THEN the next try must wait (429, Retry-After, even
    with the right password) and each later failure doubles the wait; WHEN ten failures add up THEN the account is
    locked, the right password refused and the user told for how long; WHEN the lock's time has gone by THEN the
    right password signs in, and that success starts the count afresh."""
    register(client)
    assert [_login(client, "wrong").status_code for _ in range(3)] == [401, 401, 401]
    delayed = _login(client, PASSWORD)
    assert delayed.status_code == 429 and delayed.json()["code"] == "login_delayed"
    assert delayed.headers["Retry-After"] == "1"
    _age_failures(1.5)
    assert _login(client, "wrong").status_code == 401  # the 4th failure
    second = _login(client, "wrong")
    assert second.status_code == 429 and int(second.headers["Retry-After"]) == 2
    for _ in range(6):  # failures 5 to 10, each after its wait
        _age_failures(lockout.MAX_DELAY)
        assert _login(client, "wrong").status_code == 401
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429 and locked.json()["code"] == "account_locked"
    assert "locked for" in locked.json()["detail"] and int(locked.headers["Retry-After"]) > lockout.MAX_DELAY
    remaining = int(locked.headers["Retry-After"])
    _age_failures(remaining - 30)
    assert _login(client, PASSWORD).json()["code"] == "account_locked"  # not yet
    _age_failures(60)
    assert _login(client, PASSWORD).status_code == 200
    assert [_login(client, "wrong").status_code for _ in range(3)] == [401, 401, 401]
    assert _login(client, "wrong").status_code == 429
    with session_scope() as s:
        actions = s.exec(select(AuditLog.action).where(AuditLog.action == lockout.FAILED)).all()
    assert len(actions) == 13  # refused tries checked no password and were not counted as failures


def test_another_account_is_not_slowed_by_a_neighbours_failures(client):
    register(client)
    register(client, "bob@example.com")
    for _ in range(4):
        _login(client, "wrong")
    r = client.post("/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD})
    assert r.status_code == 200


@pytest.fixture(autouse=True)
def _fresh_limits():
    from openfyxer.security import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()

