"""The real mail servers of tests/mailservers.py do what other tests rely on.

Dovecot (IMAP/IMAPS/STARTTLS, LMTP, special-use folders, MOVE, CONDSTORE, maildir bulk load), the
aiosmtpd relay (AUTH, delivery into Dovecot, each injected fault as a client sees it) and the
OAuth2 provider (Authlib client round trip, then XOAUTH2/OAUTHBEARER on IMAP and SMTP).
"""

from __future__ import annotations

import base64
import email
import email.utils
import imaplib
import smtplib
import ssl
import time
import warnings
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests import mailservers
from tests.mailservers import MailUser, SmtpRelay

REDIRECT = "http://127.0.0.1:3000/oauth/callback"


def make_message(subject: str, sender: str, to: str, *, date: str | None = None, body: str = "Hello.\r\n",
                 extra: str = "") -> tuple[bytes, str]:
    msgid = email.utils.make_msgid(domain="example.test")
    date = date or email.utils.formatdate(localtime=False)
    raw = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: {msgid}\r\n"
           f"{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}")
    return raw.encode(), msgid


def count(user: MailUser, folder: str = "INBOX") -> int:
    conn = user.imap()
    try:
        typ, data = conn.status(folder, "(MESSAGES)")
        assert typ == "OK", data
        return int(data[0].decode().rsplit("MESSAGES ", 1)[1].rstrip(")"))
    finally:
        conn.logout()


def find(user: MailUser, msgid: str, folder: str = "INBOX") -> list[bytes]:
    """Raw messages in folder whose Message-ID is msgid."""
    conn = user.imap()
    try:
        conn.select(folder, readonly=True)
        typ, data = conn.search(None, "HEADER", "Message-ID", msgid)
        out = []
        for num in data[0].split():
            out.append(conn.fetch(num, "(BODY.PEEK[])")[1][0][1])
        return out
    finally:
        conn.logout()


def smtp_connect(relay: SmtpRelay, *, implicit_tls: bool = False) -> smtplib.SMTP:
    if implicit_tls:
        conn: smtplib.SMTP = smtplib.SMTP_SSL(relay.host, relay.tls_port, context=relay.ssl_context(), timeout=10)
    else:
        conn = smtplib.SMTP(relay.host, relay.port, timeout=10)
        conn.starttls(context=relay.ssl_context())
    conn.ehlo()
    return conn


def xoauth2(user: str, token: str) -> str:
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


# ------------------------------------------------------------------------------------------------
# Dovecot
# ------------------------------------------------------------------------------------------------

def test_imap_login_plain_starttls_and_imaps_with_our_certificate(dovecot: mailservers.Dovecot,
                                                                  mail_user: MailUser) -> None:
    """GIVEN a fresh user on the shared Dovecot
    WHEN they log in on the plain port, after STARTTLS, and on the IMAPS port with a verifying context
    THEN all three succeed (certificate valid for 127.0.0.1), and a client that does not trust our
    CA is refused on IMAPS."""
    for tls in ("plain", "starttls", "ssl"):
        conn = mail_user.imap(tls=tls)
        assert conn.state == "AUTH"
        if tls != "plain":
            assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
        conn.logout()
    assert dovecot.cert_path is not None and dovecot.cert_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=ssl.create_default_context(), timeout=5)


def test_failed_logins_cost_half_a_second_and_no_penalty(mail_user: MailUser) -> None:
    """GIVEN a user
    WHEN three logins with a wrong password are made in a row, then one with the right password
    THEN each failure answers within ~0.5 s (auth_failure_delay=0) and the good login is not
    delayed (Dovecot's per-IP auth penalty is off)."""
    for _ in range(3):
        conn = mail_user.dovecot.imap()
        started = time.monotonic()
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            conn.login(mail_user.name, "wrong")
        assert time.monotonic() - started < 1.5
        conn.logout()
    started = time.monotonic()
    mail_user.imap().logout()
    assert time.monotonic() - started < 1.0


def test_special_use_folders_move_and_pre_login_capabilities(mail_user: MailUser) -> None:
    """GIVEN a new user
    WHEN they LIST and use MOVE (imaplib only knows the pre-login capabilities)
    THEN Sent/Drafts/Trash/Junk/Archive carry their RFC 6154 attributes and are subscribed,
    MOVE is advertised before login, and a message really moves (no COPY + EXPUNGE fallback)."""
    raw, msgid = make_message("to archive", "x@example.org", mail_user.address)
    mail_user.dovecot.deliver(mail_user.name, raw)
    conn = mail_user.imap()
    assert {"MOVE", "ENABLE", "IDLE", "STARTTLS"} <= set(conn.capabilities)
    listed = {line.decode().rsplit(" ", 1)[1]: line.decode() for line in conn.list()[1]}
    for folder, attr in mailservers.SPECIAL_USE.items():
        assert attr in listed[folder]
    subscribed = {line.decode().rsplit(" ", 1)[1] for line in conn.lsub()[1]}
    assert set(mailservers.SPECIAL_USE) <= subscribed
    conn.select("INBOX")
    typ, data = conn.uid("MOVE", "1", "Archive")
    assert typ == "OK", data
    conn.logout()
    assert count(mail_user, "INBOX") == 0
    assert len(find(mail_user, msgid, "Archive")) == 1


def test_condstore_and_qresync_can_be_enabled(mail_user: MailUser) -> None:
    """GIVEN a mailbox with one message
    WHEN the client ENABLEs CONDSTORE (and QRESYNC) and changes a flag
    THEN SELECT reports HIGHESTMODSEQ, the flag change raises the message's MODSEQ and
    FETCH ... (CHANGEDSINCE n) returns just that change."""
    mail_user.dovecot.deliver(mail_user.name, make_message("modseq", "x@example.org", mail_user.address)[0])
    conn = mail_user.imap()
    typ, _ = conn.enable("CONDSTORE")
    assert typ == "OK"
    assert b"CONDSTORE" in conn.response("ENABLED")[1][0]
    conn.select("INBOX")
    highest = int(conn.response("HIGHESTMODSEQ")[1][0])
    typ, data = conn.fetch("1", "(UID MODSEQ)")
    before = int(data[0].decode().split("MODSEQ (")[1].split(")")[0])
    conn.store("1", "+FLAGS", r"(\Flagged)")
    typ, data = conn.uid("FETCH", "1:*", f"(FLAGS) (CHANGEDSINCE {highest})")
    assert typ == "OK" and data[0] is not None and b"\\Flagged" in data[0]
    after = int(data[0].decode().split("MODSEQ (")[1].split(")")[0])
    assert after > before
    conn.logout()
    conn = mail_user.imap()
    typ, _ = conn.enable("QRESYNC")
    assert typ == "OK" and b"QRESYNC" in conn.response("ENABLED")[1][0]
    conn.logout()


def test_lmtp_delivery_to_inbox_and_detail_folder(mail_user: MailUser) -> None:
    """GIVEN a user
    WHEN one message is delivered over LMTP to `user` and one to `user+Sent`
    THEN the first is in INBOX and the second in Sent (lmtp_save_to_detail_mailbox), each with
    Dovecot's Delivered-To/Return-Path added and our headers intact."""
    inbox_raw, inbox_id = make_message("incoming", "x@example.org", mail_user.address)
    sent_raw, sent_id = make_message("outgoing", mail_user.address, "x@example.org")
    mail_user.dovecot.deliver(mail_user.name, inbox_raw)
    mail_user.dovecot.deliver(f"{mail_user.name}+Sent", sent_raw, mail_from=mail_user.address)
    [got] = find(mail_user, inbox_id, "INBOX")
    parsed = email.message_from_bytes(got)
    assert parsed["Subject"] == "incoming" and parsed["Delivered-To"] == mail_user.address
    assert len(find(mail_user, sent_id, "Sent")) == 1
    assert find(mail_user, sent_id, "INBOX") == []


def test_maildir_bulk_load_is_seen_by_dovecot(mail_user: MailUser) -> None:
    """GIVEN a user whose INBOX Dovecot has already indexed (one LMTP message, one SELECT)
    WHEN 200 messages are written straight into the INBOX maildir (two calls), 30 (read) into
    Archive and 20 into a new folder Projects/2024
    THEN IMAP counts 201 / 30 / 20, UIDs follow the list order across calls, INTERNALDATE is the Date header,
    the Archive ones are \\Seen and the new folder is listed."""
    dovecot = mail_user.dovecot
    dovecot.deliver(mail_user.name, make_message("first", "x@example.org", mail_user.address)[0])
    conn = mail_user.imap()
    conn.select("INBOX")
    conn.logout()
    raws = [make_message(f"bulk {i:03d}", "x@example.org", mail_user.address,
                         date=email.utils.formatdate(1_700_000_000 + i * 60))[0] for i in range(200)]
    started = time.monotonic()
    paths = dovecot.deliver_many_maildir(mail_user.name, "INBOX", raws[:120])
    paths += dovecot.deliver_many_maildir(mail_user.name, "INBOX", raws[120:])
    dovecot.deliver_many_maildir(mail_user.name, "Archive", raws[:30], seen=True)
    dovecot.deliver_many_maildir(mail_user.name, "Projects/2024", raws[:20])
    assert time.monotonic() - started < 5
    assert all(p.parent.name == "cur" and ",S=" in p.name and p.name.endswith(":2,") for p in paths)
    assert (dovecot.maildir(mail_user.name) / ".Projects.2024" / "maildirfolder").exists()
    assert count(mail_user, "INBOX") == 201
    assert count(mail_user, "Archive") == 30
    assert count(mail_user, "Projects/2024") == 20
    conn = mail_user.imap()
    conn.select("INBOX", readonly=True)
    typ, data = conn.fetch("2:*", "(INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = [part[1].decode().strip() for part in data if isinstance(part, tuple)]
    assert subjects == [f"Subject: bulk {i:03d}" for i in range(200)]
    internal = imaplib.Internaldate2tuple(data[0][0])
    assert time.mktime(internal) == 1_700_000_000
    assert "Projects/2024" in b"".join(conn.list()[1]).decode()
    conn.select("Archive", readonly=True)
    assert conn.search(None, "UNSEEN")[1] == [b""]
    conn.logout()


# ------------------------------------------------------------------------------------------------
# SMTP relay
# ------------------------------------------------------------------------------------------------

def test_relay_requires_auth_and_tls_for_auth(relay: SmtpRelay, mail_user: MailUser) -> None:
    """GIVEN the relay
    WHEN a client sends without AUTH, tries AUTH before STARTTLS, or uses a wrong password
    THEN MAIL gets 530, AUTH is not offered in clear text, and a bad password gets 535."""
    raw, _ = make_message("no auth", mail_user.address, mail_user.address)
    with smtplib.SMTP(relay.host, relay.port, timeout=10) as conn:
        conn.ehlo()
        assert not conn.has_extn("auth") and conn.has_extn("starttls")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            conn.login(mail_user.name, mail_user.password)
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            conn.sendmail(mail_user.address, [mail_user.address], raw)
        assert refused.value.smtp_code == 530
    with smtp_connect(relay) as conn:
        with pytest.raises(smtplib.SMTPAuthenticationError) as bad:
            conn.login(mail_user.name, "wrong")
        assert bad.value.smtp_code == 535
    assert relay.delivered == []


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "implicit-tls"])
def test_relay_delivers_to_local_users_and_saves_sent(relay: SmtpRelay, make_mail_user, implicit_tls: bool) -> None:
    """GIVEN two users and relay.save_sent = True
    WHEN the first sends to the second (AUTH PLAIN, or AUTH LOGIN on implicit TLS) and also to an
    unknown address
    THEN the unknown recipient is refused with 550 at RCPT, the known one has the message in INBOX
    with In-Reply-To/References intact, the sender has a copy in Sent, and relay.delivered records it."""
    ana, bob = make_mail_user("ana"), make_mail_user("bob")
    relay.save_sent = True
    raw, msgid = make_message("Re: plan", ana.address, bob.address,
                              extra="In-Reply-To: <orig@example.test>\r\nReferences: <orig@example.test>\r\n")
    with smtp_connect(relay, implicit_tls=implicit_tls) as conn:
        if implicit_tls:
            conn.user, conn.password = ana.address, ana.password  # user@domain works too
            code, _ = conn.auth("LOGIN", conn.auth_login, initial_response_ok=False)
        else:
            code, _ = conn.login(ana.name, ana.password)
        assert code == 235
        refused = conn.sendmail(ana.address, [bob.address, "nobody-here@example.test"], raw)
    assert refused == {"nobody-here@example.test": (550, b"5.1.1 <nobody-here@example.test>: no such user here")}
    [got] = find(bob, msgid)
    parsed = email.message_from_bytes(got)
    assert parsed["In-Reply-To"] == "<orig@example.test>" and parsed["References"] == "<orig@example.test>"
    assert len(find(ana, msgid, "Sent")) == 1
    assert relay.delivered == [(ana.address, [bob.address], raw)]


# (fault, the smtplib call that fails, exception, SMTP code seen or None, delivered into Dovecot?)
FAULTS = [
    ("connect", "connect", smtplib.SMTPServerDisconnected, None, False),
    ("rcpt_4xx", "sendmail", smtplib.SMTPRecipientsRefused, 451, False),
    ("rcpt_5xx", "sendmail", smtplib.SMTPRecipientsRefused, 550, False),
    ("data_4xx", "sendmail", smtplib.SMTPDataError, 451, False),
    ("data_5xx", "sendmail", smtplib.SMTPDataError, 554, False),
    ("after_data", "sendmail", smtplib.SMTPServerDisconnected, None, True),
    ("after_reply", "quit", smtplib.SMTPServerDisconnected, None, True),
]


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "implicit-tls"])
@pytest.mark.parametrize(("fault", "stage", "exc", "code", "delivered"), FAULTS, ids=[f[0] for f in FAULTS])
def test_relay_fault_injection(relay: SmtpRelay, make_mail_user, fault: str, stage: str, exc: type,
                               code: int | None, delivered: bool, implicit_tls: bool) -> None:
    """GIVEN relay.fault set to one injected failure
    WHEN a client connects, authenticates, sends one message and quits
    THEN it fails at the expected step with the expected smtplib exception and code, the message
    is in the recipient's INBOX only for after_data/after_reply (the ambiguous cases), the fault
    is consumed, and the next send goes through normally."""
    ana, bob = make_mail_user("ana"), make_mail_user("bob")
    raw, msgid = make_message(f"fault {fault}", ana.address, bob.address)
    relay.fault = fault
    step = "connect"
    with pytest.raises(exc) as caught:
        conn = smtp_connect(relay, implicit_tls=implicit_tls)
        try:
            step = "login"
            conn.login(ana.name, ana.password)
            step = "sendmail"
            conn.sendmail(ana.address, [bob.address], raw)
            step = "quit"
            conn.quit()
        finally:
            conn.close()
    assert step == stage
    if isinstance(caught.value, smtplib.SMTPRecipientsRefused):
        assert caught.value.recipients[bob.address][0] == code
    elif code is not None:
        assert caught.value.smtp_code == code
    assert relay.fault is None
    assert len(find(bob, msgid)) == (1 if delivered else 0)
    assert len(relay.delivered) == (1 if delivered else 0)
    # The fault was one-shot: the retry is delivered (a second copy in the ambiguous cases).
    with smtp_connect(relay, implicit_tls=implicit_tls) as conn:
        conn.login(ana.name, ana.password)
        assert conn.sendmail(ana.address, [bob.address], raw) == {}
    assert len(find(bob, msgid)) == (2 if delivered else 1)


def test_unknown_fault_is_rejected(relay: SmtpRelay) -> None:
    """GIVEN the relay WHEN a test sets a fault name that does not exist THEN ValueError, nothing armed."""
    with pytest.raises(ValueError):
        relay.fault = "timeout"
    assert relay.fault is None


# ------------------------------------------------------------------------------------------------
# OAuth2 provider + XOAUTH2 / OAUTHBEARER
# ------------------------------------------------------------------------------------------------

def _authlib_client(**kwargs):
    import authlib.deprecate  # its import installs an "always" filter for its own warning class

    with warnings.catch_warnings():  # Authlib 1.9 prefers the httpx2 package and says so on import
        warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import OAuth2Client
    return OAuth2Client(**kwargs)


def test_oauth_round_trip_with_authlib_then_xoauth2_on_imap_and_smtp(oauth, dovecot, relay: SmtpRelay,
                                                                     mail_user: MailUser) -> None:
    """GIVEN a registered confidential client and the provider logged in as a fresh mail user
    WHEN Authlib's OAuth2Client runs authorize (PKCE S256) -> code -> fetch_token -> refresh_token
    -> introspect, and the access token is used for XOAUTH2 on IMAP and SMTP and OAUTHBEARER on IMAP
    THEN each step succeeds, introspection names the user, both servers accept the token, and the
    message sent over SMTP lands in the user's INBOX."""
    from authlib.common.security import generate_token

    oauth.register_client("openfyxer-roundtrip", "s3cret", [REDIRECT])
    oauth.login_as = mail_user.name
    verifier = generate_token(48)
    with _authlib_client(client_id="openfyxer-roundtrip", client_secret="s3cret", scope="mail offline_access",
                         redirect_uri=REDIRECT, code_challenge_method="S256") as client:
        url, state = client.create_authorization_url(oauth.authorize_url, code_verifier=verifier)
        assert "code_challenge_method=S256" in url
        resp = httpx.get(url, follow_redirects=False)
        assert resp.status_code == 302
        location = resp.headers["location"]
        query = parse_qs(urlsplit(location).query)
        assert location.startswith(REDIRECT + "?") and query["state"] == [state] and query["code"]
        token = client.fetch_token(oauth.token_url, authorization_response=location, code_verifier=verifier)
        assert token["token_type"] == "Bearer" and token["refresh_token"] and token["expires_in"] == 3600
        refreshed = client.refresh_token(oauth.token_url, refresh_token=token["refresh_token"])
        assert refreshed["access_token"] != token["access_token"]
        info = client.introspect_token(oauth.introspect_url, token=refreshed["access_token"]).json()
    assert info["active"] is True and info["username"] == mail_user.name and info["client_id"] == "openfyxer-roundtrip"
    access = refreshed["access_token"]

    conn = dovecot.imap(tls="starttls")
    typ, _ = mailservers.imap_xoauth2(conn, mail_user.name, access)
    assert typ == "OK" and conn.state == "AUTH"
    conn.logout()
    conn = dovecot.imap()
    bearer = f"n,a={mail_user.address},\x01host=127.0.0.1\x01port={dovecot.imap_port}\x01auth=Bearer {access}\x01\x01"
    assert conn.authenticate("OAUTHBEARER", lambda _: bearer.encode())[0] == "OK"
    conn.logout()

    raw, msgid = make_message("sent with oauth", mail_user.address, mail_user.address)
    with smtp_connect(relay) as smtp:
        code, _ = smtp.auth("XOAUTH2", lambda challenge=None: xoauth2(mail_user.address, access))
        assert code == 235
        smtp.sendmail(mail_user.address, [mail_user.address], raw)
    assert len(find(mail_user, msgid)) == 1
    assert ("XOAUTH2", mail_user.address, True) in relay.auth_log


def test_expired_access_token_is_refused_by_imap_and_smtp_then_refresh_works(oauth, dovecot, relay: SmtpRelay,
                                                                             mail_user: MailUser) -> None:
    """GIVEN a token pair whose access token lives 1 s (provider.access_ttl = 1)
    WHEN the access token has expired
    THEN introspection says inactive, Dovecot refuses XOAUTH2 and the relay answers 535 (after the
    RFC 7628 error challenge); a refresh through Authlib gives a token both accept again."""
    oauth.register_client("openfyxer-expiry", "s3cret", [REDIRECT])
    oauth.access_ttl = 1
    pair = oauth.issue_tokens(mail_user.name, client_id="openfyxer-expiry")
    assert pair["expires_in"] == 1 and oauth.introspect(pair["access_token"])["active"] is True
    time.sleep(1.1)
    assert oauth.introspect(pair["access_token"]) == {"active": False}
    conn = dovecot.imap()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        mailservers.imap_xoauth2(conn, mail_user.name, pair["access_token"])
    conn.logout()
    with smtp_connect(relay) as smtp:
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.auth("XOAUTH2", lambda challenge=None: xoauth2(mail_user.name, pair["access_token"]))
        assert refused.value.smtp_code == 535

    oauth.access_ttl = 3600
    with _authlib_client(client_id="openfyxer-expiry", client_secret="s3cret") as client:
        fresh = client.refresh_token(oauth.token_url, refresh_token=pair["refresh_token"])
    conn = dovecot.imap()
    assert mailservers.imap_xoauth2(conn, mail_user.name, fresh["access_token"])[0] == "OK"
    conn.logout()
    with smtp_connect(relay, implicit_tls=True) as smtp:
        assert smtp.auth("XOAUTH2", lambda challenge=None: xoauth2(mail_user.name, fresh["access_token"]))[0] == 235


def test_token_of_another_user_is_refused(oauth, dovecot, relay: SmtpRelay, make_mail_user) -> None:
    """GIVEN a valid access token for one user WHEN it is presented for another THEN IMAP and SMTP refuse it."""
    ana, bob = make_mail_user("ana"), make_mail_user("bob")
    access = oauth.issue_tokens(ana.name)["access_token"]
    conn = dovecot.imap()
    with pytest.raises(imaplib.IMAP4.error):
        mailservers.imap_xoauth2(conn, bob.name, access)
    conn.logout()
    with smtp_connect(relay) as smtp, pytest.raises(smtplib.SMTPAuthenticationError):
        smtp.auth("XOAUTH2", lambda challenge=None: xoauth2(bob.name, access))


def test_oauth_provider_refuses_what_a_real_one_refuses(oauth) -> None:
    """GIVEN a registered client
    WHEN the authorize/token endpoints get an unregistered redirect URI, no logged-in user, a wrong
    PKCE verifier, a reused code, a wrong secret, a rotated refresh token or an injected fault
    THEN they answer like RFC 6749/7636 says (400 without redirect, error=access_denied,
    invalid_grant, invalid_client 401, 500 once) and introspection only calls live access tokens active."""
    oauth.register_client("openfyxer-neg", "s3cret", [REDIRECT])
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(__import__("hashlib").sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": "openfyxer-neg", "redirect_uri": REDIRECT, "state": "st",
              "code_challenge": challenge, "code_challenge_method": "S256", "scope": "mail"}

    bad_redirect = httpx.get(oauth.authorize_url, params={**params, "redirect_uri": "http://evil.test/cb"})
    assert bad_redirect.status_code == 400 and "location" not in bad_redirect.headers
    denied = httpx.get(oauth.authorize_url, params=params)
    assert denied.status_code == 302 and parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    oauth.login_as = "ana"
    no_pkce = httpx.get(oauth.authorize_url, params={k: v for k, v in params.items() if not k.startswith("code_")})
    assert "error=invalid_request" in no_pkce.headers["location"]

    def new_code() -> str:
        resp = httpx.get(oauth.authorize_url, params=params)
        return parse_qs(urlsplit(resp.headers["location"]).query)["code"][0]

    def token(data: dict, auth=("openfyxer-neg", "s3cret")) -> httpx.Response:
        return httpx.post(oauth.token_url, data=data, auth=auth)

    code_form = {"grant_type": "authorization_code", "redirect_uri": REDIRECT}
    wrong = token({**code_form, "code": new_code(), "code_verifier": "w" * 50})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    code = new_code()
    assert token({**code_form, "code": code, "code_verifier": verifier}, auth=("openfyxer-neg", "nope")).status_code == 401
    ok = token({**code_form, "code": code, "code_verifier": verifier})
    assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store"
    assert token({**code_form, "code": code, "code_verifier": verifier}).json()["error"] == "invalid_grant"
    # A reused code revokes what it issued (RFC 6749 4.1.2).
    assert oauth.introspect(ok.json()["access_token"]) == {"active": False}

    pair = oauth.issue_tokens("ana", client_id="openfyxer-neg")
    assert oauth.introspect(pair["refresh_token"]) == {"active": False}  # only access tokens are "active"
    oauth.rotate_refresh_tokens = True
    rotated = token({"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != pair["refresh_token"]
    assert token({"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}).json()["error"] == "invalid_grant"
    oauth.token_fault = "server_error"
    again = {"grant_type": "refresh_token", "refresh_token": rotated.json()["refresh_token"]}
    assert token(again).status_code == 500
    assert token(again).status_code == 200
    meta = httpx.get(oauth.metadata_url).json()
    assert meta["token_endpoint"] == oauth.token_url and meta["code_challenge_methods_supported"] == ["S256"]
