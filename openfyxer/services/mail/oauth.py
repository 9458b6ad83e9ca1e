"""Connecting Gmail, Outlook or a self-hosted OAuth2 provider, and keeping access tokens fresh.

Gmail and Outlook differ only in their endpoints and mail hosts; the flow (authorization code
with PKCE, then XOAUTH2 over IMAP and SMTP) is the same code for all three.

Two checks keep a flow to the mailbox and the person it was started for. The browser that starts a
flow gets a nonce cookie and the callback must bring it back: otherwise someone could start a flow
on their own account, send the provider's link to someone else, and get that person's mailbox
connected to their account when they sign in. And the provider must say the tokens are for the
address the user asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.errors import Conflict, NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.integrations import oauth_client
from openfyxer.integrations.oauth_client import Endpoints, OAuthError
from openfyxer.models.account import EmailAccount
from openfyxer.models.oauth import OAuthFlow, OAuthStart
from openfyxer.models.types import check_address
from openfyxer.models.user import User
from openfyxer.security import outbound
from openfyxer.services import audit, ephemeral
from openfyxer.services.mail.accounts import PRESETS, mailbox_for

PROVIDERS = {"google": "gmail", "microsoft": "outlook", "custom": "imap"}
FLOW_TTL = timedelta(minutes=15)
REFRESH_MARGIN = timedelta(minutes=2)
NONCE_COOKIE_PREFIX = "openfyxer_oauth_"
GOOGLE_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"
GOOGLE_CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
OUTLOOK_MAIL_SCOPE = ("openid email offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
                      "https://outlook.office.com/SMTP.Send")
GRAPH_CALENDAR_SCOPE = "https://graph.microsoft.com/Calendars.ReadWrite"


class OAuthRefused(OAuthError):
    """The callback was refused for good: its flow is used up and the refusal is in the audit log,
    and nothing else changed, so the caller commits before it answers. `shown`: what the user may be
    told besides the code (the addresses of an identity mismatch)."""

    def __init__(self, message: str, *, code: str, shown: dict[str, str] | None = None):
        super().__init__(message, code=code)
        self.shown = shown or {}


@dataclass(frozen=True)
class BrowserCookie:
    """The nonce cookie the browser starting a flow must get; the callback needs it back."""

    name: str
    value: str
    path: str
    max_age: int


@dataclass(frozen=True)
class Started:
    url: str  # the provider's sign-in page
    state: str
    cookie: BrowserCookie


def known(provider: str) -> str:
    """The provider's name, or NotFound: it becomes part of a path, a cookie's path and a redirect."""
    if provider not in PROVIDERS:
        raise NotFound(f"unknown OAuth provider {provider[:40]!r}")
    return provider


def endpoints(provider: str) -> Endpoints:
    s = get_settings()
    if provider == "google":
        # "openid email": the token answer then carries an id_token naming the mailbox signed in.
        # One token for mail and calendar: the calendars of a Gmail account need no second consent.
        ep = Endpoints("https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
                       s.google_client_id, s.google_client_secret,
                       f"openid email https://mail.google.com/ {GOOGLE_CALENDAR_SCOPE}",
                       (("access_type", "offline"), ("prompt", "consent")))
    elif provider == "microsoft":
        base = f"https://login.microsoftonline.com/{s.microsoft_tenant}/oauth2/v2.0"
        # OpenID scopes do not change the access token's audience (Outlook), and bring the id_token.
        # Consent to mail and calendar at once; the code gives the mail token (Outlook's API), the
        # refresh token then a Graph one for the calendar (graph_token).
        ep = Endpoints(f"{base}/authorize", f"{base}/token", s.microsoft_client_id, s.microsoft_client_secret,
                       f"{OUTLOOK_MAIL_SCOPE} {GRAPH_CALENDAR_SCOPE}", token_scope=OUTLOOK_MAIL_SCOPE)
    elif provider == "custom":
        ep = Endpoints(s.custom_oauth_authorize_url, s.custom_oauth_token_url, s.custom_oauth_client_id,
                       s.custom_oauth_client_secret, s.custom_oauth_scope)
    else:
        raise NotFound(f"unknown OAuth provider {provider!r}")
    if not (ep.authorize_url and ep.token_url and ep.client_id):
        raise ValidationError(f"OAuth for {provider} is not configured: set its client id and secret in .env",
                              code="oauth_not_configured")
    return ep


def redirect_uri(provider: str) -> str:
    s = get_settings()
    base = (s.oauth_redirect_base or f"http://127.0.0.1:{s.port}").rstrip("/")
    return f"{base}/api/v1/accounts/oauth/{provider}/callback"


def cookie_name(state: str) -> str:
    """A name per flow, so two flows started side by side (two tabs, two mailboxes) keep their own
    nonce; the callback finds it again from the state the provider sends back."""
    return NONCE_COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:16]


def cookie_path(provider: str) -> str:
    """Sent back only to this provider's callback, whatever path the server is published under."""
    return urlsplit(redirect_uri(provider)).path


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def start(session: Session, *, user: User, provider: str, data: OAuthStart) -> Started:
    """Begin the authorization: the provider URL to send the browser to, and the cookie that browser
    must hold when it comes back (the flow keeps only its hash)."""
    ep = endpoints(provider)
    if provider == "custom" and not (data.imap_host and data.smtp_host):
        raise ValidationError("a custom OAuth account needs imap_host and smtp_host")
    url, state, verifier = oauth_client.authorization_url(ep, redirect_uri(provider), login_hint=str(data.email_address))
    nonce = secrets.token_urlsafe(32)
    session.execute(delete(OAuthFlow).where(OAuthFlow.created_at < datetime.now(UTC) - FLOW_TTL))
    session.add(OAuthFlow(state=state, user_id=user.id, provider=provider, code_verifier=verifier,
                          params=data.model_dump(mode="json"), browser_nonce_hash=_nonce_hash(nonce)))
    session.flush()
    cookie = BrowserCookie(cookie_name(state), nonce, cookie_path(provider), int(FLOW_TTL.total_seconds()))
    return Started(url, state, cookie)


# The dashboard starts a flow over its websocket, which cannot set an HttpOnly cookie. It sends the
# browser to GET .../begin?ticket=T instead: the ticket (one use, a minute) names the started flow,
# and the begin route sets the nonce cookie only for a browser signed in as the flow's user, so a
# begin link forwarded to someone else sets nothing.
TICKET_SECONDS = 60


def browser_ticket(started: Started, *, user_id: uuid.UUID) -> str:
    ticket = secrets.token_urlsafe(32)
    ephemeral.put("oauth-begin", _nonce_hash(ticket), json.dumps({
        "user_id": str(user_id), "url": started.url, "name": started.cookie.name, "value": started.cookie.value,
        "path": started.cookie.path, "max_age": started.cookie.max_age}), TICKET_SECONDS)
    return ticket


def claim_ticket(ticket: str, *, user_id: uuid.UUID | None) -> Started | None:
    """The flow a ticket stands for, once, and only for the user who started it."""
    raw = ephemeral.get("oauth-begin", _nonce_hash(ticket), take=True) if 0 < len(ticket) <= 128 else None
    if raw is None:
        return None
    data = json.loads(raw)
    if user_id is None or data["user_id"] != str(user_id):
        return None
    return Started(data["url"], "", BrowserCookie(data["name"], data["value"], data["path"], data["max_age"]))


def _same_browser(flow: OAuthFlow, nonce: str | None) -> bool:
    if not (nonce and flow.browser_nonce_hash):
        return False
    return hmac.compare_digest(_nonce_hash(nonce), flow.browser_nonce_hash)


def _normal(address: str) -> str:
    """An address as the app stores it, so the provider's spelling compares with the user's."""
    try:
        return check_address(address)
    except ValueError:
        return address.strip().lower()


def _claimed_email(claims: dict) -> str | None:
    email = claims.get("email")
    # An address the provider itself says it has not verified is anyone's to type in: no evidence.
    if isinstance(email, str) and email.strip() and claims.get("email_verified") is not False:
        return _normal(email)[:254]
    return None


def _userinfo_url(provider: str) -> str:
    # Microsoft has none that fits: Graph's /me would name the mailbox, but a token has one audience,
    # this one is Outlook's (IMAP and SMTP), and Graph refuses it. Its id_token is the source.
    return {"google": GOOGLE_USERINFO_URL, "custom": get_settings().custom_oauth_userinfo_url}.get(provider, "")


def _authorized_address(provider: str, tokens: oauth_client.Tokens) -> str | None:
    """The mailbox the provider says the tokens are for (normalised); None when it has no way to say.
    Then the IMAP XOAUTH2 login with the asked address and this token (finish's verify) is the check:
    the mail server refuses a token that belongs to another mailbox."""
    if tokens.id_token:
        if email := _claimed_email(oauth_client.id_token_claims(tokens.id_token)):
            return email
    url = _userinfo_url(provider)
    if not url:
        return None
    # The custom provider's URL is configured, not ours: it goes through the outbound policy.
    target = outbound.url_target(url, purpose="OAuth userinfo endpoint") if provider == "custom" else None
    return _claimed_email(oauth_client.userinfo(url, tokens.access_token, target=target))


def _account_from(flow: OAuthFlow, tokens: oauth_client.Tokens) -> EmailAccount:
    p = flow.params
    preset = PRESETS.get(PROVIDERS[flow.provider], {})
    ih, ip, isec = preset.get("imap", (p.get("imap_host"), p.get("imap_port") or 993, p.get("imap_security") or "ssl"))
    sh, sp, ssec = preset.get("smtp", (p.get("smtp_host"), p.get("smtp_port") or 465, p.get("smtp_security") or "ssl"))
    email = p["email_address"].lower()
    return EmailAccount(
        user_id=flow.user_id, provider=PROVIDERS[flow.provider], email_address=email, username=email,
        imap_host=ih, imap_port=ip, imap_security=isec, smtp_host=sh, smtp_port=sp, smtp_security=ssec,
        smtp_saves_sent=preset.get("saves_sent", False), oauth_token=tokens.access_token,
        oauth_refresh_token=tokens.refresh_token, oauth_expires_at=tokens.expires_at,
    )


def _refused(session: Session, flow: OAuthFlow, code: str, ip: str | None, **details: str) -> None:
    audit.record(session, action="account.connect_refused", user_id=flow.user_id,
                 details={"oauth": flow.provider, "reason": code,
                          "email_address": flow.params.get("email_address"), **details}, ip=ip)


def finish(session: Session, *, provider: str, state: str, code: str, browser_nonce: str | None,
           ip: str | None = None) -> EmailAccount:
    """The provider's callback: check it came back to the browser that started the flow (its nonce
    cookie), exchange the code, check the tokens are for the address asked for, prove IMAP and SMTP
    accept the token, save."""
    flow = session.exec(select(OAuthFlow).where(OAuthFlow.state == state, OAuthFlow.provider == provider)).first()
    if flow is None or flow.created_at < datetime.now(UTC) - FLOW_TTL:
        raise OAuthError("unknown or expired authorization; start again", code="oauth_state_invalid")
    session.delete(flow)  # one use only
    if not _same_browser(flow, browser_nonce):
        # Refused before the code is exchanged: no token for whoever signed in there is ever fetched.
        _refused(session, flow, "oauth_browser_mismatch", ip, cookie="different" if browser_nonce else "missing")
        raise OAuthRefused("the sign-in came back to a browser that did not start it; nothing was connected",
                           code="oauth_browser_mismatch")
    tokens = oauth_client.exchange_code(endpoints(provider), redirect_uri(provider), code, flow.code_verifier)
    asked = _normal(flow.params["email_address"])
    authorized = _authorized_address(provider, tokens)
    if authorized not in (None, asked):
        _refused(session, flow, "oauth_identity_mismatch", ip, authorized=authorized)
        raise OAuthRefused(f"you asked to connect {asked}, but the provider signed in {authorized}; "
                           "nothing was connected", code="oauth_identity_mismatch",
                           shown={"asked": asked, "authorized": authorized})
    account = _account_from(flow, tokens)
    if session.exec(select(EmailAccount).where(EmailAccount.user_id == flow.user_id,
                                               EmailAccount.email_address == account.email_address)).first():
        raise Conflict(f"{account.email_address} is already connected", code="account_exists")
    mailbox_for(account, access_token=tokens.access_token).verify()
    session.add(account)
    session.flush()
    audit.record(session, action="account.connect", user_id=flow.user_id, entity_type="email_account",
                 entity_id=account.id, details={"provider": account.provider, "oauth": provider,
                                                "email_address": account.email_address}, ip=ip)
    later(session, "sync_account", account.id, owner=flow.user_id)
    return account


def graph_token(session: Session, account: EmailAccount) -> oauth_client.Tokens:
    """A Microsoft Graph token for an Outlook account's calendars, from its refresh token (the user
    consented to the calendar with the mail); the refresh token the answer brings is kept."""
    if not account.oauth_refresh_token:
        raise OAuthError("the Outlook account has no refresh token; connect it again", code="oauth_reconnect")
    tokens = oauth_client.refresh(endpoints("microsoft"), account.oauth_refresh_token,
                                  scope=f"{GRAPH_CALENDAR_SCOPE} offline_access")
    account.oauth_refresh_token = tokens.refresh_token
    session.add(account)
    session.flush()
    return tokens


def access_token_for(session: Session, account: EmailAccount) -> str:
    """A valid access token, refreshed (and stored encrypted) shortly before it expires."""
    if account.oauth_token and account.oauth_expires_at and account.oauth_expires_at - REFRESH_MARGIN > datetime.now(UTC):
        return account.oauth_token
    if not account.oauth_refresh_token:
        if account.oauth_token:
            return account.oauth_token
        raise OAuthError("the account has no OAuth token; connect it again", code="oauth_reconnect")
    provider = {v: k for k, v in PROVIDERS.items()}.get(account.provider, "custom")
    tokens = oauth_client.refresh(endpoints(provider), account.oauth_refresh_token)
    account.oauth_token, account.oauth_refresh_token = tokens.access_token, tokens.refresh_token
    account.oauth_expires_at = tokens.expires_at
    session.add(account)
    session.flush()
    return tokens.access_token

