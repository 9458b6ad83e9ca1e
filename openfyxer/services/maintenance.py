"""Housekeeping run by the scheduler: expired sign-in material and long-expired invitations are deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session

from openfyxer.core.config import get_settings
from openfyxer.models.user import AuthSession, Invitation, RefreshToken, TotpUsedStep
from openfyxer.security import totp


INVITATION_KEPT = timedelta(days=30)


def purge_expired(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Delete expired refresh tokens, dead sessions and TOTP steps too old to be replayed."""
    now = now or datetime.now(UTC)
    refresh_ttl = timedelta(days=get_settings().refresh_token_days)
    tokens = session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now)).rowcount
    sessions = session.execute(
        delete(AuthSession).where(
            (AuthSession.revoked_at < now - timedelta(days=1)) | (AuthSession.last_used_at < now - refresh_ttl)
        )
    ).rowcount
    # A step outside the verification window can never match again, so its record is useless.
    oldest_step = int(now.timestamp() // totp.INTERVAL) - totp.WINDOW - 2
    steps = session.execute(delete(TotpUsedStep).where(TotpUsedStep.step < oldest_step)).rowcount
    # An unused invitation stays listed a while after it expires (the administrator sees it lapsed); a used
    # one stays as the record of who let whom in.
    invitations = session.execute(delete(Invitation).where(
        Invitation.used_at.is_(None), Invitation.expires_at < now - INVITATION_KEPT)).rowcount
    session.flush()
    return {"refresh_tokens": tokens, "sessions": sessions, "totp_steps": steps, "invitations": invitations}
