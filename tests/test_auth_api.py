"""Registration, sign-in, token rotation and sign-out through the REST API, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt

from tests.helpers import PASSWORD, bearer, login, register, signed_up


def test_register_then_login_returns_working_tokens(client):
    """GIVEN a new user WHEN they register and sign in THEN /users/me answers with their profile."""
    user = register(client, "Ana@Example.com")
    assert user["email"] == "ana@example.com" and "hashed_password" not in user
    tokens = login(client, "ana@example.com")
    me = client.get("/api/v1/users/me", headers=bearer(tokens))
    assert me.status_code == 200 and me.json()["id"] == user["id"]


def test_register_rejects_duplicate_and_invalid_input(client):
    """GIVEN a registered address WHEN it registers again, or with bad input THEN 409 / 422."""
    register(client)
    assert client.post("/api/v1/auth/register", json={"email": "ana@example.com", "password": PASSWORD}).status_code == 409
    bad = [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "b@example.com", "password": "short"},
        {"email": "b@example.com", "password": PASSWORD, "is_admin": True},
        {"email": "b@example.com", "password": PASSWORD, "timezone": "Mars/Olympus"},
    ]
    for body in bad:
        assert client.post("/api/v1/auth/register", json=body).status_code == 422, body


def test_login_answers_the_same_for_unknown_user_and_wrong_password(client):
    """GIVEN one user WHEN signing in with a wrong password or an unknown address THEN the answers are identical."""
    register(client)
    wrong = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": "wrong password!"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid email or password", "code": "invalid_credentials"}


def test_refresh_rotates_and_reuse_revokes_the_family(client, monkeypatch):
    """GIVEN a session WHEN a refresh token is used twice, the second time after the few seconds' grace two tabs
    get (tests/test_account_security.py) THEN the second use revokes every token of that session."""
    from openfyxer.services import auth

    monkeypatch.setattr(auth, "REFRESH_GRACE_SECONDS", 0)
    first = signed_up(client)
    client.cookies.clear()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/users/me", headers=bearer(second)).status_code == 200

    client.cookies.clear()
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "refresh_reuse"
    # The thief's copy and the owner's newest tokens are both dead now.
    client.cookies.clear()
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/users/me", headers=bearer(second)).status_code == 401


def test_other_sessions_survive_a_revoked_family(client, monkeypatch):
    """GIVEN two sign-ins WHEN one family is revoked by reuse THEN the other session still works."""
    from openfyxer.services import auth

    monkeypatch.setattr(auth, "REFRESH_GRACE_SECONDS", 0)
    a = signed_up(client)
    client.cookies.clear()
    b = login(client)
    client.cookies.clear()
    client.post("/api/v1/auth/refresh", json={"refresh_token": a["refresh_token"]})
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": a["refresh_token"]})
    assert reuse.json()["code"] == "refresh_reuse"
    assert client.get("/api/v1/users/me", headers=bearer(b)).status_code == 200


def test_logout_revokes_access_and_refresh_tokens(client):
    """GIVEN a session WHEN the user signs out THEN neither its access nor its refresh token works."""
    tokens = signed_up(client)
    client.cookies.clear()
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def _forge(payload_changes: dict, key: str | None = None, alg: str = "HS256", drop: tuple = ()) -> str:
    from openfyxer.core.config import get_settings

    s = get_settings()
    now = int(time.time())
    payload = {"sub": "00000000-0000-0000-0000-000000000000", "sid": "00000000-0000-0000-0000-000000000000",
               "typ": "access", "jti": "x", "aud": s.jwt_audience, "iss": s.jwt_issuer, "iat": now, "exp": now + 600}
    payload.update(payload_changes)
    for k in drop:
        payload.pop(k)
    if alg == "none":
        return jwt.encode(payload, None, algorithm="none")
    return jwt.encode(payload, key or s.secret_key, algorithm=alg)


def test_forged_and_misused_tokens_are_refused(client):
    """GIVEN a real session WHEN tokens are forged, expired, for another audience or of the wrong type THEN 401."""
    tokens = signed_up(client)
    client.cookies.clear()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    real = {"sub": claims["sub"], "sid": claims["sid"]}
    from openfyxer.core.config import get_settings

    assert client.get("/api/v1/users/me", headers={"Authorization": "Bearer " + _forge(real)}).status_code == 200
    forged = {
        "alg none": _forge(real, alg="none"),
        "wrong key": _forge(real, key="another-secret-key-that-is-long-enough-1234"),
        "HS512": _forge(real, alg="HS512", key=get_settings().secret_key),
        "expired": _forge({**real, "exp": int(time.time()) - 5, "iat": int(time.time()) - 100}),
        "wrong audience": _forge({**real, "aud": "someone-else"}),
        "wrong issuer": _forge({**real, "iss": "evil"}),
        "no exp": _forge(real, drop=("exp",)),
        "refresh as access": _forge({**real, "typ": "refresh"}),
        "garbage": "not.a.token",
    }
    for name, token in forged.items():
        r = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, name
    # A refresh token is not an access token, nor the other way round.
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]}).status_code == 401


def test_expired_refresh_token_is_refused(client, monkeypatch):
    """GIVEN a refresh token past its expiry WHEN it is used THEN 401 token_expired."""
    from openfyxer.security import tokens as tok

    signed_up(client)
    client.cookies.clear()
    real_now = datetime.now(UTC)

    class Past(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206
            return real_now - timedelta(days=8)

    monkeypatch.setattr(tok, "datetime", Past)
    old = login(client)
    monkeypatch.undo()
    client.cookies.clear()
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "token_expired"


def test_inactive_user_cannot_sign_in(client, database_url):
    """GIVEN a deactivated user WHEN they sign in with the right password THEN the same invalid-credentials answer."""
    from sqlmodel import select

    from openfyxer.core.db import session_scope
    from openfyxer.models.user import User

    register(client)
    with session_scope() as db:
        db.exec(select(User)).one().is_active = False
    r = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
