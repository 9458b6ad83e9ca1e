"""Rate limits, CORS, CSRF, write-only secrets, the audit trail and secrets at rest."""

from __future__ import annotations

import subprocess

import pytest
from fastapi.testclient import TestClient

from tests.conftest import apply_env
from tests.helpers import PASSWORD, bearer, register, signed_up


def _flood(client, headers: dict) -> list[int]:
    return [client.get("/api/v1/users/me", headers=headers).status_code for _ in range(101)]


def test_the_101st_request_in_a_minute_gets_429(client):
    """GIVEN a signed-in user WHEN they send 101 requests in a minute THEN the last is 429 with Retry-After."""
    tokens = signed_up(client)
    from openfyxer.security import ratelimit

    ratelimit.reset()  # sign-up's own requests do not count against this check
    codes = _flood(client, bearer(tokens))
    assert codes[:100] == [200] * 100 and codes[100] == 429
    r = client.get("/api/v1/users/me", headers=bearer(tokens))
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    # Another user has a budget of their own.
    other = signed_up(client, "bob@example.com")
    assert client.get("/api/v1/users/me", headers=bearer(other)).status_code == 200


def test_rate_limit_is_shared_through_redis(redis_server, monkeypatch, sqlite_url):
    """GIVEN Redis configured WHEN two app instances serve one user THEN they share one budget."""
    from openfyxer.api import create_api

    apply_env(monkeypatch, redis_url=redis_server.url, database_url=sqlite_url)
    import redis

    redis.Redis.from_url(redis_server.url).flushall()
    a, b = TestClient(create_api()), TestClient(create_api())
    tokens = signed_up(a)
    redis.Redis.from_url(redis_server.url).flushall()
    codes = [(a if i % 2 else b).get("/api/v1/users/me", headers=bearer(tokens)).status_code for i in range(101)]
    assert codes.count(200) == 100 and codes[-1] == 429
    assert any(k.startswith(b"LIMITS") for k in redis.Redis.from_url(redis_server.url).keys("*"))


def test_cors_allows_only_the_dashboard_origin(client):
    """GIVEN the dashboard origin WHEN a preflight comes from it or from elsewhere THEN only it is allowed."""
    pre = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "x-csrf-token"}
    ok = client.options("/api/v1/settings", headers={"Origin": "http://127.0.0.1:3000", **pre})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    evil = client.options("/api/v1/settings", headers={"Origin": "https://evil.example", **pre})
    assert evil.status_code == 400 and "access-control-allow-origin" not in evil.headers
    simple = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_cookie_auth_needs_a_csrf_token_for_changes(client):
    """GIVEN a browser session in cookies WHEN it changes state without the CSRF header THEN 403; with it THEN 200."""
    register(client)
    r = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    assert client.cookies.get("openfyxer_access") and client.cookies.get("openfyxer_csrf") == csrf
    assert client.get("/api/v1/users/me").status_code == 200  # reads need no token
    denied = client.patch("/api/v1/settings", json={"follow_up_days": 5})
    assert denied.status_code == 403 and denied.json()["code"] == "csrf_failed"
    wrong = client.patch("/api/v1/settings", json={"follow_up_days": 5}, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    ok = client.patch("/api/v1/settings", json={"follow_up_days": 5}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["follow_up_days"] == 5
    # Refresh from the cookie is a state change too.
    assert client.post("/api/v1/auth/refresh").status_code == 403
    assert client.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_settings_secrets_are_write_only(client):
    """GIVEN API keys saved WHEN settings are read THEN only 'set' flags come back, never the values."""
    tokens = signed_up(client)
    h = bearer(tokens)
    body = {"openai_api_key": "sk-test-SECRET-1234567890", "cohere_api_key": "co-XyZsecret",
            "llm_provider": "openai", "priority_contacts": ["Boss@Example.com"], "timezone": "Europe/Bucharest",
            "language": "ro"}
    r = client.patch("/api/v1/settings", json=body, headers=h)
    assert r.status_code == 200, r.text
    for resp in (r, client.get("/api/v1/settings", headers=h)):
        out = resp.json()
        assert "SECRET" not in resp.text and "XyZsecret" not in resp.text
        assert out["secrets_set"]["openai_api_key"] and out["secrets_set"]["cohere_api_key"]
        assert not out["secrets_set"]["claude_api_key"]
        assert out["priority_contacts"] == ["boss@example.com"] and out["language"] == "ro"
    cleared = client.patch("/api/v1/settings", json={"openai_api_key": ""}, headers=h).json()
    assert cleared["secrets_set"]["openai_api_key"] is False
    for bad in ({"timezone": "Nowhere/City"}, {"llm_provider": "skynet"}, {"follow_up_days": 0}, {"unknown": 1}):
        assert client.patch("/api/v1/settings", json=bad, headers=h).status_code == 422, bad


def test_every_state_change_and_security_event_is_audited(client):
    """GIVEN a user's session WHEN they register, fail and succeed at signing in, change settings, refresh and log out
    THEN each lands in their own audit trail, newest first, with the client address, and nobody else sees it."""
    register(client)
    client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": "wrong password"})
    tokens = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD}).json()
    client.cookies.clear()
    h = bearer(tokens)
    client.patch("/api/v1/settings", json={"openai_api_key": "sk-audit-secret"}, headers=h)
    fresh = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    client.cookies.clear()
    client.post("/api/v1/auth/2fa/setup", headers=bearer(fresh), json={"current_password": PASSWORD})
    page = client.get("/api/v1/audit", headers=bearer(fresh)).json()
    actions = [e["action"] for e in page["items"]]
    assert actions == ["auth.2fa_setup", "auth.refresh", "settings.update", "auth.login", "auth.login_failed", "auth.register"]
    assert page["total"] == 6 and all(e["ip_address"] == "testclient" for e in page["items"])
    assert page["items"][2]["details"] == {"fields": ["openai_api_key"]}
    assert "sk-audit-secret" not in str(page)

    second = client.get("/api/v1/audit", params={"limit": 2, "offset": 2}, headers=bearer(fresh)).json()
    assert [e["action"] for e in second["items"]] == actions[2:4]

    client.post("/api/v1/auth/logout", headers=bearer(fresh))
    other = signed_up(client, "bob@example.com")
    theirs = client.get("/api/v1/audit", headers=bearer(other)).json()
    assert {e["action"] for e in theirs["items"]} == {"auth.register", "auth.login"}


def _dump(database_url: str, pg_server) -> str:  # noqa: ANN001
    if database_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()
    import shutil

    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    return subprocess.run([pg_dump, "--inserts", database_url], check=True, capture_output=True, text=True).stdout


def test_database_dump_contains_no_plain_text_secret(client, database_url, request):
    """GIVEN every kind of secret stored (password, TOTP secret, recovery codes, API keys, webhook, refresh tokens)
    WHEN the whole database is dumped THEN none of them appears in plain text."""
    import pyotp
    from sqlmodel import select

    from openfyxer.core.db import session_scope
    from openfyxer.models.account import EmailAccount
    from openfyxer.models.user import User

    tokens = signed_up(client)
    client.cookies.clear()
    h = bearer(tokens)
    secrets = {
        "openai": "sk-live-PLAINTEXT-openai-0001",
        "claude": "sk-ant-PLAINTEXT-claude-0002",
        "sms": "PLAINTEXT-sms-0003",
        "hook": "https://hooks.slack.test/services/PLAINTEXT0004",
        "imap": "PLAINTEXT-imap-password-0005",
        "oauth": "ya29.PLAINTEXT-oauth-0006",
    }
    client.patch("/api/v1/settings", headers=h, json={
        "openai_api_key": secrets["openai"], "claude_api_key": secrets["claude"]})
    for kind, target in [("slack", {"url": secrets["hook"]}), ("sms", {
            "account_sid": "AC0", "auth_token": secrets["sms"], "from": "+40700000001", "to": "+40700000002"})]:
        assert client.post("/api/v1/notifications/channels", headers=h,
                           json={"kind": kind, "target": target}).status_code == 201
    totp_secret = client.post("/api/v1/auth/2fa/setup", headers=h, json={"current_password": PASSWORD}).json()["secret"]
    codes = client.post("/api/v1/auth/2fa/verify", headers=h,
                        json={"code": pyotp.TOTP(totp_secret).now()}).json()["recovery_codes"]
    with session_scope() as db:
        user = db.exec(select(User)).one()
        db.add(EmailAccount(user_id=user.id, provider="imap", email_address="ana@example.com",
                            imap_password=secrets["imap"], oauth_token=secrets["oauth"]))
    pg = request.getfixturevalue("pg_server") if database_url.startswith("postgresql") else None
    dump = _dump(database_url, pg)
    for needle in [*secrets.values(), *codes, PASSWORD, totp_secret, tokens["refresh_token"], tokens["access_token"]]:
        assert needle not in dump, needle
    assert dump.count("enc:v1:") >= 7
    # ... and they still decrypt for the code that needs them.
    with session_scope() as db:
        assert db.exec(select(EmailAccount)).one().imap_password == secrets["imap"]


@pytest.mark.parametrize("path", ["/api/v1/users/me", "/api/v1/settings", "/api/v1/audit"])
def test_private_endpoints_need_a_token(client, path):
    """GIVEN no credentials WHEN a private endpoint is called THEN 401 with WWW-Authenticate."""
    r = client.get(path)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
