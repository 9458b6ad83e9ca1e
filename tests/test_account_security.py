"""The account's own keys: changing the password (given the current one) ends the other sign-ins,
"sign out everywhere" ends them all, and two tabs refreshing with one token at once stay signed in."""

from __future__ import annotations

import pytest

from openfyxer.services import auth, ephemeral
from tests.conftest import apply_env
from tests.helpers import PASSWORD, bearer, register
from tests.helpers import login as _login

NEW_PASSWORD = "a brand new long passphrase"


def login(client) -> dict:  # noqa: ANN001
    """A sign-in used through its bearer token only (the cookies of the latest one dropped)."""
    tokens = _login(client)
    client.cookies.clear()
    return tokens


def _me(client, tokens: dict) -> int:  # noqa: ANN001
    return client.get("/api/v1/users/me", headers=bearer(tokens)).status_code


def test_a_password_change_needs_the_current_one_and_ends_the_other_sign_ins(client):
    """GIVEN two sign-ins (laptop, phone) WHEN the laptop changes the password with a wrong current one THEN 403 and
    nothing changes; with the right one THEN the phone's sign-in ends, the laptop's goes on, only the new password
    signs in, and both the change and the failed try are in the audit trail."""
    register(client)
    laptop, phone = login(client), login(client)
    wrong = client.post("/api/v1/auth/password", headers=bearer(laptop),
                        json={"current_password": "not it at all", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    assert _me(client, phone) == 200
    same = client.post("/api/v1/auth/password", headers=bearer(laptop),
                       json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert same.status_code == 422
    ok = client.post("/api/v1/auth/password", headers=bearer(laptop),
                     json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204
    assert _me(client, laptop) == 200 and _me(client, phone) == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": NEW_PASSWORD}).status_code == 200
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=bearer(laptop)).json()["items"]]
    assert "auth.password_change" in actions and "auth.password_change_failed" in actions


def test_wrong_current_passwords_count_toward_the_lockout(client):
    """GIVEN a signed-in session (say, a stolen one) WHEN it guesses the current password three times THEN the
    next change and the next sign-in both wait, the right password included: guessing through the change
    form is no way around the per-account slow-down."""
    register(client)
    session = login(client)
    for _ in range(3):
        r = client.post("/api/v1/auth/password", headers=bearer(session),
                        json={"current_password": "a wrong guess here", "new_password": NEW_PASSWORD})
        assert r.status_code == 403
    held = client.post("/api/v1/auth/password", headers=bearer(session),
                       json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert held.status_code == 429 and held.json()["code"] == "login_delayed"
    signing_in = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert signing_in.status_code == 429


def test_sign_out_everywhere_ends_every_sign_in(client):
    register(client)
    first, second = login(client), login(client)
    assert client.post("/api/v1/auth/logout-everywhere", headers=bearer(first)).status_code == 204
    assert _me(client, first) == 401 and _me(client, second) == 401
    for tokens in (first, second):
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert login(client)["access_token"]  # signing in again works


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_two_tabs_refreshing_at_once_stay_signed_in(client, store, request, monkeypatch):
    """GIVEN one browser session WHEN two tabs refresh with the same token within the grace period THEN both get the
    same new pair and stay signed in (in memory, or through Redis when configured); WHEN the spent token comes back
    after the grace period THEN it is reuse: the session is revoked, as before."""
    if store == "redis":
        server = request.getfixturevalue("redis_server")
        import redis

        redis.Redis.from_url(server.url).flushall()
        apply_env(monkeypatch, redis_url=server.url)
    register(client)
    tokens = login(client)
    body = {"refresh_token": tokens["refresh_token"]}
    one, two = client.post("/api/v1/auth/refresh", json=body), client.post("/api/v1/auth/refresh", json=body)
    assert one.status_code == two.status_code == 200
    assert one.json()["access_token"] == two.json()["access_token"]
    assert one.json()["refresh_token"] == two.json()["refresh_token"]
    assert _me(client, one.json()) == 200
    monkeypatch.setattr(auth, "REFRESH_GRACE_SECONDS", 0)
    ephemeral._local.clear()  # noqa: SLF001 (the grace pair kept in memory)
    if store == "redis":
        import redis

        redis.Redis.from_url(request.getfixturevalue("redis_server").url).flushall()
    late = client.post("/api/v1/auth/refresh", json=body)
    assert late.status_code == 401 and late.json()["code"] == "refresh_reuse"
    assert _me(client, one.json()) == 401


def test_the_sign_in_address_changes_only_with_the_current_password(client):
    """GIVEN two sign-ins WHEN one changes the account's address with a wrong password THEN 403 and nothing
    changes; to another account's address THEN 409; with the right password THEN the other sign-in ends, the
    new address signs in and the old one no longer does."""
    register(client)
    register(client, "eve@example.com")
    laptop, phone = login(client), login(client)
    wrong = client.post("/api/v1/auth/email", headers=bearer(laptop),
                        json={"current_password": "not it at all", "email": "ana.pop@example.com"})
    assert wrong.status_code == 403 and _me(client, phone) == 200
    taken = client.post("/api/v1/auth/email", headers=bearer(laptop),
                        json={"current_password": PASSWORD, "email": "Eve@Example.com"})
    assert taken.status_code == 409 and taken.json()["code"] == "email_taken"
    ok = client.post("/api/v1/auth/email", headers=bearer(laptop),
                     json={"current_password": PASSWORD, "email": "Ana.Pop@example.com"})
    assert ok.status_code == 200 and ok.json()["email"] == "ana.pop@example.com"
    assert _me(client, laptop) == 200 and _me(client, phone) == 401
    assert client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": "ana.pop@example.com", "password": PASSWORD}).status_code == 200
