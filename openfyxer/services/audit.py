"""The audit trail. Security events and every state-changing call land here."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from openfyxer.core.db import session_scope
from openfyxer.models.audit import AuditLog


def record(
    session: Session,
    *,
    action: str,
    user_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Add an entry to the caller's unit of work: it commits or rolls back with the change."""
    entry = AuditLog(
        user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=details or {},
        ip_address=(ip or None) and ip[:45],
    )
    session.add(entry)
    session.flush()
    return entry


def record_now(**kwargs: Any) -> None:
    """Commit an entry on its own, for failures whose own transaction is about to roll back."""
    with session_scope() as session:
        record(session, **kwargs)


def list_for_user(session: Session, *, user_id: uuid.UUID, limit: int, offset: int) -> tuple[list[AuditLog], int]:
    """The user's own entries, newest first."""
    total = session.exec(select(func.count()).select_from(AuditLog).where(AuditLog.user_id == user_id)).one()
    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.user_id == user_id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
