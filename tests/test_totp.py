"""TOTP two-factor authentication: enrolment, sign-in with a code, replay refusal."""

from __future__ import annotations

import time

import pyotp

from tests.helpers import PASSWORD, bearer, signed_up


def _enable_2fa(client) -> tuple[dict, str, int]:
    tokens = signed_up(client)
    client.cookies.clear()
    setup = client.post("/api/v1/auth/2fa/setup", headers=bearer(tokens))
    assert setup.status_code == 200, setup.text
    body = setup.json()
    assert body["provisioning_uri"].startswith("otpauth://totp/OpenFyxer:ana%40example.com?secret=")
    assert body["qr_svg"].startswith("data:image/svg+xml")
    secret = body["secret"]
    now = time.time()
    r = client.post("/api/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).at(now)}, headers=bearer(tokens))
    assert r.status_code == 200 and r.json() == {"totp_enabled": True}
    return tokens, secret, int(now // 30)


def test_setup_then_verify_enables_2fa(client):
    """GIVEN a signed-in user WHEN they set up 2FA and confirm a code THEN their profile says 2FA is on."""
    tokens, _, _ = _enable_2fa(client)
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).json()["totp_enabled"] is True
    # A second set-up would silently replace the secret: refused.
    assert client.post("/api/v1/auth/2fa/setup", headers=bearer(tokens)).status_code == 409


def test_verify_refuses_a_wrong_code_and_leaves_2fa_off(client):
    """GIVEN a started enrolment WHEN a wrong code is sent THEN 401 and 2FA stays off."""
    tokens = signed_up(client)
    client.cookies.clear()
    secret = client.post("/api/v1/auth/2fa/setup", headers=bearer(tokens)).json()["secret"]
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    r = client.post("/api/v1/auth/2fa/verify", json={"code": wrong}, headers=bearer(tokens))
    assert r.status_code == 401 and r.json()["code"] == "invalid_totp"
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).json()["totp_enabled"] is False


def test_login_needs_a_fresh_code_once_2fa_is_on(client):
    """GIVEN 2FA on WHEN signing in without a code, with a used code, or with a fresh code THEN 401, 401, 200."""
    _, secret, verify_step = _enable_2fa(client)
    client.cookies.clear()
    creds = {"email": "ana@example.com", "password": PASSWORD}
    r = client.post("/api/v1/auth/login", json=creds)
    assert r.status_code == 401 and r.json()["code"] == "totp_required"

    # The code that confirmed enrolment was spent: replaying it is refused.
    used = pyotp.TOTP(secret).at(verify_step * 30)
    r = client.post("/api/v1/auth/login", json={**creds, "totp_code": used})
    assert r.status_code == 401 and r.json()["code"] == "invalid_totp"

    # The next step's code is inside the accepted window and unused.
    fresh = pyotp.TOTP(secret).at((verify_step + 1) * 30)
    r = client.post("/api/v1/auth/login", json={**creds, "totp_code": fresh})
    assert r.status_code == 200, r.text
    # ... and only once.
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={**creds, "totp_code": fresh})
    assert r.status_code == 401 and r.json()["code"] == "invalid_totp"


def test_wrong_password_with_valid_code_is_still_invalid_credentials(client):
    """GIVEN 2FA on WHEN the password is wrong but the code right THEN the generic credentials error, code unspent."""
    _, secret, step = _enable_2fa(client)
    client.cookies.clear()
    code = pyotp.TOTP(secret).at((step + 1) * 30)
    r = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": "wrong password", "totp_code": code})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD, "totp_code": code})
    assert r.status_code == 200


def test_totp_secret_is_stored_encrypted(client, database_url):
    """GIVEN 2FA on WHEN the users row is read raw THEN the TOTP secret is ciphertext bound to its column."""
    from sqlalchemy import create_engine, text

    _, secret, _ = _enable_2fa(client)
    url = database_url.replace("postgresql://", "postgresql+psycopg://")
    with create_engine(url).connect() as conn:
        raw = conn.execute(text("SELECT totp_secret FROM users")).scalar_one()
    assert raw.startswith("enc:v1:") and secret not in raw
