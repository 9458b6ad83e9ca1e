"""The audit trail: security events and every state-changing call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, ForeignKey, Index
from sqlmodel import Field, SQLModel

from openfyxer.models.types import JSONType, UTCDateTime, new_id, utcnow


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_user_created", "user_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # SET NULL keeps the trail of a deleted user's security events.
    user_id: uuid.UUID | None = Field(default=None, sa_column=Column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True))
    action: str = Field(max_length=100)
    entity_type: str | None = Field(default=None, max_length=50)
    entity_id: uuid.UUID | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    ip_address: str | None = Field(default=None, max_length=45)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    action: str
    entity_type: str | None
    entity_id: uuid.UUID | None
    details: dict[str, Any]
    ip_address: str | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditPublic]
    total: int
    limit: int
    offset: int
