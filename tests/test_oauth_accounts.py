"""Connecting an account with OAuth2 (authorization code + PKCE) and using it over XOAUTH2, end to end
against a local OAuth provider whose tokens Dovecot and the SMTP relay accept.

Gmail and Outlook use this same code with their own endpoints and mail hosts; those endpoints
cannot be reached from here, so the self-hosted ("custom") provider stands in for them.

The test client keeps cookies as a browser does, so the flow's nonce cookie set by the start comes
back with the callback; "another browser" is the same client with its cookies cleared.
"""

from __future__ import annotations

import secrets
from http.cookies import Morsel, SimpleCookie
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.models.account import EmailAccount
from tests.conftest import apply_env
from tests.helpers import bearer, signed_up
from tests.mailhelpers import message
from tests.mailservers import MAIL_DOMAIN

CLIENT_ID, CLIENT_SECRET = "openfyxer-test", "client-secret-123"
CALLBACK_PATH = "/api/v1/accounts/oauth/custom/callback"
REDIRECT = "http://127.0.0.1:3000" + CALLBACK_PATH


@pytest.fixture
def oauth_env(monkeypatch, oauth, dovecot, database_url):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the local provider speaks plain http
    oauth.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT])
    apply_env(monkeypatch, database_url=database_url, tls_ca_file=str(dovecot.cert_path),
              custom_oauth_authorize_url=oauth.authorize_url, custom_oauth_token_url=oauth.token_url,
              custom_oauth_client_id=CLIENT_ID, custom_oauth_client_secret=CLIENT_SECRET,
              custom_oauth_scope="mail offline_access")
    return oauth


def _begin(client, h, mail_user, dovecot, relay) -> httpx.Response:  # noqa: ANN001
    r = client.post("/api/v1/accounts/oauth/custom/start", headers=h, json={
        "email_address": mail_user.address, "imap_host": dovecot.host, "imap_port": dovecot.imap_port,
        "imap_security": "none", "smtp_host": relay.host, "smtp_port": relay.port, "smtp_security": "starttls"})
    assert r.status_code == 200, r.text
    return r


def _start(client, h, mail_user, dovecot, relay) -> str:  # noqa: ANN001
    url = _begin(client, h, mail_user, dovecot, relay).json()["authorization_url"]
    q = parse_qs(urlsplit(url).query)
    assert q["code_challenge_method"] == ["S256"] and q["code_challenge"][0] and q["redirect_uri"] == [REDIRECT]
    return url


def _set_cookies(r: httpx.Response) -> dict[str, Morsel]:
    jar = SimpleCookie()
    for header in r.headers.get_list("set-cookie"):
        jar.load(header)
    return dict(jar)


def _nonce_cookie(client) -> tuple[str, str]:  # noqa: ANN001
    """(name, value) of the one flow nonce cookie the client holds."""
    (cookie,) = [c for c in client.cookies.jar if c.name.startswith("openfyxer_oauth_")]
    return cookie.name, cookie.value


def _cleared(r: httpx.Response, name: str) -> bool:
    cookie = _set_cookies(r).get(name)
    return cookie is not None and cookie["max-age"] == "0" and cookie["path"] == CALLBACK_PATH


def _refusals(client, h) -> list[dict]:  # noqa: ANN001
    items = client.get("/api/v1/audit", headers=h).json()["items"]
    return [a["details"] for a in items if a["action"] == "account.connect_refused"]


def _provider_names_the_mailbox(monkeypatch, provider, source: str) -> None:  # noqa: ANN001
    """How the provider tells whose tokens they are: an id_token (the scope asks for openid and
    email) or its userinfo endpoint (configured, the scope without openid)."""
    if source == "id_token":
        apply_env(monkeypatch, custom_oauth_scope="openid email mail offline_access")
    else:
        apply_env(monkeypatch, custom_oauth_userinfo_url=provider.userinfo_url)


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
    name, _ = _nonce_cookie(client)
    back = r.headers["location"].removeprefix("http://127.0.0.1:3000")
    out = client.get(back, follow_redirects=False)
    assert out.status_code == 303 and "oauth_error=access_denied" in out.headers["location"]
    assert _cleared(out, name)
    assert client.get("/api/v1/accounts", headers=h).json() == []


def test_unconfigured_provider_says_so(client):
    """GIVEN no Google client id WHEN a Gmail connection starts THEN a clear 422 naming the missing setting."""
    h = bearer(signed_up(client))
    r = client.post("/api/v1/accounts/oauth/google/start", headers=h, json={"email_address": "ana@gmail.com"})
    assert r.status_code == 422 and r.json()["code"] == "oauth_not_configured"


def test_each_flow_sets_its_own_nonce_cookie_for_its_callback_only(client, oauth_env, monkeypatch, make_mail_user,
                                                                   dovecot, relay):
    """GIVEN one browser starting two flows side by side (two mailboxes) WHEN each start answers THEN each sets its
    own nonce cookie: HttpOnly, SameSite=Lax (the provider's redirect is a cross-site navigation), sent only to the
    callback, living as long as the flow, not Secure over plain http unless configured; both flows complete, in
    the other order than they started."""
    ana, bob = make_mail_user(), make_mail_user()
    h = bearer(signed_up(client))
    first, second = _begin(client, h, ana, dovecot, relay), _begin(client, h, bob, dovecot, relay)
    (c1,), (c2,) = _set_cookies(first).values(), _set_cookies(second).values()
    assert c1.key != c2.key and c1.value != c2.value
    for c in (c1, c2):
        assert c.key.startswith("openfyxer_oauth_") and len(c.value) >= 43
        assert c["httponly"] and c["samesite"].lower() == "lax" and not c["secure"]
        assert c["path"] == CALLBACK_PATH and c["max-age"] == "900"
    backs = {}
    for user, r in ((ana, first), (bob, second)):
        oauth_env.login_as = user.name
        backs[user.name] = _approve_at_provider(r.json()["authorization_url"])
    for user in (bob, ana):
        r = client.get(backs[user.name], follow_redirects=False)
        assert r.headers["location"].startswith("/settings?connected="), r.text
    assert sorted(a["email_address"] for a in client.get("/api/v1/accounts", headers=h).json()) == sorted(
        [ana.address, bob.address])
    apply_env(monkeypatch, cookie_secure="true")
    (c3,) = _set_cookies(_begin(client, h, ana, dovecot, relay)).values()
    assert c3["secure"]


@pytest.mark.parametrize("other_browser", ["no cookie", "another cookie"])
def test_callback_in_another_browser_is_refused(client, oauth_env, mail_user, dovecot, relay, other_browser):
    """GIVEN someone who started a flow on their own account and sent the provider's link to another person
    WHEN that person signs in at the provider and their browser comes back without the flow's cookie, or with
    another value in it THEN the callback sends them to Settings with oauth_error=oauth_browser_mismatch before
    the code is exchanged: no account, the refusal audited, the flow used up (not even the right browser can
    finish it now), the cookie cleared."""
    oauth_env.login_as = mail_user.name
    h = bearer(signed_up(client))
    url = _start(client, h, mail_user, dovecot, relay)
    name, value = _nonce_cookie(client)
    back = _approve_at_provider(url)
    code = parse_qs(urlsplit(back).query)["code"][0]
    seen = len(oauth_env.requests)
    client.cookies.clear()
    cookie = {"Cookie": f"{name}={secrets.token_urlsafe(32)}"} if other_browser == "another cookie" else {}
    r = client.get(back, headers=cookie, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/settings?oauth_error=oauth_browser_mismatch"
    assert _cleared(r, name)
    assert not [f for _, path, f in oauth_env.requests[seen:] if path == "/token" and f.get("code") == code]
    assert client.get("/api/v1/accounts", headers=h).json() == []
    (refusal,) = _refusals(client, h)
    assert refusal["reason"] == "oauth_browser_mismatch" and refusal["email_address"] == mail_user.address
    assert refusal["cookie"] == ("missing" if other_browser == "no cookie" else "different")
    late = client.get(back, headers={"Cookie": f"{name}={value}"}, follow_redirects=False)
    assert late.status_code == 400 and late.json()["code"] == "oauth_state_invalid"
    assert client.get("/api/v1/accounts", headers=h).json() == []


@pytest.mark.parametrize("source", ["id_token", "userinfo"])
def test_provider_signing_in_another_mailbox_is_refused(client, oauth_env, monkeypatch, mail_user, make_mail_user,
                                                        dovecot, relay, source):
    """GIVEN a user who asks to connect one address WHEN the person at the provider signs in as another mailbox,
    and the provider says so (in its id_token, or at its userinfo endpoint) THEN back to Settings with
    oauth_error=oauth_identity_mismatch naming both addresses; nothing saved, the refusal audited."""
    _provider_names_the_mailbox(monkeypatch, oauth_env, source)
    other = make_mail_user()
    oauth_env.login_as = other.name
    h = bearer(signed_up(client))
    back = _approve_at_provider(_start(client, h, mail_user, dovecot, relay))
    name, _ = _nonce_cookie(client)
    seen = len(oauth_env.requests)
    r = client.get(back, follow_redirects=False)
    assert r.status_code == 303, r.text
    location = urlsplit(r.headers["location"])
    assert location.path == "/settings" and parse_qs(location.query) == {
        "oauth_error": ["oauth_identity_mismatch"], "asked": [mail_user.address], "authorized": [other.address]}
    assert _cleared(r, name)
    assert ("/userinfo" in [path for _, path, _ in oauth_env.requests[seen:]]) == (source == "userinfo")
    assert client.get("/api/v1/accounts", headers=h).json() == []
    (refusal,) = _refusals(client, h)
    assert refusal["reason"] == "oauth_identity_mismatch" and refusal["authorized"] == other.address


@pytest.mark.parametrize("source", ["id_token", "userinfo"])
def test_the_mailbox_asked_for_connects_when_the_provider_names_it(client, oauth_env, monkeypatch, mail_user,
                                                                   dovecot, relay, source):
    """GIVEN a provider that names the signed-in mailbox (id_token or userinfo) with its domain in capitals
    WHEN it is the address the user asked for THEN it connects (addresses compare as the app normalises them),
    and the flow's cookie is cleared."""
    _provider_names_the_mailbox(monkeypatch, oauth_env, source)
    oauth_env.login_as = mail_user.name
    oauth_env.email_domain = MAIL_DOMAIN.upper()
    h = bearer(signed_up(client))
    back = _approve_at_provider(_start(client, h, mail_user, dovecot, relay))
    name, _ = _nonce_cookie(client)
    seen = len(oauth_env.requests)
    r = client.get(back, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/settings?connected="), r.text
    assert _cleared(r, name) and not [c for c in client.cookies.jar if c.name == name]
    assert ("/userinfo" in [path for _, path, _ in oauth_env.requests[seen:]]) == (source == "userinfo")
    assert [a["email_address"] for a in client.get("/api/v1/accounts", headers=h).json()] == [mail_user.address]


def test_a_userinfo_url_on_this_server_is_refused_under_public(client, oauth_env, monkeypatch, mail_user, dovecot,
                                                              relay):
    """GIVEN the public outbound policy and a custom userinfo URL on this server's loopback WHEN the callback would
    ask it whose tokens they are THEN refused in our words before anything connects to it; nothing saved."""
    apply_env(monkeypatch, outbound="public",
              custom_oauth_userinfo_url=f"https://127.0.0.1:{oauth_env.port}/userinfo")
    oauth_env.login_as = mail_user.name
    h = bearer(signed_up(client))
    back = _approve_at_provider(_start(client, h, mail_user, dovecot, relay))
    name, _ = _nonce_cookie(client)
    seen = len(oauth_env.requests)
    r = client.get(back, follow_redirects=False)
    assert r.status_code == 400 and r.json()["code"] == "outbound_refused" and "loopback" in r.json()["detail"]
    assert _cleared(r, name)
    assert "/userinfo" not in [path for _, path, _ in oauth_env.requests[seen:]]
    assert client.get("/api/v1/accounts", headers=h).json() == []


def test_the_dashboards_begin_link_sets_the_cookie_only_for_the_user_who_started(client, oauth_env, mail_user,
                                                                                  dovecot, relay):
    """GIVEN a flow the dashboard started (it cannot set an HttpOnly cookie over its websocket, so it sends the
    browser to .../begin?ticket=T) WHEN a browser with no dashboard sign-in, or signed in as someone else, opens
    that link THEN no cookie is set and it lands on Settings with oauth_browser_mismatch; the user's own browser
    gets the HttpOnly nonce cookie and goes on to the provider, once; the callback then connects the mailbox."""
    from openfyxer.models.oauth import OAuthStart
    from openfyxer.models.user import User
    from openfyxer.services import auth
    from openfyxer.services.mail import oauth as oauth_service
    from tests.helpers import PASSWORD

    oauth_env.login_as = mail_user.name
    h = bearer(signed_up(client))
    signed_up(client, "eve@example.com")
    with session_scope() as db:
        ana = db.exec(select(User).where(User.email == "ana@example.com")).one()
        started = oauth_service.start(db, user=ana, provider="custom", data=OAuthStart(
            email_address=mail_user.address, imap_host=dovecot.host, imap_port=dovecot.imap_port,
            imap_security="none", smtp_host=relay.host, smtp_port=relay.port, smtp_security="starttls"))
        ana_cookie = auth.login(db, email="ana@example.com", password=PASSWORD).refresh_token
        eve_cookie = auth.login(db, email="eve@example.com", password=PASSWORD).refresh_token
        ana_id = ana.id
    begin = "/api/v1/accounts/oauth/custom/begin?ticket="
    for cookies in ({}, {"openfyxer_ui_refresh": eve_cookie}):
        ticket = oauth_service.browser_ticket(started, user_id=ana_id)
        client.cookies.clear()
        r = client.get(begin + ticket, cookies=cookies, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/settings?oauth_error=oauth_browser_mismatch"
        assert "set-cookie" not in r.headers
    ticket = oauth_service.browser_ticket(started, user_id=ana_id)
    client.cookies.clear()
    r = client.get(begin + ticket, cookies={"openfyxer_ui_refresh": ana_cookie}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == started.url
    nonce = _set_cookies(r)[started.cookie.name]
    assert nonce["httponly"] and nonce["samesite"].lower() == "lax" and nonce["path"] == CALLBACK_PATH
    again = client.get(begin + ticket, cookies={"openfyxer_ui_refresh": ana_cookie}, follow_redirects=False)
    assert again.headers["location"] == "/settings?oauth_error=oauth_browser_mismatch"  # a ticket works once
    back = _approve_at_provider(started.url)
    done = client.get(back, cookies={started.cookie.name: nonce.value}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/settings?connected=")
    assert [a["email_address"] for a in client.get("/api/v1/accounts", headers=h).json()] == [mail_user.address]
