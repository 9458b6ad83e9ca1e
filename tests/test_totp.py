"""TOTP two-factor authentication: enrolment, sign-in with a code, replay refusal."""

from __future__ import annotations

import time

import pyotp
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.audit import AuditLog
from openfyxer.models.user import User
from openfyxer.services import lockout
from tests.helpers import PASSWORD, bearer, signed_up


def _enable_2fa(client) -> tuple[dict, str, int]:
    tokens = signed_up(client)
    client.cookies.clear()
    setup = client.post("/api/v1/auth/2fa/setup", json={"current_password": PASSWORD}, headers=bearer(tokens))
    assert setup.status_code == 200, setup.text
    body = setup.json()
    assert body["provisioning_uri"].startswith("otpauth://totp/OpenFyxer:ana%40example.com?secret=")
    assert body["qr_svg"].startswith("data:image/svg+xml")
    secret = body["secret"]
    now = time.time()
    r = client.post("/api/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).at(now)}, headers=bearer(tokens))
    assert r.status_code == 200 and r.json()["totp_enabled"] is True and len(r.json()["recovery_codes"]) == 10
    return tokens, secret, int(now // 30)


def test_setup_then_verify_enables_2fa(client):
    """GIVEN a signed-in user WHEN they set up 2FA and confirm a code THEN their profile says 2FA is on."""
    tokens, _, _ = _enable_2fa(client)
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).json()["totp_enabled"] is True
    # A second set-up would silently replace the secret: refused.
    again = client.post("/api/v1/auth/2fa/setup", json={"current_password": PASSWORD}, headers=bearer(tokens))
    assert again.status_code == 409


def test_setup_needs_the_current_password_and_a_wrong_one_counts_as_a_failed_sign_in(client):
    """GIVEN a signed-in user (say, a session left open) WHEN 2FA set-up is asked without the password THEN 422;
    with a wrong one THEN 403 wrong_password, no secret made, and each counts as a failed sign-in: after three the
    account must wait, at set-up and at sign-in alike; with the right one THEN the set-up starts."""
    tokens = signed_up(client)
    setup = "/api/v1/auth/2fa/setup"
    assert client.post(setup, headers=bearer(tokens)).status_code == 422
    for _ in range(3):
        wrong = client.post(setup, json={"current_password": "not my password"}, headers=bearer(tokens))
        assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    assert client.post(setup, json={"current_password": PASSWORD}, headers=bearer(tokens)).json()["code"] == \
        "login_delayed"
    signing_in = client.post("/api/v1/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert signing_in.json()["code"] == "login_delayed"
    with session_scope() as s:
        user = s.exec(select(User)).one()
        assert user.totp_secret is None
        failures = s.exec(select(AuditLog.details).where(AuditLog.action == lockout.FAILED)).all()
    assert failures == [{"reason": "current_password", "for": "2fa_setup"}] * 3

    time.sleep(1.1)  # the slow-down after three failures is one second
    r = client.post(setup, json={"current_password": PASSWORD}, headers=bearer(tokens))
    assert r.status_code == 200 and r.json()["secret"]


def test_verify_refuses_a_wrong_code_and_leaves_2fa_off(client):
    """GIVEN a started enrolment WHEN a wrong code is sent THEN 401 and 2FA stays off."""
    tokens = signed_up(client)
    client.cookies.clear()
    secret = client.post("/api/v1/auth/2fa/setup", json={"current_password": PASSWORD},
                         headers=bearer(tokens)).json()["secret"]
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
