"""Small helpers for API tests."""

from __future__ import annotations

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
