"""The delivery log the Settings page and the API show: what was sent where, and how it went."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from openfyxer.models.notify import DeliveryPublic, NotifyChannel, NotifyDelivery
from openfyxer.services.notify import render


def recent(session: Session, *, user_id: uuid.UUID, limit: int = 50) -> list[DeliveryPublic]:
    return _rows(session, select(NotifyDelivery, NotifyChannel.name).join(
        NotifyChannel, NotifyChannel.id == NotifyDelivery.channel_id).where(NotifyDelivery.user_id == user_id)
        .order_by(NotifyDelivery.created_at.desc()).limit(max(1, min(limit, 200))))


def get(session: Session, *, user_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryPublic | None:
    found = _rows(session, select(NotifyDelivery, NotifyChannel.name).join(
        NotifyChannel, NotifyChannel.id == NotifyDelivery.channel_id).where(
        NotifyDelivery.user_id == user_id, NotifyDelivery.id == delivery_id))
    return found[0] if found else None


def _rows(session: Session, query) -> list[DeliveryPublic]:  # noqa: ANN001
    return [DeliveryPublic(
        id=d.id, channel_id=d.channel_id, channel_name=name, event=d.event,
        title=render.message(d.event, d.payload or {}, "en").title[:300], state=d.state, attempts=d.attempts,
        held_reason=d.held_reason, next_attempt_at=d.next_attempt_at if d.state == "pending" else None,
        last_status=d.last_status, last_error=d.last_error, delivered_at=d.delivered_at, created_at=d.created_at,
    ) for d, name in session.exec(query).all()]
