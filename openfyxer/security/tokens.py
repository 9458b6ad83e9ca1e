"""JWT access and refresh tokens.

Decoding names the one algorithm we sign with and requires exp, iat, sub, aud, iss and our
own `typ`, so `alg=none`, a token signed with another key, an expired one, one meant for
another audience, or a refresh token used as an access token are all refused.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from openfyxer.core.config import get_settings
from openfyxer.core.errors import AuthError

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    token_type: str
    jti: str
    expires_at: datetime


def _encode(user_id: uuid.UUID, session_id: uuid.UUID, typ: str, ttl: timedelta) -> tuple[str, str, datetime]:
    s = get_settings()
    now = datetime.now(UTC)
    exp = now + ttl
    jti = secrets.token_urlsafe(24)
    payload = {
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": typ,
        "jti": jti,
        "aud": s.jwt_audience,
        "iss": s.jwt_issuer,
        "iat": int(now.timestamp()),
        "exp": int(exp.timestamp()),
    }
    return jwt.encode(payload, s.secret_key, algorithm=ALGORITHM), jti, exp


def issue_access(user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[str, datetime]:
    token, _, exp = _encode(user_id, session_id, ACCESS, timedelta(minutes=get_settings().access_token_minutes))
    return token, exp


def issue_refresh(user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[str, str, datetime]:
    """A refresh token, its jti and expiry. Only its hash is ever stored."""
    return _encode(user_id, session_id, REFRESH, timedelta(days=get_settings().refresh_token_days))


def decode(token: str, expected_type: str) -> TokenClaims:
    s = get_settings()
    try:
        payload = jwt.decode(
            token,
            s.secret_key,
            algorithms=[ALGORITHM],
            audience=s.jwt_audience,
            issuer=s.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "typ", "sid", "jti"]},
        )
    except jwt.ExpiredSignatureError as e:
        raise AuthError("token expired", code="token_expired") from e
    except jwt.PyJWTError as e:
        raise AuthError("invalid token", code="invalid_token") from e
    if payload.get("typ") != expected_type:
        raise AuthError("wrong token type", code="invalid_token")
    try:
        return TokenClaims(
            user_id=uuid.UUID(payload["sub"]),
            session_id=uuid.UUID(payload["sid"]),
            token_type=payload["typ"],
            jti=payload["jti"],
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        )
    except (ValueError, TypeError) as e:
        raise AuthError("invalid token", code="invalid_token") from e


def token_hash(token: str) -> str:
    """SHA-256 is enough here: refresh tokens are long random-signed strings, not passwords."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)
