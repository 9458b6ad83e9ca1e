"""Recovery codes: made when 2FA is confirmed and shown once, kept as hashes, each signing in once (even
when two sign-ins race with it), replaced given the password, gone when 2FA is turned off; and the
dashboard's sign-in throttled per address in the API's bucket."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from types import SimpleNamespace

import pyotp
import pytest
from sqlmodel import Session, select

from openfyxer.core.db import get_engine, session_scope
from openfyxer.core.errors import AuthError, Throttled
from openfyxer.models.audit import AuditLog
from openfyxer.models.user import LoginRequest, RecoveryCode, User
from openfyxer.services import auth, lockout, recovery_codes
from tests.conftest import apply_env
from tests.helpers import PASSWORD, bearer, enable_2fa, signed_up

LOGIN = "/api/v1/auth/login"
CREDS = {"email": "ana@example.com", "password": PASSWORD}


def _two_factor_on(client) -> tuple[dict, str, int, list[str]]:  # noqa: ANN001
    tokens = signed_up(client)
    return tokens, *enable_2fa(client, tokens)


def _left(client, tokens: dict) -> int:  # noqa: ANN001
    r = client.get("/api/v1/auth/2fa", headers=bearer(tokens))
    assert r.status_code == 200, r.text
    return r.json()["recovery_codes_left"]


def _rows() -> list[RecoveryCode]:
    with session_scope() as s:
        return list(s.exec(select(RecoveryCode)).all())


def test_ten_codes_are_shown_once_and_kept_only_as_hashes(client):
    """GIVEN a user confirming 2FA WHEN the answer comes THEN it holds ten distinct, readable codes; the database
    holds only their SHA-256; confirming again (which would show new ones without the password) is refused."""
    tokens, secret, step, codes = _two_factor_on(client)
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[23456789abcdefghjkmnpqrstuvwxyz]{5}-[23456789abcdefghjkmnpqrstuvwxyz]{5}", c)
               for c in codes)
    rows = _rows()
    assert sorted(r.code_hash for r in rows) == sorted(hashlib.sha256(c.encode()).hexdigest() for c in codes)
    assert all(r.used_at is None for r in rows)
    assert _left(client, tokens) == 10

    again = client.post("/api/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).at((step + 1) * 30)},
                        headers=bearer(tokens))
    assert again.status_code == 409 and again.json()["code"] == "totp_enabled"
    assert not any(c in str(client.get("/api/v1/users/me", headers=bearer(tokens)).json()) for c in codes)


def test_a_recovery_code_signs_in_once(client):
    """GIVEN 2FA on WHEN a recovery code is given instead of the app's code (typed in capitals, without the dash)
    THEN it signs in, once: the use is audited with the count left and the user sees nine left; the same code
    again is refused; a wrong code counts as a failed sign-in like a wrong app code; given with an app code, the
    app code is checked and the recovery code left unspent."""
    tokens, secret, _, codes = _two_factor_on(client)
    client.cookies.clear()
    typed = codes[0].replace("-", "").upper()
    assert client.post(LOGIN, json={**CREDS, "recovery_code": typed}).status_code == 200
    client.cookies.clear()
    second = client.post(LOGIN, json={**CREDS, "recovery_code": codes[0]})
    assert second.status_code == 401 and second.json()["code"] == "invalid_recovery_code"
    assert _left(client, tokens) == 9
    with session_scope() as s:
        used = s.exec(select(AuditLog.details).where(AuditLog.action == "auth.recovery_code_used")).all()
        failed = s.exec(select(AuditLog.details).where(AuditLog.action == lockout.FAILED)).all()
    assert used == [{"remaining": 9}] and failed == [{"reason": "recovery_code"}]

    wrong_app_code = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    both = client.post(LOGIN, json={**CREDS, "totp_code": wrong_app_code, "recovery_code": codes[1]})
    assert both.status_code == 401 and both.json()["code"] == "invalid_totp"
    assert client.post(LOGIN, json={**CREDS, "recovery_code": "zzzzz-zzzzz"}).status_code == 401
    delayed = client.post(LOGIN, json={**CREDS, "recovery_code": codes[1]})
    assert delayed.status_code == 429 and delayed.json()["code"] == "login_delayed"
    assert _left(client, tokens) == 9  # the refused try spent nothing


def test_two_sign_ins_racing_with_one_code_let_only_one_in(client):
    """GIVEN 2FA on WHEN two sign-ins present the same recovery code at the same moment, on the real database THEN
    exactly one gets a session and the other is refused."""
    _, _, _, codes = _two_factor_on(client)
    start, results = threading.Barrier(2), []

    def sign_in() -> None:
        start.wait()
        try:
            with session_scope() as db:
                results.append(auth.login(db, email="ana@example.com", password=PASSWORD, recovery_code=codes[0]))
        except AuthError as e:
            results.append(e.code)

    threads = [threading.Thread(target=sign_in) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r if isinstance(r, str) else "signed_in" for r in results) == ["invalid_recovery_code", "signed_in"]
    assert sum(r.used_at is not None for r in _rows()) == 1


def test_a_code_being_spent_is_not_spent_again_before_the_first_commits(client):
    """GIVEN one transaction that spent a code and has not committed WHEN another tries the same code THEN it waits
    for the first and, once that commits, is refused (the update's condition is checked again under the lock)."""
    _, _, _, codes = _two_factor_on(client)
    with session_scope() as s:
        user_id = s.exec(select(User.id)).one()
    outcome: list[bool] = []

    def spend_again() -> None:
        with session_scope() as s:
            outcome.append(recovery_codes.spend(s, user_id, codes[0]))

    with Session(get_engine()) as first:
        assert recovery_codes.spend(first, user_id, codes[0])
        second = threading.Thread(target=spend_again)
        second.start()
        second.join(0.5)
        first.commit()
    second.join(60)
    assert outcome == [False]


def test_new_codes_need_the_password_and_void_the_old_ones(client):
    """GIVEN 2FA on WHEN new recovery codes are asked without the password or with a wrong one THEN 422 / 403 and the
    old codes still work; with it THEN ten new codes, the old ones refused at sign-in, the new ones accepted."""
    tokens, _, _, old = _two_factor_on(client)
    url = "/api/v1/auth/2fa/recovery-codes"
    assert client.post(url, headers=bearer(tokens)).status_code == 422
    wrong = client.post(url, json={"current_password": "not it"}, headers=bearer(tokens))
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    assert _left(client, tokens) == 10

    new = client.post(url, json={"current_password": PASSWORD}, headers=bearer(tokens))
    assert new.status_code == 200
    fresh = new.json()["recovery_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(old)
    assert len(_rows()) == 10
    client.cookies.clear()
    assert client.post(LOGIN, json={**CREDS, "recovery_code": old[1]}).json()["code"] == "invalid_recovery_code"
    assert client.post(LOGIN, json={**CREDS, "recovery_code": fresh[1]}).status_code == 200
    client.cookies.clear()
    assert _left(client, tokens) == 9


def test_turning_2fa_off_needs_the_password_and_a_code_and_deletes_the_codes(client):
    """GIVEN 2FA on WHEN it is turned off without a code, with a wrong password, or with the right one and a wrong
    app or recovery code THEN refused and still on; with the password and a recovery code THEN off, the codes
    gone, and sign-in asks for no code."""
    tokens, secret, _, codes = _two_factor_on(client)
    url = "/api/v1/auth/2fa/disable"

    def turn_off(password: str, code: str | None):  # noqa: ANN202
        body = {"current_password": password} | ({"code": code} if code else {})
        return client.post(url, json=body, headers=bearer(tokens))

    assert turn_off(PASSWORD, None).status_code == 422
    wrong = turn_off("not it", codes[0])
    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_password"
    wrong_app_code = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    assert turn_off(PASSWORD, wrong_app_code).json()["code"] == "invalid_totp"
    assert turn_off(PASSWORD, "zzzzz-zzzzz").json()["code"] == "invalid_recovery_code"
    assert client.get("/api/v1/users/me", headers=bearer(tokens)).json()["totp_enabled"] is True
    assert len(_rows()) == 10

    time.sleep(1.1)  # three failed tries: the account's next one waits a second
    off = turn_off(PASSWORD, codes[0])
    assert off.status_code == 200 and off.json() == {"totp_enabled": False, "recovery_codes_left": 0}
    assert _rows() == []
    client.cookies.clear()
    assert client.post(LOGIN, json=CREDS).status_code == 200
    again = client.post("/api/v1/auth/2fa/recovery-codes", json={"current_password": PASSWORD},
                        headers=bearer(tokens))
    assert again.status_code == 409 and again.json()["code"] == "totp_not_enabled"


# --- the dashboard's sign-in ------------------------------------------------------------------------------

def test_the_dashboard_sign_in_spends_the_apis_budget_for_the_address(client, monkeypatch):
    """GIVEN a budget of three tries a minute WHEN one address signs in twice through the API and then through the
    dashboard THEN the dashboard's first try is the third and its next is refused with the wait; another
    address is not held back."""
    from openfyxer.ui.state import auth as auth_state

    signed_up(client)
    apply_env(monkeypatch, rate_limit_per_minute="3")
    for _ in range(2):
        assert client.post(LOGIN, json=CREDS).status_code == 200  # TestClient's address is "testclient"
    data = LoginRequest(**CREDS)
    pair, user = auth_state.sign_in(data, "testclient", "pytest")
    assert user.email == "ana@example.com" and pair.access_token
    with pytest.raises(Throttled) as refused:
        auth_state.sign_in(data, "testclient", "pytest")
    assert refused.value.code == "rate_limited" and 1 <= refused.value.retry_after <= 60
    assert auth_state.sign_in(data, "192.0.2.8", "pytest")[1].email == "ana@example.com"
    assert client.post(LOGIN, json=CREDS).status_code == 429


def test_the_dashboard_sees_the_address_behind_our_proxies_only(monkeypatch):
    """GIVEN a tab's websocket peer and X-Forwarded-For WHEN the dashboard asks who is signing in THEN it is the peer,
    unless the peer is a trusted proxy: then the last hop that is not one of ours."""
    from openfyxer.ui.state.auth import client_ip

    def router(peer: str, forwarded: str | None) -> SimpleNamespace:
        raw = {"x-forwarded-for": forwarded} if forwarded else {}
        return SimpleNamespace(session=SimpleNamespace(client_ip=peer), headers=SimpleNamespace(raw_headers=raw))

    apply_env(monkeypatch, trusted_proxies="")
    assert client_ip(router("127.0.0.1", "203.0.113.9")) == "127.0.0.1"
    apply_env(monkeypatch, trusted_proxies="127.0.0.1")
    assert client_ip(router("127.0.0.1", "198.51.100.1, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(router("192.0.2.7", "203.0.113.9")) == "192.0.2.7"


@pytest.fixture(autouse=True)
def _fresh_limits():
    from openfyxer.security import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()


# --- the dashboard's Settings page ------------------------------------------------------------------------

def _settings_page(tokens: dict):  # noqa: ANN202
    """The Settings page's state of a tab signed in with these tokens (a real state, no browser)."""
    import reflex as rx

    from openfyxer.security import tokens as token_codec
    from openfyxer.ui.state.settings import SettingsState

    root = rx.State(_reflex_internal_init=True)
    page = root.get_substate(SettingsState.get_full_name().split("."))
    page._session_id = str(token_codec.decode(tokens["access_token"], token_codec.ACCESS).session_id)
    return page


def test_invitations_in_settings_are_an_administrators_only(client, monkeypatch):
    """GIVEN the administrator and a user invited by them WHEN each opens Settings THEN only the administrator gets the
    invitations section; the user's handlers are refused (nothing made, nothing revoked) even when called directly;
    the administrator's new invitation shows its code and /register link once and lets one person in, and can be
    revoked."""
    import asyncio

    apply_env(monkeypatch, registration="")
    ana = signed_up(client, "ana@example.com")
    admin = _settings_page(ana)
    admin._read()
    assert admin.is_admin and admin.invitation_list == []
    admin.create_invitation({"invitation_email": "bob@example.com", "invitation_days": "3"})
    assert admin.error == "" and re.fullmatch(r".*/register\?invitation=" + re.escape(admin.invitation_code),
                                              admin.invitation_link)
    [row] = admin.invitation_list
    assert row["email"] == "bob@example.com" and row["state"] == "open" and row["revocable"]
    assert client.post("/api/v1/auth/register", json={"email": "bob@example.com", "password": PASSWORD,
                                                      "invitation": admin.invitation_code}).status_code == 201

    admin.create_invitation({"invitation_email": "", "invitation_days": "7"})
    spare = next(r for r in admin.invitation_list if r["state"] == "open")
    bob = _settings_page(signed_up_again(client, "bob@example.com"))
    bob._read()
    assert not bob.is_admin and bob.invitation_list == []
    bob.create_invitation({"invitation_email": "", "invitation_days": "7"})
    assert bob.invitation_code == "" and bob.error == "only an administrator may manage invitations"
    bob.revoke_invitation(spare["id"])
    assert bob.error == "only an administrator may manage invitations"
    admin._read()
    assert len(admin.invitation_list) == 2

    admin.revoke_invitation(spare["id"])
    assert admin.error == "" and [r["state"] for r in admin.invitation_list] == ["used"]

    # The password-checking handlers run off the event loop and still refuse a wrong password.
    asyncio.run(bob.start_two_factor({"current_password": "not it"}))
    assert bob.error == "the current password is not right" and bob.totp_qr == ""
    asyncio.run(bob.start_two_factor({"current_password": PASSWORD}))
    assert bob.error == "" and bob.totp_qr.startswith("data:image/svg+xml")


def signed_up_again(client, email: str) -> dict:  # noqa: ANN001
    from tests.helpers import login

    tokens = login(client, email)
    client.cookies.clear()
    return tokens
