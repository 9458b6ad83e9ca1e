"""Connecting Gmail, Outlook or a self-hosted OAuth2 provider, and keeping access tokens fresh.

Gmail and Outlook differ only in their endpoints and mail hosts; the flow (authorization code
with PKCE, then XOAUTH2 over IMAP and SMTP) is the same code for all three.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.errors import Conflict, NotFound, ValidationError
from openfyxer.core.later import later
from openfyxer.integrations import oauth_client
from openfyxer.integrations.oauth_client import Endpoints, OAuthError
from openfyxer.models.account import EmailAccount
from openfyxer.models.oauth import OAuthFlow, OAuthStart
from openfyxer.models.user import User
from openfyxer.services import audit
from openfyxer.services.mail.accounts import PRESETS, mailbox_for

PROVIDERS = {"google": "gmail", "microsoft": "outlook", "custom": "imap"}
FLOW_TTL = timedelta(minutes=15)
REFRESH_MARGIN = timedelta(minutes=2)


def endpoints(provider: str) -> Endpoints:
    s = get_settings()
    if provider == "google":
        ep = Endpoints("https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
                       s.google_client_id, s.google_client_secret, "https://mail.google.com/",
                       (("access_type", "offline"), ("prompt", "consent")))
    elif provider == "microsoft":
        base = f"https://login.microsoftonline.com/{s.microsoft_tenant}/oauth2/v2.0"
        ep = Endpoints(f"{base}/authorize", f"{base}/token", s.microsoft_client_id, s.microsoft_client_secret,
                       "offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
                       "https://outlook.office.com/SMTP.Send")
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


def start(session: Session, *, user: User, provider: str, data: OAuthStart) -> tuple[str, str]:
    """Begin the authorization: returns the provider URL to send the browser to, and the state."""
    ep = endpoints(provider)
    if provider == "custom" and not (data.imap_host and data.smtp_host):
        raise ValidationError("a custom OAuth account needs imap_host and smtp_host")
    url, state, verifier = oauth_client.authorization_url(ep, redirect_uri(provider), login_hint=str(data.email_address))
    session.execute(delete(OAuthFlow).where(OAuthFlow.created_at < datetime.now(UTC) - FLOW_TTL))
    session.add(OAuthFlow(state=state, user_id=user.id, provider=provider, code_verifier=verifier,
                          params=data.model_dump(mode="json")))
    session.flush()
    return url, state


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


def finish(session: Session, *, provider: str, state: str, code: str, ip: str | None = None) -> EmailAccount:
    """The provider's callback: exchange the code, prove IMAP and SMTP accept the token, save."""
    flow = session.exec(select(OAuthFlow).where(OAuthFlow.state == state, OAuthFlow.provider == provider)).first()
    if flow is None or flow.created_at < datetime.now(UTC) - FLOW_TTL:
        raise OAuthError("unknown or expired authorization; start again", code="oauth_state_invalid")
    session.delete(flow)  # one use only
    tokens = oauth_client.exchange_code(endpoints(provider), redirect_uri(provider), code, flow.code_verifier)
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
    later(session, "sync_account", account.id)
    return account


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

