"""OAuth2 authorization code + PKCE and token refresh with Authlib, for mail providers; what the
provider says about whose tokens they are (the id_token, the userinfo endpoint)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.base_client.errors import OAuthError as AuthlibClientError
from authlib.oauth2.rfc6749.errors import OAuth2Error

from openfyxer.core.errors import OpenFyxerError
from openfyxer.security import outbound

USERINFO_TIMEOUT = 15  # seconds, to connect and then between bytes
USERINFO_MAX_BYTES = 64 * 1024  # a userinfo answer is a few hundred bytes


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
    # Microsoft asks for consent to several APIs at once but gives a token for one API at a time:
    # the code is redeemed for this one, the refresh token later for the others (`refresh(scope=)`).
    token_scope: str = ""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    id_token: str | None = None  # OpenID providers add one when the scope asks for "openid"


# What Authlib raises for a refusal: its httpx client turns an error answer ("invalid_grant",
# "invalid_scope") into its own OAuthError, which is not an OAuth2Error.
_REFUSED = (OAuth2Error, AuthlibClientError, OSError, ValueError)


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
    return Tokens(raw["access_token"], raw.get("refresh_token"), expires_at, raw.get("id_token") or None)


def exchange_code(ep: Endpoints, redirect_uri: str, code: str, verifier: str) -> Tokens:
    try:
        with _client(ep, redirect_uri) as client:
            extra = {"scope": ep.token_scope} if ep.token_scope else {}
            return _tokens(client.fetch_token(ep.token_url, code=code, code_verifier=verifier,
                                              grant_type="authorization_code", **extra))
    except _REFUSED as e:
        raise OAuthError(f"the provider refused the authorization code: {e}") from e


def refresh(ep: Endpoints, refresh_token: str, *, scope: str | None = None) -> Tokens:
    """A new access token; `scope` asks for one for another API the user consented to (Microsoft)."""
    try:
        with _client(ep) as client:
            t = _tokens(client.refresh_token(ep.token_url, refresh_token=refresh_token,
                                             **({"scope": scope} if scope else {})))
    except _REFUSED as e:
        raise OAuthError(f"refreshing the access token failed: {e}") from e
    # Providers may omit the refresh token when it did not change.
    return Tokens(t.access_token, t.refresh_token or refresh_token, t.expires_at)


def id_token_claims(id_token: str) -> dict:
    """The claims of an OpenID id_token, its signature not checked.

    Only for an id_token taken straight from the token endpoint, over TLS, in answer to our own
    code: OpenID Connect Core 3.1.3.7 lets TLS stand in for the signature there, since nobody but
    the provider could have written it into that answer."""
    parts = id_token.split(".")
    if len(parts) != 3:
        raise OAuthError("the provider's id_token is not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError) as e:
        raise OAuthError("the provider's id_token could not be read") from e
    if not isinstance(claims, dict):
        raise OAuthError("the provider's id_token could not be read")
    return claims


def userinfo(url: str, access_token: str, *, target: outbound.Target | None = None) -> dict:
    """The userinfo endpoint's answer for this access token.

    `target`: the destination as the outbound policy checked it, for a URL an operator configured;
    the connection goes to the checked address and nowhere else. None for a provider's own fixed URL.
    Errors say what failed in our words: nothing the remote sent is repeated."""
    with requests.Session() as http:
        if target is not None:
            adapter = outbound.PinnedAdapter(target)
            http.mount("http://", adapter)
            http.mount("https://", adapter)
        try:
            with http.get(url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                          timeout=USERINFO_TIMEOUT, allow_redirects=False, stream=True) as r:
                if r.status_code != 200:
                    raise OAuthError("the provider's userinfo endpoint did not give the user's details "
                                     f"(HTTP {r.status_code})")
                body = b""
                for chunk in r.iter_content(8192):
                    body += chunk
                    if len(body) > USERINFO_MAX_BYTES:
                        raise OAuthError("the provider's userinfo answer is too large")
        except requests.RequestException as e:
            raise OAuthError("the provider's userinfo endpoint could not be reached") from e
    try:
        info = json.loads(body)
    except ValueError as e:
        raise OAuthError("the provider's userinfo answer is not JSON") from e
    if not isinstance(info, dict):
        raise OAuthError("the provider's userinfo answer is not a JSON object")
    return info
