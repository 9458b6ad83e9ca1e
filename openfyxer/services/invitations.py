"""Invitations: what lets someone register while registration is by invitation.

An administrator makes one and hands its token to one person; the database keeps only the token's
SHA-256, so a dump of it lets nobody in. A token works once, until it expires, and, when it names
an address, for that address only.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from openfyxer.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from openfyxer.models.user import Invitation, User
from openfyxer.services import audit

MAX_DAYS = 365
# One message for every token that cannot be used, whatever the reason: a stranger learns nothing
# about which tokens exist, which were used or which address one is for.
INVALID = "this invitation is not valid"


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise PermissionDenied("only an administrator may manage invitations", code="admin_only")


def administrator(session: Session) -> User:
    """The oldest active administrator: whom the command line acts for."""
    admin = session.exec(select(User).where(User.is_admin, User.is_active)
                         .order_by(User.created_at, User.id)).first()
    if admin is None:
        raise NotFound("there is no administrator yet: the first account registered becomes one",
                       code="no_admin")
    return admin


def create(session: Session, admin: User, *, email: str | None = None, days: int = 7,
           ip: str | None = None) -> tuple[Invitation, str]:
    """A new invitation and its token, which is never shown again."""
    _require_admin(admin)
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"an invitation lasts between 1 and {MAX_DAYS} days")
    token = secrets.token_urlsafe(32)
    now = _now()
    invitation = Invitation(token_hash=_hash(token), email=email.strip().lower() if email else None,
                            created_by=admin.id, created_at=now, expires_at=now + timedelta(days=days))
    session.add(invitation)
    session.flush()
    audit.record(session, action="invitation.create", user_id=admin.id, entity_type="invitation",
                 entity_id=invitation.id, details={"email": invitation.email, "days": days}, ip=ip)
    return invitation, token


def list_all(session: Session, admin: User) -> list[Invitation]:
    """Every invitation, the newest first."""
    _require_admin(admin)
    return list(session.exec(select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id)).all())


def revoke(session: Session, admin: User, invitation_id: uuid.UUID, *, ip: str | None = None) -> None:
    """Withdraw an unused invitation; a used one stays, as the record of who let whom in."""
    _require_admin(admin)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("no such invitation")
    if invitation.used_at is not None:
        raise Conflict("this invitation was already used", code="invitation_used")
    session.delete(invitation)
    session.flush()
    audit.record(session, action="invitation.revoke", user_id=admin.id, entity_type="invitation",
                 entity_id=invitation_id, ip=ip)


def claim(session: Session, token: str | None, email: str) -> Invitation:
    """Spend the invitation behind `token` for `email` (normalised), or PermissionDenied.

    Registration asks this before it looks at the address, so the answer is the same whether or not
    the address has an account. The spending is a conditional update: of two registrations racing with
    one token, one wins; the caller's rollback gives the token back if its registration fails.
    """
    if not token or not token.strip():
        raise PermissionDenied("registration on this server needs an invitation", code="invitation_required")
    now = _now()
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == _hash(token.strip()))).first()
    if (invitation is None or invitation.used_at is not None or invitation.expires_at <= now
            or (invitation.email and invitation.email != email)):
        raise PermissionDenied(INVALID, code="invitation_invalid")
    spent = session.execute(update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
                            .values(used_at=now)).rowcount
    if spent != 1:
        raise PermissionDenied(INVALID, code="invitation_invalid")
    return invitation
