"""Registration (under the registration policy), sign-in, token rotation, sign-out, password reset and
TOTP two-factor authentication with its recovery codes."""

from __future__ import annotations

import json
import secrets
from http.cookies import CookieError, SimpleCookie
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from zoneinfo import available_timezones

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from openfyxer.core.config import get_settings
from openfyxer.core.db import session_scope
from openfyxer.core.errors import AuthError, Conflict, NotFound, PermissionDenied, ValidationError
from openfyxer.models.settings import UserSettings
from openfyxer.models.user import AuthSession, RefreshToken, TotpUsedStep, User
from openfyxer.security import passwords, tokens, totp
from openfyxer.services import audit, ephemeral, invitations, lockout, recovery_codes

INVALID_CREDENTIALS = "invalid email or password"
# What UserCreate accepts at registration.
MIN_PASSWORD, MAX_PASSWORD = 10, 256


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID
    user_id: uuid.UUID
    token_type: str = "bearer"


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    provisioning_uri: str
    qr_svg: str


def _now() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_timezone(tz: str) -> str:
    if tz not in available_timezones():
        raise ValidationError(f"unknown time zone {tz!r}")
    return tz


def register(session: Session, *, email: str, password: str, language: str = "en",
             timezone: str = "UTC", ip: str | None = None, invitation: str | None = None) -> User:
    """Create a user with default settings, as the registration policy allows.

    While registration is not open, the policy is checked before the address is looked at: a
    stranger without a valid invitation hears the same refusal whether or not the address has an
    account.
    """
    email = normalise_email(email)
    check_timezone(timezone)
    first = session.exec(select(User.id).limit(1)).first() is None
    mode = get_settings().registration_mode(first_user=first)
    if mode == "closed":
        raise PermissionDenied("registration is closed on this server", code="registration_closed")
    invite = invitations.claim(session, invitation, email) if mode == "invite" else None
    user = create_user(session, email=email, password=password, language=language, timezone=timezone,
                       is_admin=first)
    if invite is not None:
        invite.used_by = user.id
        session.add(invite)
    audit.record(session, action="auth.register", user_id=user.id, entity_type="user", entity_id=user.id,
                 details={"invitation": str(invite.id)} if invite else None, ip=ip)
    return user


def create_user(session: Session, *, email: str, password: str, language: str = "en", timezone: str = "UTC",
                is_admin: bool = False) -> User:
    """A user and their default settings, whatever the registration policy: `register` asks it, and
    the command line asks it directly for an operator."""
    email = normalise_email(email)
    check_timezone(timezone)
    if session.exec(select(User.id).where(User.email == email)).first():
        raise Conflict("an account with this email already exists", code="email_taken")
    user = User(email=email, hashed_password=passwords.hash_password(password), language=language,
                timezone=timezone, is_admin=is_admin)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as e:  # a concurrent registration won the race
        raise Conflict("an account with this email already exists", code="email_taken") from e
    session.add(UserSettings(user_id=user.id))
    return user


def reset_password(session: Session, *, email: str, password: str, ip: str | None = None) -> User:
    """An administrator's reset: a new password, and every sign-in of the user ends (whoever knew the
    old one may be signed in)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound("no account with this email", code="no_such_user")
    user.hashed_password = passwords.hash_password(password)
    user.updated_at = _now()
    session.add(user)
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_reason="password_reset")
    )
    audit.record(session, action="auth.password_reset", user_id=user.id, entity_type="user", entity_id=user.id, ip=ip)
    return user


def _fail(session: Session, action: str, message: str, code: str, *, user_id: uuid.UUID | None,
          ip: str | None, details: dict | None = None) -> AuthError:
    """Record a failed security event in its own transaction and return the error to raise.

    The caller's transaction is rolled back first: it is about to fail anyway, and on SQLite
    its write lock would otherwise block the audit write.
    """
    session.rollback()
    audit.record_now(action=action, user_id=user_id, entity_type="user", entity_id=user_id,
                     details=details or {}, ip=ip)
    return AuthError(message, code=code)


def _consume_totp(session: Session, user: User, code: str | None) -> bool:
    """Accept a code once: the matched time step is recorded and a replay of it refused."""
    if not user.totp_secret or not code:
        return False
    step = totp.matching_step(user.totp_secret, code)
    if step is None:
        return False
    try:
        with session.begin_nested():
            session.add(TotpUsedStep(user_id=user.id, step=step))
    except IntegrityError:
        return False
    return True


def _start_session(session: Session, user: User, ip: str | None, user_agent: str | None) -> TokenPair:
    auth_session = AuthSession(user_id=user.id, ip_address=ip and ip[:45], user_agent=(user_agent or "")[:255] or None)
    session.add(auth_session)
    session.flush()
    return _issue(session, user.id, auth_session.id)


def _issue(session: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> TokenPair:
    access, _ = tokens.issue_access(user_id, session_id)
    refresh, _jti, refresh_exp = tokens.issue_refresh(user_id, session_id)
    session.add(RefreshToken(session_id=session_id, user_id=user_id, token_hash=tokens.token_hash(refresh), expires_at=refresh_exp))
    session.flush()
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=get_settings().access_token_minutes * 60,
        session_id=session_id,
        user_id=user_id,
    )


def _second_factor(session: Session, user: User, totp_code: str | None, recovery_code: str | None, *,
                   ip: str | None) -> None:
    """The code from the authenticator app or, instead, one recovery code (the app's first: a recovery
    code is not spent when both come). A wrong one is a failed sign-in, so the lockout caps guesses at
    either the same way."""
    if totp_code:
        if not _consume_totp(session, user, totp_code):
            raise _fail(session, lockout.FAILED, "invalid or already used two-factor code", "invalid_totp",
                        user_id=user.id, ip=ip, details={"reason": "totp"})
        return
    if not recovery_code:
        raise AuthError("two-factor code required", code="totp_required")
    if not recovery_codes.spend(session, user.id, recovery_code):
        raise _fail(session, lockout.FAILED, "invalid or already used recovery code", "invalid_recovery_code",
                    user_id=user.id, ip=ip, details={"reason": "recovery_code"})
    audit.record(session, action="auth.recovery_code_used", user_id=user.id, entity_type="user",
                 entity_id=user.id, details={"remaining": recovery_codes.remaining(session, user.id)}, ip=ip)


def login(session: Session, *, email: str, password: str, totp_code: str | None = None,
          recovery_code: str | None = None, ip: str | None = None, user_agent: str | None = None) -> TokenPair:
    """Check the password (and, when 2FA is on, the TOTP code or a recovery code) and open a session.

    An unknown address and a wrong password give the same error, in about the same time.
    """
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is not None:
        lockout.check(session, user)
    if not passwords.verify_password(password, user.hashed_password if user else None) or not user.is_active:
        raise _fail(session, "auth.login_failed", INVALID_CREDENTIALS, "invalid_credentials",
                    user_id=user.id if user else None, ip=ip, details={"reason": "credentials"})
    if user.totp_enabled:
        _second_factor(session, user, totp_code, recovery_code, ip=ip)
    if passwords.needs_rehash(user.hashed_password):
        user.hashed_password = passwords.hash_password(password)
    pair = _start_session(session, user, ip, user_agent)
    audit.record(session, action="auth.login", user_id=user.id, entity_type="session", entity_id=pair.session_id, ip=ip)
    return pair


def _revoke_session(session: Session, session_id: uuid.UUID, reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_reason=reason)
    )


def refresh(session: Session, *, refresh_token: str, ip: str | None = None) -> TokenPair:
    """Rotate: spend this refresh token and issue a new pair in the same family.

    Presenting a token that was already spent means it was copied: the whole family
    (the sign-in session) is revoked, for the thief and the owner alike.
    """
    claims = tokens.decode(refresh_token, tokens.REFRESH)
    row = session.exec(select(RefreshToken).where(RefreshToken.token_hash == tokens.token_hash(refresh_token))).first()
    auth_session = session.get(AuthSession, claims.session_id)
    if row is None or auth_session is None or row.session_id != claims.session_id:
        raise AuthError("invalid refresh token", code="invalid_token")
    if auth_session.revoked_at is not None:
        raise AuthError("session revoked", code="session_revoked")
    spent = session.execute(
        update(RefreshToken).where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None)).values(used_at=_now())
    ).rowcount
    if spent != 1:
        again = _recall(row.token_hash)
        if again is not None:  # another tab of the same browser refreshed a moment ago: same answer
            return again
        session.rollback()  # release our write lock before the revocation commits on its own
        with session_scope() as own:
            _revoke_session(own, claims.session_id, "refresh_reuse")
            audit.record(own, action="auth.refresh_reuse", user_id=claims.user_id, entity_type="session",
                         entity_id=claims.session_id, ip=ip)
        raise AuthError("refresh token reuse detected; the session was revoked", code="refresh_reuse")
    auth_session.last_used_at = _now()
    pair = _issue(session, claims.user_id, claims.session_id)
    _remember(row.token_hash, pair)
    audit.record(session, action="auth.refresh", user_id=claims.user_id, entity_type="session", entity_id=claims.session_id, ip=ip)
    return pair


# Two tabs refreshing with the same token at once are one browser, not a thief: for a few seconds the
# spent token gets the pair it was exchanged for, instead of revoking the sign-in.
REFRESH_GRACE_SECONDS = 5


def _remember(token_hash: str, pair: TokenPair) -> None:
    if REFRESH_GRACE_SECONDS <= 0:
        return
    ephemeral.put("refresh-grace", token_hash, json.dumps({**asdict(pair), "session_id": str(pair.session_id),
                                                           "user_id": str(pair.user_id)}), REFRESH_GRACE_SECONDS)


def _recall(token_hash: str) -> TokenPair | None:
    sealed = ephemeral.get("refresh-grace", token_hash)
    if not sealed:
        return None
    data = json.loads(sealed)
    return TokenPair(**{**data, "session_id": uuid.UUID(data["session_id"]), "user_id": uuid.UUID(data["user_id"])})


# The dashboard's sign-in cookie: set by api/routes/ui_cookie.py, read by the dashboard's state and
# the upload guard from a request's Cookie header.
UI_REFRESH_COOKIE = "openfyxer_ui_refresh"


def ui_refresh_token(cookie_header: str | None) -> str:
    """The dashboard's refresh token in a Cookie header, or ""."""
    try:
        jar = SimpleCookie(cookie_header or "")
    except CookieError:
        return ""
    return jar[UI_REFRESH_COOKIE].value if UI_REFRESH_COOKIE in jar else ""


# The dashboard's refresh token lives in an HttpOnly cookie that only an HTTP response can set, while
# the dashboard signs in over its websocket: the socket hands the browser a one-time code, which the
# browser trades at once for the cookie (POST /api/v1/auth/ui-cookie). The token itself never reaches
# script, nor the dashboard's state.
HANDOFF_SECONDS = 60


def handoff(pair: TokenPair) -> str:
    code = secrets.token_urlsafe(32)
    ephemeral.put("ui-handoff", tokens.token_hash(code), pair.refresh_token, HANDOFF_SECONDS)
    return code


def claim_handoff(code: str) -> str | None:
    """The refresh token a hand-over code stands for, once; None when unknown, used or expired."""
    if not code or len(code) > 128:
        return None
    return ephemeral.get("ui-handoff", tokens.token_hash(code), take=True)


def logout(session: Session, *, user_id: uuid.UUID, session_id: uuid.UUID, ip: str | None = None) -> None:
    """Revoke the sign-in session: its refresh tokens and access tokens stop working."""
    _revoke_session(session, session_id, "logout")
    audit.record(session, action="auth.logout", user_id=user_id, entity_type="session", entity_id=session_id, ip=ip)


def logout_everywhere(session: Session, *, user_id: uuid.UUID, ip: str | None = None) -> int:
    """Revoke every sign-in of the user (this one too): a lost phone, a shared computer. How many."""
    n = session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                        .values(revoked_at=_now(), revoked_reason="logout_everywhere")).rowcount
    audit.record(session, action="auth.logout_everywhere", user_id=user_id, entity_type="user", entity_id=user_id,
                 details={"sessions": n}, ip=ip)
    return n


def change_password(session: Session, *, user: User, current: str, new: str, keep_session: uuid.UUID | None = None,
                    ip: str | None = None) -> None:
    """A new password, given the current one; every other sign-in ends (whoever knew the old one)."""
    lockout.check(session, user)  # a stolen session must not become a way to guess the password
    if not passwords.verify_password(current, user.hashed_password):
        # 403, not 401: the caller is signed in; only the password they typed is wrong.
        session.rollback()
        audit.record_now(action="auth.password_change_failed", user_id=user.id, entity_type="user",
                         entity_id=user.id, details={}, ip=ip)
        raise PermissionDenied("the current password is not right", code="wrong_password")
    if current == new:
        raise ValidationError("the new password is the current one", code="same_password")
    user.hashed_password = passwords.hash_password(new)
    user.updated_at = _now()
    session.add(user)
    others = update(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    if keep_session is not None:
        others = others.where(AuthSession.id != keep_session)
    n = session.execute(others.values(revoked_at=_now(), revoked_reason="password_changed")).rowcount
    audit.record(session, action="auth.password_change", user_id=user.id, entity_type="user", entity_id=user.id,
                 details={"sessions_ended": n}, ip=ip)


def change_email(session: Session, *, user: User, current: str, email: str, keep_session: uuid.UUID | None = None,
                 ip: str | None = None) -> User:
    """The account's sign-in address, given the current password; every other sign-in ends, as for a new
    password (whoever holds one of them signed in under the old address)."""
    _confirm_password(session, user, current, purpose="email_change", ip=ip)
    new = normalise_email(email)
    if new == user.email:
        raise ValidationError("that is already the account's address", code="same_email")
    if session.exec(select(User.id).where(User.email == new, User.id != user.id)).first() is not None:
        raise Conflict("another account uses that address", code="email_taken")
    old, user.email, user.updated_at = user.email, new, _now()
    session.add(user)
    try:
        session.flush()
    except IntegrityError as e:  # registered at the same moment
        raise Conflict("another account uses that address", code="email_taken") from e
    others = update(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    if keep_session is not None:
        others = others.where(AuthSession.id != keep_session)
    n = session.execute(others.values(revoked_at=_now(), revoked_reason="email_changed")).rowcount
    audit.record(session, action="auth.email_change", user_id=user.id, entity_type="user", entity_id=user.id,
                 details={"from": old, "to": new, "sessions_ended": n}, ip=ip)
    return user


def _live_session(session: Session, session_id: uuid.UUID) -> AuthSession | None:
    auth_session = session.get(AuthSession, session_id)
    return auth_session if auth_session is not None and auth_session.revoked_at is None else None


def _active(user: User | None) -> User | None:
    return user if user is not None and user.is_active else None


def live_user(session: Session, *, session_id: uuid.UUID) -> User | None:
    """The active user of a sign-in session that is still valid (a logout elsewhere ends it), or
    None: the dashboard asks it of each tab, as `authenticate` asks it of each access token."""
    auth_session = _live_session(session, session_id)
    return _active(session.get(User, auth_session.user_id)) if auth_session else None


def user_of_refresh(session: Session, refresh_token: str) -> User | None:
    """The active user a refresh token signs in, without spending it: for a request that carries only
    the dashboard's cookie (its upload endpoint) and must come from a live sign-in."""
    try:
        claims = tokens.decode(refresh_token, tokens.REFRESH)
    except AuthError:
        return None
    row = session.exec(select(RefreshToken).where(RefreshToken.token_hash == tokens.token_hash(refresh_token))).first()
    if row is None or row.session_id != claims.session_id or row.expires_at <= _now():
        return None
    return live_user(session, session_id=claims.session_id)


def authenticate(session: Session, access_token: str) -> tuple[User, AuthSession]:
    """The user and live session behind an access token, or AuthError."""
    claims = tokens.decode(access_token, tokens.ACCESS)
    auth_session = _live_session(session, claims.session_id)
    if auth_session is None or auth_session.user_id != claims.user_id:
        raise AuthError("session revoked", code="session_revoked")
    user = _active(session.get(User, claims.user_id))
    if user is None:
        raise AuthError("invalid token", code="invalid_token")
    return user, auth_session


def _confirm_password(session: Session, user: User, password: str, *, purpose: str, ip: str | None) -> None:
    """The signed-in user types the password again before a change that opens a way in. A wrong one
    counts as a failed sign-in: a stolen session must not become a way to guess the password freely."""
    lockout.check(session, user)
    if not passwords.verify_password(password, user.hashed_password):
        # 403, not 401: the caller is signed in; only the password they typed is wrong.
        session.rollback()
        audit.record_now(action=lockout.FAILED, user_id=user.id, entity_type="user", entity_id=user.id,
                         details={"reason": "current_password", "for": purpose}, ip=ip)
        raise PermissionDenied("the current password is not right", code="wrong_password")


def _require_2fa(user: User) -> None:
    if not user.totp_enabled:
        raise Conflict("two-factor authentication is not enabled", code="totp_not_enabled")


def totp_setup(session: Session, *, user: User, current_password: str, ip: str | None = None) -> TotpSetup:
    """Start 2FA enrolment, given the current password: a new secret, shown once; it is enabled only
    by `totp_verify`."""
    if user.totp_enabled:
        raise Conflict("two-factor authentication is already enabled", code="totp_enabled")
    _confirm_password(session, user, current_password, purpose="2fa_setup", ip=ip)
    secret = totp.new_secret()
    user.totp_secret = secret
    user.updated_at = _now()
    session.add(user)
    session.flush()
    uri = totp.provisioning_uri(secret, user.email)
    audit.record(session, action="auth.2fa_setup", user_id=user.id, entity_type="user", entity_id=user.id, ip=ip)
    return TotpSetup(secret=secret, provisioning_uri=uri, qr_svg=totp.qr_svg_data_uri(uri))


def totp_verify(session: Session, *, user: User, code: str, ip: str | None = None) -> list[str]:
    """Confirm enrolment with a first code from the authenticator app; the recovery codes it returns
    are shown this once."""
    if user.totp_enabled:
        # A second confirmation would hand out new recovery codes without the password.
        raise Conflict("two-factor authentication is already enabled", code="totp_enabled")
    if not user.totp_secret:
        raise Conflict("call 2fa/setup first", code="totp_not_setup")
    if not _consume_totp(session, user, code):
        raise _fail(session, "auth.2fa_verify_failed", "invalid or already used two-factor code", "invalid_totp",
                    user_id=user.id, ip=ip)
    user.totp_enabled = True
    user.updated_at = _now()
    session.add(user)
    codes = recovery_codes.replace(session, user.id)
    audit.record(session, action="auth.2fa_enabled", user_id=user.id, entity_type="user", entity_id=user.id,
                 details={"recovery_codes": len(codes)}, ip=ip)
    return codes


def new_recovery_codes(session: Session, *, user: User, current_password: str, ip: str | None = None) -> list[str]:
    """A fresh set of recovery codes, given the current password; every earlier code stops working."""
    _require_2fa(user)
    _confirm_password(session, user, current_password, purpose="recovery_codes", ip=ip)
    codes = recovery_codes.replace(session, user.id)
    audit.record(session, action="auth.recovery_codes_replaced", user_id=user.id, entity_type="user",
                 entity_id=user.id, details={"recovery_codes": len(codes)}, ip=ip)
    return codes


def recovery_codes_left(session: Session, *, user: User) -> int:
    return recovery_codes.remaining(session, user.id) if user.totp_enabled else 0


def totp_disable(session: Session, *, user: User, current_password: str, code: str, ip: str | None = None) -> None:
    """Turn 2FA off, given the current password and a valid code, the app's or a recovery code (told
    apart by their shapes): a stolen session alone cannot take the second factor away. The secret and
    the recovery codes go."""
    _require_2fa(user)
    _confirm_password(session, user, current_password, purpose="2fa_disable", ip=ip)
    recovery = recovery_codes.looks_like_one(code)
    _second_factor(session, user, None if recovery else code, code if recovery else None, ip=ip)
    user.totp_enabled = False
    user.totp_secret = None
    user.updated_at = _now()
    session.add(user)
    recovery_codes.forget(session, user.id)
    audit.record(session, action="auth.2fa_disabled", user_id=user.id, entity_type="user", entity_id=user.id, ip=ip)
