"""OAuth2 authorization code + PKCE and token refresh with Authlib, for mail providers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import OAuth2Error

from openfyxer.core.errors import OpenFyxerError


class OAuthError(OpenFyxerError):
    """The OAuth provider refused or failed."""

    status = 400
    code = "oauth_error"


@dataclass(frozen=True)
class Endpoints:
    authorize_url: str
    token_url: str
    client_id: str
    client_secret: str
    scope: str
    extra_authorize: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None


def _client(ep: Endpoints, redirect_uri: str | None = None) -> OAuth2Client:
    return OAuth2Client(client_id=ep.client_id, client_secret=ep.client_secret, scope=ep.scope,
                        redirect_uri=redirect_uri, code_challenge_method="S256", timeout=20)


def authorization_url(ep: Endpoints, redirect_uri: str, login_hint: str | None = None) -> tuple[str, str, str]:
    """(url, state, code_verifier): the verifier stays on the server until the callback."""
    verifier = generate_token(64)
    extra = dict(ep.extra_authorize)
    if login_hint:
        extra["login_hint"] = login_hint
    with _client(ep, redirect_uri) as client:
        url, state = client.create_authorization_url(ep.authorize_url, code_verifier=verifier, **extra)
    return url, state, verifier


def _tokens(raw: dict) -> Tokens:
    if not raw.get("access_token"):
        raise OAuthError("the provider returned no access token")
    expires_at = None
    if raw.get("expires_at"):
        expires_at = datetime.fromtimestamp(int(raw["expires_at"]), UTC)
    elif raw.get("expires_in"):
        expires_at = datetime.now(UTC) + timedelta(seconds=int(raw["expires_in"]))
    return Tokens(raw["access_token"], raw.get("refresh_token"), expires_at)


def exchange_code(ep: Endpoints, redirect_uri: str, code: str, verifier: str) -> Tokens:
    try:
        with _client(ep, redirect_uri) as client:
            return _tokens(client.fetch_token(ep.token_url, code=code, code_verifier=verifier,
                                              grant_type="authorization_code"))
    except (OAuth2Error, OSError, ValueError) as e:
        raise OAuthError(f"the provider refused the authorization code: {e}") from e


def refresh(ep: Endpoints, refresh_token: str) -> Tokens:
    try:
        with _client(ep) as client:
            t = _tokens(client.refresh_token(ep.token_url, refresh_token=refresh_token))
    except (OAuth2Error, OSError, ValueError) as e:
        raise OAuthError(f"refreshing the access token failed: {e}") from e
    # Providers may omit the refresh token when it did not change.
    return Tokens(t.access_token, t.refresh_token or refresh_token, t.expires_at)
