"""Connecting an account with OAuth2 (authorization code + PKCE) and using it over XOAUTH2, end to end
against a local OAuth provider whose tokens Dovecot and the SMTP relay accept.

Gmail and Outlook use this same code with their own endpoints and mail hosts; those endpoints
cannot be reached from here, so the self-hosted ("custom") provider stands in for them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.account import EmailAccount
from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.mailhelpers import message

CLIENT_ID, CLIENT_SECRET = "openfyxer-test", "client-secret-123"
REDIRECT = "http://127.0.0.1:3000/api/v1/accounts/oauth/custom/callback"


@pytest.fixture
def oauth_env(monkeypatch, oauth, dovecot, database_url):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the local provider speaks plain http
    oauth.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT])
    apply_env(monkeypatch, database_url=database_url, tls_ca_file=str(dovecot.cert_path),
              custom_oauth_authorize_url=oauth.authorize_url, custom_oauth_token_url=oauth.token_url,
              custom_oauth_client_id=CLIENT_ID, custom_oauth_client_secret=CLIENT_SECRET,
              custom_oauth_scope="mail offline_access")
    return oauth


def _start(client, h, mail_user, dovecot, relay) -> str:  # noqa: ANN001
    r = client.post("/api/v1/accounts/oauth/custom/start", headers=h, json={
        "email_address": mail_user.address, "imap_host": dovecot.host, "imap_port": dovecot.imap_port,
        "imap_security": "none", "smtp_host": relay.host, "smtp_port": relay.port, "smtp_security": "starttls"})
    assert r.status_code == 200, r.text
    url = r.json()["authorization_url"]
    q = parse_qs(urlsplit(url).query)
    assert q["code_challenge_method"] == ["S256"] and q["code_challenge"][0] and q["redirect_uri"] == [REDIRECT]
    return url


def _approve_at_provider(url: str) -> str:
    """The browser's visit to the provider: it approves and redirects back with a code."""
    r = httpx.get(url, follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    back = r.headers["location"]
    assert back.startswith(REDIRECT)
    return back.removeprefix("http://127.0.0.1:3000")


def test_oauth_account_connects_syncs_and_sends_over_xoauth2(client, oauth_env, mail_user, dovecot, relay):
    """GIVEN a user who approves at the provider WHEN the callback returns THEN the account is saved with encrypted
    tokens, its mail syncs over IMAP XOAUTH2, and a reply goes out over SMTP XOAUTH2."""
    from openfyxer import jobs

    oauth_env.login_as = mail_user.name
    dovecot.deliver(mail_user.name, message(to=mail_user.address, subject="via oauth", msgid="<o1@example.org>"))
    h = bearer(signed_up(client))
    back = _approve_at_provider(_start(client, h, mail_user, dovecot, relay))
    r = client.get(back, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/settings?connected="), r.text
    (account,) = client.get("/api/v1/accounts", headers=h).json()
    assert account["email_address"] == mail_user.address
    assert jobs.local_queue().join(60)
    assert client.get(f"/api/v1/accounts/{account['id']}/sync", headers=h).json()["done"] == 1
    with session_scope() as db:
        row = db.get(EmailAccount, __import__("uuid").UUID(account["id"]))
        assert row.oauth_token and row.oauth_refresh_token and row.imap_password is None
    d = client.post("/api/v1/drafts", headers=h, json={"account_id": account["id"], "to": ["bob@example.test"],
                                                         "subject": "Hi", "content": "Sent with OAuth."}).json()
    bob = dovecot.new_user("bob")
    client.patch(f"/api/v1/drafts/{d['id']}", headers=h, json={"to": [bob.address]})
    assert client.post(f"/api/v1/drafts/{d['id']}/send", headers=h).status_code == 202
    assert jobs.local_queue().join(60)
    assert client.get(f"/api/v1/drafts/{d['id']}", headers=h).json()["status"] == "sent"
    assert ("XOAUTH2", mail_user.name, True) in [(m.upper(), u.split("@")[0], ok) for m, u, ok in relay.auth_log]


def test_expiring_access_token_is_refreshed_before_use(client, oauth_env, mail_user, dovecot, relay):
    """GIVEN an account whose access token lives two seconds WHEN it syncs after expiry THEN the token is refreshed
    (and stored encrypted) first, and the sync succeeds."""
    import time

    from openfyxer.services.mail import sync

    oauth_env.login_as = mail_user.name
    oauth_env.access_ttl = 2
    h = bearer(signed_up(client))
    assert client.get(_approve_at_provider(_start(client, h, mail_user, dovecot, relay)),
                      follow_redirects=False).status_code == 303
    with session_scope() as db:
        account = db.exec(select(EmailAccount)).one()
        first_token = account.oauth_token
    time.sleep(2.5)
    dovecot.deliver(mail_user.name, message(to=mail_user.address))
    result = sync.sync_account(account_id=account.id)
    assert result.new >= 1
    with session_scope() as db:
        assert db.get(EmailAccount, account.id).oauth_token != first_token


def test_forged_or_replayed_state_is_refused(client, oauth_env, mail_user, dovecot, relay):
    """GIVEN a completed authorization WHEN its callback is replayed, or a made-up state arrives THEN 400 and no
    second account."""
    oauth_env.login_as = mail_user.name
    h = bearer(signed_up(client))
    back = _approve_at_provider(_start(client, h, mail_user, dovecot, relay))
    assert client.get(back, follow_redirects=False).status_code == 303
    replay = client.get(back, follow_redirects=False)
    assert replay.status_code == 400 and replay.json()["code"] == "oauth_state_invalid"
    forged = client.get("/api/v1/accounts/oauth/custom/callback?state=made-up&code=abc", follow_redirects=False)
    assert forged.status_code == 400
    assert len(client.get("/api/v1/accounts", headers=h).json()) == 1


def test_user_who_declines_is_sent_back_with_the_reason(client, oauth_env, mail_user, dovecot, relay):
    """GIVEN the user declines at the provider WHEN the provider redirects back THEN the dashboard gets the error,
    nothing is saved."""
    h = bearer(signed_up(client))
    r = httpx.get(_start(client, h, mail_user, dovecot, relay), follow_redirects=False)  # login_as None: access_denied
    back = r.headers["location"].removeprefix("http://127.0.0.1:3000")
    out = client.get(back, follow_redirects=False)
    assert out.status_code == 303 and "oauth_error=access_denied" in out.headers["location"]
    assert client.get("/api/v1/accounts", headers=h).json() == []


def test_unconfigured_provider_says_so(client):
    """GIVEN no Google client id WHEN a Gmail connection starts THEN a clear 422 naming the missing setting."""
    h = bearer(signed_up(client))
    r = client.post("/api/v1/accounts/oauth/google/start", headers=h, json={"email_address": "ana@gmail.com"})
    assert r.status_code == 422 and r.json()["code"] == "oauth_not_configured"
